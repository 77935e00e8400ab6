/*
 * The packed GEMM's second thread (addon.c n_gemm_packed): one persistent worker pthread, so a
 * product runs on two threads, the caller and the worker.
 *
 * Why a pool of our own: OpenBLAS's threads are inside OpenBLAS, and a per-product thread start
 * (tens of microseconds) would cost a good part of a 32 x 1024 x 256 product (~100 us).
 *
 * A job is one 64-bit word: generation (16 bits) | front (24) | back (24). The caller publishes
 * it with the worker's range [front, back); the worker claims items at the front with a CAS; the
 * caller, once done with its own range, claims the worker's unstarted items from the back. So a
 * worker that is late (asleep, or sharing its core with OpenBLAS's threads or another process)
 * never makes the caller wait for more than the one item it is running, and a worker on time
 * always takes the same half of the panels, which then stay in its core's cache from one time
 * step to the next. The generation makes a stale CAS from a previous job fail.
 *
 * Waiting: the worker spins on the word with a pause instruction for RT_SPIN_NS (a recurrent
 * layer's next product comes within microseconds), then blocks on a condition variable, so an
 * idle worker does not take a core from OpenBLAS's threads on a 2-core machine for long. The
 * caller signals it only when it is blocked.
 */
#define _GNU_SOURCE
#include "threads.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define CPU_PAUSE() __asm__ __volatile__("yield")
#else
#define CPU_PAUSE() ((void)0)
#endif

/* How long the worker spins for the next job before it blocks, and the caller spins for the
 * worker's last item before it yields its core. */
#define RT_SPIN_NS 50000

#define GEN(w) ((unsigned)((w) >> 48))
#define FRONT(w) ((size_t)(((w) >> 24) & 0xffffff))
#define BACK(w) ((size_t)((w) & 0xffffff))
#define FRONT_ONE ((uint64_t)1 << 24)
#define RT_MAX_ITEMS ((size_t)1 << 24)

/* Written by the caller, read by the worker after a successful claim (the claim's acquire pairs
 * with the publishing store's release); rewritten only once every claimed item has finished. */
static struct {
  rt_job fn;
  void *arg;
} job;

/* Separate cache lines: the worker spins on `word` while it writes `done`. */
static _Alignas(64) _Atomic uint64_t word;
static _Alignas(64) _Atomic uint64_t done; /* items the worker finished, ever */
static _Alignas(64) _Atomic int sleeping;  /* the worker is blocked (or about to block) on cv */
static _Atomic uint64_t splits;
static _Atomic int state; /* 0 not started, 1 running, -1 failed to start */
static atomic_flag busy = ATOMIC_FLAG_INIT; /* held by the caller using the worker */
static unsigned gen; /* the last generation published (under busy) */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The job word once its generation differs from `seen`: spinning, then blocked. */
static uint64_t wait_for_job(unsigned seen) {
  uint64_t w, t0 = now_ns();
  for (unsigned spin = 1;; spin++) {
    w = atomic_load_explicit(&word, memory_order_acquire);
    if (GEN(w) != seen) return w;
    if (spin % 64 == 0 && now_ns() - t0 > RT_SPIN_NS) break;
    CPU_PAUSE();
  }
  /* Blocking: `sleeping` is set before the word is read again (both seq_cst), and the caller
   * stores the word before it reads `sleeping`: either the worker sees the new job here, or the
   * caller sees sleeping = 1 and signals under the mutex, which the worker holds until it waits. */
  pthread_mutex_lock(&mu);
  atomic_store(&sleeping, 1);
  while (GEN(w = atomic_load(&word)) == seen) pthread_cond_wait(&cv, &mu);
  atomic_store(&sleeping, 0);
  pthread_mutex_unlock(&mu);
  return w;
}

static void *worker_main(void *unused) {
  (void)unused;
  unsigned seen = 0;
  for (;;) {
    uint64_t w = wait_for_job(seen);
    seen = GEN(w);
    /* Claim items at the front until the range is empty or a newer job replaced this one. */
    while (GEN(w) == seen && FRONT(w) < BACK(w)) {
      if (atomic_compare_exchange_weak_explicit(&word, &w, w + FRONT_ONE, memory_order_acq_rel, memory_order_acquire)) {
        size_t i = FRONT(w);
        job.fn(job.arg, i, i + 1);
        atomic_fetch_add_explicit(&done, 1, memory_order_release);
        w = atomic_load_explicit(&word, memory_order_acquire);
      }
    }
  }
  return NULL;
}

/* Starts the worker, with every signal blocked (Node's signal handling stays on its threads). */
static int start_worker(void) {
  pthread_t t;
  pthread_attr_t attr;
  sigset_t all, old;
  if (pthread_attr_init(&attr) != 0) return 0;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int ok = pthread_create(&t, &attr, worker_main, NULL) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
#if defined(__linux__)
  if (ok) pthread_setname_np(t, "recur-gemm");
#endif
  return ok;
}

void rt_run2(rt_job fn, void *arg, size_t n, size_t split) {
  if (split == 0 || split >= n || n >= RT_MAX_ITEMS || atomic_flag_test_and_set_explicit(&busy, memory_order_acquire)) {
    fn(arg, 0, n);
    return;
  }
  if (atomic_load_explicit(&state, memory_order_relaxed) == 0) atomic_store(&state, start_worker() ? 1 : -1);
  if (atomic_load_explicit(&state, memory_order_relaxed) < 0) {
    atomic_flag_clear_explicit(&busy, memory_order_release);
    fn(arg, 0, n);
    return;
  }
  /* Every item of the previous job has finished, so the worker reads nothing of `job` now. */
  uint64_t done0 = atomic_load_explicit(&done, memory_order_acquire);
  job.fn = fn;
  job.arg = arg;
  gen = (gen + 1) & 0xffff;
  atomic_store(&word, (uint64_t)gen << 48 | (uint64_t)split << 24 | (uint64_t)n);
  if (atomic_load(&sleeping)) {
    pthread_mutex_lock(&mu);
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
  }
  atomic_fetch_add_explicit(&splits, 1, memory_order_relaxed);

  fn(arg, 0, split);
  /* Take back what the worker has not started, from the end of its range. */
  uint64_t w = atomic_load_explicit(&word, memory_order_acquire);
  while (FRONT(w) < BACK(w)) {
    if (atomic_compare_exchange_weak_explicit(&word, &w, w - 1, memory_order_acq_rel, memory_order_acquire)) {
      size_t i = BACK(w) - 1;
      fn(arg, i, i + 1);
      w = atomic_load_explicit(&word, memory_order_acquire);
    }
  }
  /* The range is empty: the worker claimed FRONT - split items; wait for the last of them. */
  uint64_t claimed = FRONT(w) - split;
  uint64_t t0 = 0;
  for (unsigned spin = 1; atomic_load_explicit(&done, memory_order_acquire) - done0 < claimed; spin++) {
    CPU_PAUSE();
    if (spin % 64 == 0) {
      if (!t0) t0 = now_ns();
      else if (now_ns() - t0 > RT_SPIN_NS) sched_yield(); /* the worker was preempted mid-item */
    }
  }
  atomic_flag_clear_explicit(&busy, memory_order_release);
}

RtStats rt_stats(void) {
  RtStats s;
  s.splits = (double)atomic_load_explicit(&splits, memory_order_relaxed);
  s.worker_items = (double)atomic_load_explicit(&done, memory_order_relaxed);
  s.started = atomic_load_explicit(&state, memory_order_relaxed);
  return s;
}
