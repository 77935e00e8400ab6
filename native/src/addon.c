/*
 * recur_native: the N-API addon behind src/kernels/native (the optional native backend).
 *
 * - GEMM goes to the system OpenBLAS (gemm.h), except products with a prepared op(B)
 *   (packB / gemmPacked): our own micro-kernel over panels (packed.h), on this thread and one
 *   worker (threads.c).
 * - Every other kernel is a C loop from kernels.h, in the AVX2+FMA build when the CPU has it,
 *   else the baseline build.
 * - `alloc(n)` returns zero-filled Float32Arrays whose data starts on a 64-byte boundary (V8's
 *   own allocations sit 16 bytes off one, which costs OpenBLAS ~20%, ~45% at M = 1), over
 *   blocks of a storage pool (pool.c) that collected arrays return to; `free(array)` returns
 *   one sooner.
 *
 * Calling convention (src/kernels/native/backend.ts): every kernel validates its arguments —
 * Float32Array operands (Int32Array for indices), integer counts in [0, 2^31), every array at
 * least as long as the sizes imply, indices in range — and then either runs and returns
 * undefined, or touches nothing and returns `true`, meaning "run the JS reference instead"
 * (Float64Array storage of the gradient checks, short arrays, odd strides BLAS rejects). So a
 * bad call can never read or write outside its arrays. Kernels that return a value
 * (sumSquares, maxAbs) return undefined for "fall back".
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "kernels_api.h"
#include "gemm.h"
#include "pool.h"
#include "threads.h"

/* In OpenBLAS's cblas.h; declared again so that the file compiles against any cblas.h. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);

static const rk_table *K = &rk_table_base;
static const char *variant = "base";

/* ---- Argument parsing ------------------------------------------------------------------------ */

#define MAXARGS 16
#define LIMIT ((uint64_t)1 << 31)
/* Element counts above this are refused (products of counts are checked against it). */
#define SIZE_CAP ((uint64_t)1 << 40)

typedef struct {
  napi_env env;
  napi_value argv[MAXARGS];
  size_t argc;
  int bad;
} Args;

static void args_init(napi_env env, napi_callback_info info, Args *a, size_t want) {
  a->env = env;
  a->argc = MAXARGS;
  a->bad = napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok || a->argc < want;
}

/* Integer count in [0, 2^31). */
static size_t cnt(Args *a, size_t i) {
  double d;
  if (a->bad || napi_get_value_double(a->env, a->argv[i], &d) != napi_ok || !(d >= 0 && d < (double)LIMIT) || d != (double)(int64_t)d) {
    a->bad = 1;
    return 0;
  }
  return (size_t)d;
}

static double num(Args *a, size_t i) {
  double d = 0;
  if (a->bad || napi_get_value_double(a->env, a->argv[i], &d) != napi_ok) a->bad = 1;
  return d;
}

static int flag(Args *a, size_t i) {
  bool b = false;
  if (a->bad || napi_get_value_bool(a->env, a->argv[i], &b) != napi_ok) a->bad = 1;
  return b ? 1 : 0;
}

/* x * y, refusing (bad) results above SIZE_CAP. */
static size_t mul(Args *a, size_t x, size_t y) {
  if (y != 0 && x > SIZE_CAP / y) { a->bad = 1; return 0; }
  return x * y;
}

/* Elements spanned by a rows x cols matrix with row stride ld. */
static size_t extent(Args *a, size_t rows, size_t cols, size_t ld) {
  if (rows == 0 || cols == 0) return 0;
  return mul(a, rows - 1, ld) + cols;
}

static void *typed(Args *a, size_t i, napi_typedarray_type want, size_t *len) {
  napi_typedarray_type t;
  void *data = NULL;
  if (a->bad || napi_get_typedarray_info(a->env, a->argv[i], &t, len, &data, NULL, NULL) != napi_ok || t != want) {
    a->bad = 1;
    *len = 0;
    return NULL;
  }
  return data;
}

/* A Float32Array of at least `need` elements; *len gets its length when len is not NULL. */
static float *f32(Args *a, size_t i, size_t need, size_t *len) {
  size_t n;
  if (len) *len = 0;
  float *p = (float *)typed(a, i, napi_float32_array, &n);
  if (a->bad || n < need || need > SIZE_CAP) { a->bad = 1; return NULL; }
  if (len) *len = n;
  return p;
}

static int is_null(Args *a, size_t i) {
  napi_valuetype t;
  if (a->bad || napi_typeof(a->env, a->argv[i], &t) != napi_ok) { a->bad = 1; return 0; }
  return t == napi_null || t == napi_undefined;
}

/* Optional Float32Array: NULL for null/undefined. */
static float *f32opt(Args *a, size_t i, size_t need) {
  if (is_null(a, i)) return NULL;
  return f32(a, i, need, NULL);
}

static int32_t *i32(Args *a, size_t i, size_t need, size_t *len) {
  size_t n;
  if (len) *len = 0;
  int32_t *p = (int32_t *)typed(a, i, napi_int32_array, &n);
  if (a->bad || n < need) { a->bad = 1; return NULL; }
  if (len) *len = n;
  return p;
}

static napi_value fallback(napi_env env) {
  napi_value v;
  napi_get_boolean(env, true, &v);
  return v;
}

#define BEGIN(n)          \
  Args A_;                \
  Args *a = &A_;          \
  args_init(env, info, a, n)
#define DONE return a->bad ? fallback(env) : NULL
#define CHECK \
  if (a->bad) return fallback(env)

/* ---- Storage --------------------------------------------------------------------------------- */

/* What an `alloc` array's ArrayBuffer carries (napi_wrap): its block, until the block goes back
 * to the pool. The block returns either when V8 collects the buffer (release_ticket) or earlier
 * through `free`; `live` makes sure it returns once. The ticket itself lives as long as the
 * buffer object, so a late finalizer never reads freed memory. */
typedef struct {
  void *data;
  int cls;
  int live;
  int64_t hidden; /* bytes of this block hidden from V8's external-memory count (hide_block) */
} Ticket;

/* V8 counts every external ArrayBuffer's bytes and, once they grow by 64 MB past the last full
 * collection, runs collections inside whatever allocates next. A training step's forward keeps
 * hundreds of MB of activations alive on purpose, so those collections find nothing to free: in
 * the CLI char LM they cost 5-10 ms a step. Blocks are hidden from that count (reported back when
 * they leave the buffer), up to HIDE_CAP bytes live at once: reclaimMemory() (src/kernels/index.ts)
 * decides when to collect from recur's own counters, and a program that never calls it still
 * meets V8's heuristic for storage beyond the cap. */
#define HIDE_CAP ((int64_t)512 << 20)
static int64_t hidden_bytes = 0;

static void hide_block(napi_env env, Ticket *t, size_t block) {
  int64_t r;
  t->hidden = 0;
  if (hidden_bytes + (int64_t)block > HIDE_CAP) return;
  if (napi_adjust_external_memory(env, -(int64_t)block, &r) != napi_ok) return;
  t->hidden = (int64_t)block;
  hidden_bytes += t->hidden;
}

/* Called once the block has left the buffer, when V8 has dropped (or is dropping) it from its count. */
static void unhide_block(napi_env env, Ticket *t) {
  int64_t r;
  if (!t->hidden) return;
  napi_adjust_external_memory(env, t->hidden, &r);
  hidden_bytes -= t->hidden;
  t->hidden = 0;
}

static void release_ticket(napi_env env, void *data, void *hint) {
  Ticket *t = (Ticket *)data;
  if (t->live) {
    unhide_block(env, t);
    pool_put(t->data, t->cls);
  }
  free(t);
}

/* alloc(n, zero = true): a Float32Array of n elements starting on a 64-byte boundary, zero-filled
 * unless zero is false (`empty`), over a block of the storage pool (pool.c) that goes back to the
 * pool when V8 collects the array's buffer, or when `free` is called on it. */
static napi_value n_alloc(napi_env env, napi_callback_info info) {
  BEGIN(1);
  size_t n = cnt(a, 0);
  int zero = a->argc < 2 || flag(a, 1);
  if (a->bad) {
    napi_throw_range_error(env, NULL, "recur native alloc: bad length");
    return NULL;
  }
  size_t block;
  int cls;
  void *data = pool_get(n * 4, zero, &block, &cls);
  Ticket *t = data ? (Ticket *)malloc(sizeof(Ticket)) : NULL;
  napi_value ab, out;
  if (!t) {
    if (data) pool_put(data, cls);
    napi_throw_error(env, NULL, "recur native alloc: out of memory");
    return NULL;
  }
  t->data = data;
  t->cls = cls;
  t->live = 1;
  /* No finalizer on the buffer itself: the ticket's (below) returns the block. */
  if (napi_create_external_arraybuffer(env, data, block, NULL, NULL, &ab) != napi_ok) {
    pool_put(data, cls);
    free(t);
    napi_throw_error(env, NULL, "recur native alloc: could not wrap the block in an ArrayBuffer");
    return NULL;
  }
  if (napi_wrap(env, ab, t, release_ticket, NULL, NULL) != napi_ok) {
    /* The buffer may outlive this call without a way to return its block: keep the block. */
    free(t);
    napi_throw_error(env, NULL, "recur native alloc: could not attach the block to its ArrayBuffer");
    return NULL;
  }
  hide_block(env, t, block);
  if (napi_create_typedarray(env, napi_float32_array, n, ab, 0, &out) != napi_ok) return NULL;
  return out;
}

/* free(array): returns the block under an `alloc` array to the pool now and detaches the
 * buffer, so a later use of any view of it sees an empty array instead of reused memory.
 * Returns true if it did; false for arrays whose buffer is not (or no longer) one of ours. */
static napi_value n_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ab, res;
  bool ok = false, is_ta = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 1 &&
      napi_is_typedarray(env, argv[0], &is_ta) == napi_ok && is_ta &&
      napi_get_typedarray_info(env, argv[0], NULL, NULL, NULL, &ab, NULL) == napi_ok) {
    void *p = NULL;
    if (napi_unwrap(env, ab, &p) == napi_ok && p) {
      Ticket *t = (Ticket *)p;
      if (t->live && napi_detach_arraybuffer(env, ab) == napi_ok) {
        t->live = 0;
        unhide_block(env, t);
        pool_put(t->data, t->cls);
        ok = true;
      }
    }
  }
  napi_get_boolean(env, ok, &res);
  return res;
}

/* poolStats(): bytes held for reuse, the cap, and allocations served from the pool / from malloc. */
static napi_value n_pool_stats(napi_env env, napi_callback_info info) {
  PoolStats p = pool_stats();
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_double(env, (double)p.pooled, &v);
  napi_set_named_property(env, o, "pooledBytes", v);
  napi_create_double(env, (double)p.cap, &v);
  napi_set_named_property(env, o, "capBytes", v);
  napi_create_double(env, p.hits, &v);
  napi_set_named_property(env, o, "hits", v);
  napi_create_double(env, p.misses, &v);
  napi_set_named_property(env, o, "misses", v);
  napi_create_double(env, (double)hidden_bytes, &v);
  napi_set_named_property(env, o, "hiddenBytes", v);
  return o;
}

/* setPoolCap(bytes): the most the pool keeps for reuse (0: keep nothing; trims at once). */
static napi_value n_set_pool_cap(napi_env env, napi_callback_info info) {
  BEGIN(1);
  double d = num(a, 0);
  if (a->bad || !(d >= 0)) {
    napi_throw_range_error(env, NULL, "recur native setPoolCap: expected a byte count >= 0");
    return NULL;
  }
  pool_set_cap(d > (double)SIZE_MAX ? SIZE_MAX : (size_t)d);
  return NULL;
}

/* addressMod64(typedArray): where its data starts relative to a 64-byte boundary (tests). */
static napi_value n_address_mod64(napi_env env, napi_callback_info info) {
  BEGIN(1);
  napi_typedarray_type t;
  size_t len;
  void *data = NULL;
  napi_value out;
  if (a->bad || napi_get_typedarray_info(env, a->argv[0], &t, &len, &data, NULL, NULL) != napi_ok) return NULL;
  napi_create_uint32(env, (uint32_t)((uintptr_t)data & 63), &out);
  return out;
}

/* ---- GEMM over a prepared op(B) (packed.h, threads.c) ---------------------------------------- */

/* Threads of a packed product: 1 (the caller) or 2 (and the worker). Follows setThreads. */
static _Atomic int packed_threads = 1;

/* Products of fewer flops run on the caller alone: handing half to the worker costs a few
 * microseconds (more when it has to be woken), against ~20 us of work at this size. */
#define PACKED_PAR_MIN_FLOPS 2e6

/* Floats of the panels of a K x N op(B): ceil(N/16)*16*K (packed.h). */
static size_t panel_floats(Args *a, size_t N, size_t Kd) {
  return mul(a, (N + RK_PANEL - 1) / RK_PANEL * RK_PANEL, Kd);
}

/* The panels argument: a Float32Array of at least `need` floats, else a thrown RangeError (the
 * backend sized them from the same K and N: a mismatch is a bug, not a call to hand over). */
static float *panels_arg(Args *a, size_t i, size_t need, const char *who) {
  napi_typedarray_type t;
  size_t len = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(a->env, a->argv[i], &t, &len, &data, NULL, NULL) != napi_ok || t != napi_float32_array || len < need) {
    char msg[160];
    snprintf(msg, sizeof msg, "recur native %s: panels must be a Float32Array of at least %zu floats (got %zu)", who, need, len);
    napi_throw_range_error(a->env, NULL, msg);
    return NULL;
  }
  return (float *)data;
}

/* packB(transB, K, N, B, ldb, panels): packs op(B) (K x N) into panels. Refuses (true) a B
 * that is not a Float32Array or is shorter than K, N and ldb imply. */
static napi_value n_pack_b(napi_env env, napi_callback_info info) {
  BEGIN(6);
  int tB = flag(a, 0);
  size_t Kd = cnt(a, 1), N = cnt(a, 2), ldb = cnt(a, 4);
  CHECK;
  size_t needB = tB ? extent(a, N, Kd, ldb) : extent(a, Kd, N, ldb);
  size_t needP = panel_floats(a, N, Kd);
  float *Bp = f32(a, 3, needB, NULL);
  CHECK;
  float *P = panels_arg(a, 5, needP, "packB");
  if (!P) return NULL;
  if (needP > 0) K->pack_panels(tB, Bp, ldb, Kd, N, P);
  return NULL;
}

typedef struct {
  void (*run)(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
              const float *panels, size_t p0, size_t p1, float beta, float *C, size_t ldc);
  size_t M, N, K, lda, ldc;
  float alpha, beta;
  const float *A, *P;
  float *C;
} PackedJob;

/* Items are panels [p0, p1), all rows. */
static void packed_job(void *arg, size_t p0, size_t p1) {
  const PackedJob *j = (const PackedJob *)arg;
  j->run(j->M, j->N, j->K, j->alpha, j->A, j->lda, j->P, p0, p1, j->beta, j->C, j->ldc);
}

/* Items are blocks of RK_ROW_BLOCK rows [r0, r1), all panels. */
static void packed_rows_job(void *arg, size_t r0, size_t r1) {
  const PackedJob *j = (const PackedJob *)arg;
  size_t i0 = r0 * RK_ROW_BLOCK, i1 = r1 * RK_ROW_BLOCK < j->M ? r1 * RK_ROW_BLOCK : j->M;
  size_t np = (j->N + RK_PANEL - 1) / RK_PANEL;
  j->run(i1 - i0, j->N, j->K, j->alpha, j->A + i0 * j->lda, j->lda, j->P, 0, np, j->beta, j->C + i0 * j->ldc, j->ldc);
}

/* C = alpha A op(B) + beta C over the panels of op(B), K >= 1 and alpha != 0. The worker takes
 * the second half of the row blocks when there are several (each thread then streams half of a
 * tall A instead of all of it), else of the panels (see threads.c). M = 1 runs here too: the
 * panels are the same bytes a matrix-vector product would stream. */
static void packed_run(size_t M, size_t N, size_t Kd, float alpha, const float *A, size_t lda, const float *P,
                       float beta, float *C, size_t ldc) {
  PackedJob j = {K->gemm_panels, M, N, Kd, lda, ldc, alpha, beta, A, P, C};
  size_t np = (N + RK_PANEL - 1) / RK_PANEL, nb = (M + RK_ROW_BLOCK - 1) / RK_ROW_BLOCK;
  int two = atomic_load_explicit(&packed_threads, memory_order_relaxed) > 1 && 2.0 * M * N * Kd >= PACKED_PAR_MIN_FLOPS;
  if (two && nb >= 2)
    rt_run2(packed_rows_job, &j, nb, nb / 2);
  else if (two && np >= 2)
    rt_run2(packed_job, &j, np, np / 2);
  else
    packed_job(&j, 0, np);
}

/* gemmPacked(transA, M, N, K, alpha, A, lda, panels, beta, C, ldc): C = alpha op(A) op(B) +
 * beta C with op(B) from packB(_, K, N, ...). Refuses (true) A or C arrays that are not Float32Arrays
 * or are too short, and C rows that overlap (ldc < N with M > 1: the result would depend on the
 * order of the writes); the backend then runs the reference on the original B. */
static napi_value n_gemm_packed(napi_env env, napi_callback_info info) {
  BEGIN(11);
  int tA = flag(a, 0);
  size_t M = cnt(a, 1), N = cnt(a, 2), Kd = cnt(a, 3);
  double alpha = num(a, 4), beta = num(a, 8);
  size_t lda = cnt(a, 6), ldc = cnt(a, 10);
  CHECK;
  size_t kk = alpha == 0 ? 0 : Kd;
  size_t needA = tA ? extent(a, kk, M, lda) : extent(a, M, kk, lda);
  size_t needC = extent(a, M, N, ldc);
  size_t needP = panel_floats(a, N, Kd);
  float *Ap = f32(a, 5, needA, NULL), *Cp = f32(a, 9, needC, NULL);
  CHECK;
  if (M > 1 && N > 0 && ldc < N) return fallback(env);
  float *P = panels_arg(a, 7, needP, "gemmPacked");
  if (!P) return NULL;
  if (M == 0 || N == 0) return NULL;
  if (kk == 0) {
    scale_c(M, N, (float)beta, Cp, ldc);
    return NULL;
  }
  /* Rows of op(A) are read in place; a transposed A is copied into rows first (no caller of
   * recur passes one: the recurrent layers multiply h, not hᵀ). */
  float *At = NULL;
  if (tA) {
    At = (float *)malloc(mul(a, M, kk) * 4);
    if (!At) return fallback(env);
    for (size_t k = 0; k < kk; k++)
      for (size_t i = 0; i < M; i++) At[i * kk + k] = Ap[k * lda + i];
  }
  packed_run(M, N, kk, (float)alpha, tA ? At : Ap, tA ? kk : lda, P, (float)beta, Cp, ldc);
  free(At);
  return NULL;
}

/* ---- GEMM (gemm.h; products with few columns on the packed kernel) --------------------------- */

/* Products with few columns and many rows (the input projection's dX = dG W_ih, the output
 * projection's logits: N = 16..96, M >= 1024) run on the packed kernel, with op(B) packed on each
 * call: OpenBLAS reaches 35-80 GFLOP/s there against its 110-140 at 512^3, and the packed kernel
 * 1.05-2x that, packing included (docs/kernels.md, "Small-side products"). */
#define ROUTE_MAX_N 96
#define ROUTE_MIN_M 1024
/* Panels of at most this many floats (16 MiB) are packed; a longer K goes to OpenBLAS. */
#define ROUTE_MAX_PANEL_FLOATS ((size_t)1 << 22)

static _Atomic unsigned long long gemm_routed;

/* This thread's panel buffer for routed products, grown as needed and kept; NULL if too big. */
static float *route_panels(size_t floats) {
  static _Thread_local float *buf;
  static _Thread_local size_t cap;
  if (floats > ROUTE_MAX_PANEL_FLOATS) return NULL;
  if (floats > cap) {
    free(buf);
    cap = 0;
    if (posix_memalign((void **)&buf, 64, floats * 4) != 0) return buf = NULL;
    cap = floats;
  }
  return buf;
}

/* gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): C = alpha op(A) op(B) + beta C. */
static napi_value n_gemm(napi_env env, napi_callback_info info) {
  BEGIN(13);
  int tA = flag(a, 0), tB = flag(a, 1);
  size_t M = cnt(a, 2), N = cnt(a, 3), Kd = cnt(a, 4);
  double alpha = num(a, 5), beta = num(a, 10);
  size_t lda = cnt(a, 7), ldb = cnt(a, 9), ldc = cnt(a, 12);
  CHECK;
  size_t kk = alpha == 0 ? 0 : Kd;
  size_t needA = tA ? extent(a, kk, M, lda) : extent(a, M, kk, lda);
  size_t needB = tB ? extent(a, N, kk, ldb) : extent(a, kk, N, ldb);
  size_t needC = extent(a, M, N, ldc);
  float *Ap = f32(a, 6, needA, NULL), *Bp = f32(a, 8, needB, NULL), *Cp = f32(a, 11, needC, NULL);
  CHECK;
  if (!tA && kk > 0 && N > 0 && N <= ROUTE_MAX_N && M >= ROUTE_MIN_M && ldc >= N) {
    float *P = route_panels(panel_floats(a, N, kk));
    if (P) {
      K->pack_panels(tB, Bp, ldb, kk, N, P);
      packed_run(M, N, kk, (float)alpha, Ap, lda, P, (float)beta, Cp, ldc);
      atomic_fetch_add_explicit(&gemm_routed, 1, memory_order_relaxed);
      return NULL;
    }
  }
  if (blas_gemm(tA, tB, M, N, kk, (float)alpha, Ap, lda, Bp, ldb, (float)beta, Cp, ldc)) return fallback(env);
  return NULL;
}

/* ---- Elementwise ----------------------------------------------------------------------------- */

/* Calls that move at least PAR_MIN_FLOATS floats (elementwise ops, block copies) are cut into
 * PAR_ITEMS ranges shared between this thread and the packed products' worker, as the gates are:
 * one core did not reach the memory's bandwidth (docs/kernels.md, "Memory-bound calls on two
 * threads"). Every element is computed the same way whichever thread runs it. */
#define PAR_MIN_FLOATS ((size_t)1 << 17)
#define PAR_ITEMS 8

/* fn over units [s, e) of a call; arg is the call's own struct. */
typedef void (*range_fn)(const void *arg, size_t s, size_t e);
typedef struct {
  range_fn fn;
  const void *arg;
  size_t n, per;
} RangeJob;

static void range_job(void *p, size_t i0, size_t i1) {
  const RangeJob *j = (const RangeJob *)p;
  size_t s = i0 * j->per, e = i1 * j->per < j->n ? i1 * j->per : j->n;
  if (s < e) j->fn(j->arg, s, e);
}

/* Runs fn over units [0, n), `floats` the floats the whole call moves. */
static void run_ranges(size_t n, size_t floats, range_fn fn, const void *arg) {
  if (n >= 2 && floats >= PAR_MIN_FLOATS && atomic_load_explicit(&packed_threads, memory_order_relaxed) > 1) {
    size_t items = n < PAR_ITEMS ? n : PAR_ITEMS;
    RangeJob j = {fn, arg, n, (n + items - 1) / items};
    items = (n + j.per - 1) / j.per;
    rt_run2(range_job, &j, items, items / 2);
  } else if (n > 0) {
    fn(arg, 0, n);
  }
}

typedef struct {
  float alpha;
  const float *x;
  float *y;
} AxpyArgs;

static void axpy_range(const void *p, size_t s, size_t e) {
  const AxpyArgs *j = (const AxpyArgs *)p;
  K->axpy(j->alpha, j->x + s, j->y + s, e - s);
}

static napi_value n_axpy(napi_env env, napi_callback_info info) {
  BEGIN(3);
  float alpha = (float)num(a, 0);
  size_t n;
  float *x = f32(a, 1, 0, &n), *y = f32(a, 2, n, NULL);
  CHECK;
  AxpyArgs j = {alpha, x, y};
  run_ranges(n, 3 * n, axpy_range, &j);
  DONE;
}

static napi_value n_scale(napi_env env, napi_callback_info info) {
  BEGIN(3);
  float alpha = (float)num(a, 0);
  size_t n;
  float *x = f32(a, 1, 0, &n), *out = f32(a, 2, n, NULL);
  CHECK;
  K->scale(alpha, x, out, n);
  DONE;
}

static napi_value n_clamp(napi_env env, napi_callback_info info) {
  BEGIN(4);
  size_t n;
  float *x = f32(a, 0, 0, &n);
  float lo = (float)num(a, 1), hi = (float)num(a, 2);
  float *out = f32(a, 3, n, NULL);
  CHECK;
  K->clamp(x, lo, hi, out, n);
  DONE;
}

static napi_value n_unary(napi_env env, napi_callback_info info) {
  BEGIN(3);
  size_t op = cnt(a, 0);
  size_t n;
  float *out = f32(a, 2, 0, &n), *x = f32(a, 1, n, NULL);
  CHECK;
  if (op > U_ABS) return fallback(env);
  K->unary((int)op, x, out, n);
  DONE;
}

static napi_value n_unary_backward(napi_env env, napi_callback_info info) {
  BEGIN(5);
  size_t op = cnt(a, 0);
  size_t n;
  float *gx = f32(a, 4, 0, &n), *x = f32(a, 1, n, NULL), *y = f32(a, 2, n, NULL), *gy = f32(a, 3, n, NULL);
  CHECK;
  if (op > U_ABS) return fallback(env);
  K->unary_backward((int)op, x, y, gy, gx, n);
  DONE;
}

/* binary with both operands as long as the output (no repeat): elements [s, e). */
typedef struct {
  int op, acc;
  const float *a, *b;
  float *o;
} BinaryArgs;

static void binary_range(const void *p, size_t s, size_t e) {
  const BinaryArgs *j = (const BinaryArgs *)p;
  K->binary(j->op, j->a + s, e - s, 1, j->b + s, e - s, 1, j->o + s, e - s, j->acc);
}

/* binary(op, a, aRepeat, b, bRepeat, out, accumulate) */
static napi_value n_binary(napi_env env, napi_callback_info info) {
  BEGIN(7);
  size_t op = cnt(a, 0);
  size_t na, nb, n;
  float *pa = f32(a, 1, 0, &na);
  size_t ar = cnt(a, 2);
  float *pb = f32(a, 3, 0, &nb);
  size_t br = cnt(a, 4);
  float *po = f32(a, 5, 0, &n);
  int acc = flag(a, 6);
  CHECK;
  /* Empty operands against a non-empty output read `undefined` (NaN) in the reference. */
  if (op > B_MIN || ar == 0 || br == 0 || (n > 0 && (na == 0 || nb == 0))) return fallback(env);
  if (na == n && nb == n && ar == 1 && br == 1) {
    BinaryArgs j = {(int)op, acc, pa, pb, po};
    run_ranges(n, 3 * n, binary_range, &j);
  } else if (n > 0) K->binary((int)op, pa, na, ar, pb, nb, br, po, n, acc);
  return NULL;
}

/* sumToBroadcast(g, repeat, out, alpha) */
static napi_value n_sum_to_broadcast(napi_env env, napi_callback_info info) {
  BEGIN(4);
  size_t n, m;
  float *g = f32(a, 0, 0, &n);
  size_t r = cnt(a, 1);
  float *out = f32(a, 2, 0, &m);
  float alpha = (float)num(a, 3);
  CHECK;
  if (r == 0 || (n > 0 && m == 0)) return fallback(env);
  if (n > 0) K->sum_to_broadcast(g, n, r, out, m, alpha);
  return NULL;
}

/* ---- Reductions ------------------------------------------------------------------------------ */

/* reduce(op (0 sum, 1 max), x, outer, len, inner, out, argmax | null) */
static napi_value n_reduce(napi_env env, napi_callback_info info) {
  BEGIN(7);
  size_t op = cnt(a, 0), outer = cnt(a, 2), len = cnt(a, 3), inner = cnt(a, 4);
  size_t oi = mul(a, outer, inner), n = mul(a, oi, len);
  float *x = f32(a, 1, n, NULL), *out = f32(a, 5, oi, NULL);
  int32_t *am = NULL;
  if (op == 1 && !is_null(a, 6)) am = i32(a, 6, oi, NULL);
  CHECK;
  if (op == 0) K->reduce_sum(x, outer, len, inner, out);
  else if (op == 1) K->reduce_max(x, outer, len, inner, out, am);
  else return fallback(env);
  return NULL;
}

/* broadcastAxis(gy, outer, len, inner, gx, alpha) */
static napi_value n_broadcast_axis(napi_env env, napi_callback_info info) {
  BEGIN(6);
  size_t outer = cnt(a, 1), len = cnt(a, 2), inner = cnt(a, 3);
  size_t oi = mul(a, outer, inner), n = mul(a, oi, len);
  float *gy = f32(a, 0, oi, NULL), *gx = f32(a, 4, n, NULL);
  float alpha = (float)num(a, 5);
  CHECK;
  K->broadcast_axis(gy, outer, len, inner, gx, alpha);
  return NULL;
}

/* scatterArgmax(gy, argmax, outer, len, inner, gx) */
static napi_value n_scatter_argmax(napi_env env, napi_callback_info info) {
  BEGIN(6);
  size_t outer = cnt(a, 2), len = cnt(a, 3), inner = cnt(a, 4);
  size_t oi = mul(a, outer, inner), n = mul(a, oi, len);
  float *gy = f32(a, 0, oi, NULL), *gx = f32(a, 5, n, NULL);
  int32_t *am = i32(a, 1, oi, NULL);
  CHECK;
  for (size_t i = 0; i < oi; i++)
    if (!(am[i] >= 0 && (size_t)am[i] < len)) return fallback(env);
  K->scatter_argmax(gy, am, outer, len, inner, gx);
  return NULL;
}

static napi_value n_sum_squares(napi_env env, napi_callback_info info) {
  BEGIN(1);
  size_t n;
  float *x = f32(a, 0, 0, &n);
  if (a->bad) return NULL;
  napi_value out;
  napi_create_double(env, K->sum_squares(x, n), &out);
  return out;
}

static napi_value n_max_abs(napi_env env, napi_callback_info info) {
  BEGIN(1);
  size_t n;
  float *x = f32(a, 0, 0, &n);
  if (a->bad) return NULL;
  napi_value out;
  napi_create_double(env, (double)K->max_abs(x, n), &out);
  return out;
}

/* softmax(x, rows, n, out, log) */
static napi_value n_softmax(napi_env env, napi_callback_info info) {
  BEGIN(5);
  size_t rows = cnt(a, 1), n = cnt(a, 2), rn = mul(a, rows, n);
  float *x = f32(a, 0, rn, NULL), *out = f32(a, 3, rn, NULL);
  int lg = flag(a, 4);
  CHECK;
  K->softmax(x, rows, n, out, lg);
  return NULL;
}

/* softmaxBackward(y, gy, rows, n, gx, log) */
static napi_value n_softmax_backward(napi_env env, napi_callback_info info) {
  BEGIN(6);
  size_t rows = cnt(a, 2), n = cnt(a, 3), rn = mul(a, rows, n);
  float *y = f32(a, 0, rn, NULL), *gy = f32(a, 1, rn, NULL), *gx = f32(a, 4, rn, NULL);
  int lg = flag(a, 5);
  CHECK;
  K->softmax_backward(y, gy, rows, n, gx, lg);
  return NULL;
}

/* ---- Indexing and copies --------------------------------------------------------------------- */

/* Every index selects a whole row of width d inside a table of `size` elements. */
static int indices_fit(const int32_t *idx, size_t n, size_t d, size_t size) {
  for (size_t i = 0; i < n; i++) {
    if (idx[i] < 0) return 0;
    if (d != 0 && (size_t)idx[i] >= size / d) return 0;
  }
  return 1;
}

/* gatherRows(table, d, idx, out) */
static napi_value n_gather_rows(napi_env env, napi_callback_info info) {
  BEGIN(4);
  size_t tn, r;
  float *table = f32(a, 0, 0, &tn);
  size_t d = cnt(a, 1);
  int32_t *idx = i32(a, 2, 0, &r);
  float *out = f32(a, 3, mul(a, r, d), NULL);
  CHECK;
  if (!indices_fit(idx, r, d, tn)) return fallback(env);
  K->gather_rows(table, d, idx, r, out);
  return NULL;
}

/* scatterAddRows(src, d, idx, table) */
static napi_value n_scatter_add_rows(napi_env env, napi_callback_info info) {
  BEGIN(4);
  size_t tn, r;
  size_t d = cnt(a, 1);
  int32_t *idx = i32(a, 2, 0, &r);
  float *src = f32(a, 0, mul(a, r, d), NULL);
  float *table = f32(a, 3, 0, &tn);
  CHECK;
  if (!indices_fit(idx, r, d, tn)) return fallback(env);
  K->scatter_add_rows(src, d, idx, r, table);
  return NULL;
}

/* copyBlocks over blocks [s, e). */
typedef struct {
  const float *src;
  float *dst;
  size_t sStride, dStride, len;
  int acc;
} CopyBlocksArgs;

static void copy_blocks_range(const void *p, size_t s, size_t e) {
  const CopyBlocksArgs *j = (const CopyBlocksArgs *)p;
  K->copy_blocks(j->src + s * j->sStride, j->sStride, j->dst + s * j->dStride, j->dStride, j->len, e - s, j->acc);
}

/* copyBlocks(src, sOff, sStride, dst, dOff, dStride, len, count, accumulate) */
static napi_value n_copy_blocks(napi_env env, napi_callback_info info) {
  BEGIN(9);
  size_t sOff = cnt(a, 1), sStride = cnt(a, 2), dOff = cnt(a, 4), dStride = cnt(a, 5), len = cnt(a, 6), count = cnt(a, 7);
  int acc = flag(a, 8);
  CHECK;
  int empty = len == 0 || count == 0;
  float *src = f32(a, 0, empty ? 0 : sOff + extent(a, count, len, sStride), NULL);
  float *dst = f32(a, 3, empty ? 0 : dOff + extent(a, count, len, dStride), NULL);
  CHECK;
  if (!empty) {
    CopyBlocksArgs j = {src + sOff, dst + dOff, sStride, dStride, len, acc};
    /* Overlapping source and destination keep the one-thread order of the blocks. */
    const float *s0 = src + sOff, *s1 = s0 + extent(a, count, len, sStride), *d0 = dst + dOff, *d1 = d0 + extent(a, count, len, dStride);
    int disjoint = s1 <= d0 || d1 <= s0;
    run_ranges(count, disjoint ? (acc ? 3 : 2) * len * count : 0, copy_blocks_range, &j);
  }
  return NULL;
}

/* swapAxes(x, outer, A, mid, B, inner, out, accumulate) */
static napi_value n_swap_axes(napi_env env, napi_callback_info info) {
  BEGIN(8);
  size_t outer = cnt(a, 1), A = cnt(a, 2), mid = cnt(a, 3), B = cnt(a, 4), inner = cnt(a, 5);
  size_t n = mul(a, mul(a, mul(a, mul(a, outer, A), mid), B), inner);
  float *x = f32(a, 0, n, NULL), *out = f32(a, 6, n, NULL);
  int acc = flag(a, 7);
  CHECK;
  K->swap_axes(x, outer, A, mid, B, inner, out, acc);
  return NULL;
}

/* where(cond, a, b, out) */
static napi_value n_where(napi_env env, napi_callback_info info) {
  BEGIN(4);
  size_t n;
  float *out = f32(a, 3, 0, &n), *c = f32(a, 0, n, NULL), *pa = f32(a, 1, n, NULL), *pb = f32(a, 2, n, NULL);
  CHECK;
  K->where(c, pa, pb, out, n);
  return NULL;
}

/* whereBackward(cond, gy, gx, pick) */
static napi_value n_where_backward(napi_env env, napi_callback_info info) {
  BEGIN(4);
  size_t n;
  float *gx = f32(a, 2, 0, &n), *c = f32(a, 0, n, NULL), *gy = f32(a, 1, n, NULL);
  int pick = flag(a, 3);
  CHECK;
  K->where_backward(c, gy, gx, n, pick);
  return NULL;
}

/* ---- Layer norm ------------------------------------------------------------------------------ */

/* layerNorm(x, rows, n, gamma|null, beta|null, eps, out, mean, rstd) */
static napi_value n_layer_norm(napi_env env, napi_callback_info info) {
  BEGIN(9);
  size_t rows = cnt(a, 1), n = cnt(a, 2), rn = mul(a, rows, n);
  float *x = f32(a, 0, rn, NULL), *gamma = f32opt(a, 3, n), *beta = f32opt(a, 4, n);
  float eps = (float)num(a, 5);
  float *out = f32(a, 6, rn, NULL), *mean = f32(a, 7, rows, NULL), *rstd = f32(a, 8, rows, NULL);
  CHECK;
  K->layer_norm(x, rows, n, gamma, beta, eps, out, mean, rstd);
  return NULL;
}

/* layerNormBackward(x, gy, rows, n, gamma|null, mean, rstd, gx|null, gGamma|null, gBeta|null) */
static napi_value n_layer_norm_backward(napi_env env, napi_callback_info info) {
  BEGIN(10);
  size_t rows = cnt(a, 2), n = cnt(a, 3), rn = mul(a, rows, n);
  float *x = f32(a, 0, rn, NULL), *gy = f32(a, 1, rn, NULL), *gamma = f32opt(a, 4, n);
  float *mean = f32(a, 5, rows, NULL), *rstd = f32(a, 6, rows, NULL);
  float *gx = f32opt(a, 7, rn), *gg = f32opt(a, 8, n), *gb = f32opt(a, 9, n);
  CHECK;
  K->layer_norm_backward(x, gy, rows, n, gamma, mean, rstd, gx, gg, gb);
  return NULL;
}

/* ---- Optimisers ------------------------------------------------------------------------------ */

/* adamStep(p, g, m, v, vmax|null, beta1, beta2, stepSize, bc2sqrt, eps, decay, l2) */
static napi_value n_adam_step(napi_env env, napi_callback_info info) {
  BEGIN(12);
  size_t n;
  float *p = f32(a, 0, 0, &n), *g = f32(a, 1, n, NULL), *m = f32(a, 2, n, NULL), *v = f32(a, 3, n, NULL);
  float *vmax = f32opt(a, 4, n);
  float b1 = (float)num(a, 5), b2 = (float)num(a, 6), step = (float)num(a, 7), bc2 = (float)num(a, 8);
  float eps = (float)num(a, 9), decay = (float)num(a, 10), l2 = (float)num(a, 11);
  CHECK;
  K->adam_step(p, g, m, v, vmax, n, b1, b2, step, bc2, eps, decay, l2);
  return NULL;
}

/* rmspropStep(p, g, squareAvg, gradAvg|null, momentumBuffer|null, lr, alpha, eps, weightDecay, momentum) */
static napi_value n_rmsprop_step(napi_env env, napi_callback_info info) {
  BEGIN(10);
  size_t n;
  float *p = f32(a, 0, 0, &n), *g = f32(a, 1, n, NULL), *sq = f32(a, 2, n, NULL);
  float *ga = f32opt(a, 3, n), *buf = f32opt(a, 4, n);
  float lr = (float)num(a, 5), alpha = (float)num(a, 6), eps = (float)num(a, 7), wd = (float)num(a, 8), mom = (float)num(a, 9);
  CHECK;
  K->rmsprop_step(p, g, sq, ga, buf, n, lr, alpha, eps, wd, mom);
  return NULL;
}

/* adagradStep(p, g, sum, clr, weightDecay, eps) */
static napi_value n_adagrad_step(napi_env env, napi_callback_info info) {
  BEGIN(6);
  size_t n;
  float *p = f32(a, 0, 0, &n), *g = f32(a, 1, n, NULL), *s = f32(a, 2, n, NULL);
  float clr = (float)num(a, 3), wd = (float)num(a, 4), eps = (float)num(a, 5);
  CHECK;
  K->adagrad_step(p, g, s, n, clr, wd, eps);
  return NULL;
}

/* ---- Fused recurrent gates ------------------------------------------------------------------- */
/* Sizes: S = rows*H for state arrays, rows*G for gate arrays (G = H, 4H or 3H).
 *
 * Rows are independent, so a call of at least GATES_PAR_MIN elements is split by rows between
 * this thread and the packed products' worker (threads.c), as those products are. Besides halving
 * the gates, it keeps the worker spinning from one time step's product to the next: a gates call
 * on this thread alone lasts longer than the worker's spin, and waking it costs ~20 us of a
 * ~110 us product (docs/kernels.md). Each row is computed the same way whichever thread runs it,
 * so the result does not depend on the split. */
#define GATES_PAR_MIN 4096
#define GATES_ITEMS 8

enum { G_RNN_F, G_RNN_B, G_LSTM_F, G_LSTM_B, G_GRU_F, G_GRU_B, G_RB_GATES, G_RB_OUT, G_RB_OUT_B, G_RB_GATES_B };

/* One gates call: its arrays in argument order, each with its floats per row (0: not per row,
 * as the GRU's b_hn). */
typedef struct {
  int op, relu;
  size_t rows, H, per;
  float *p[7];
  size_t w[7];
} GatesJob;

/* Items [i0, i1) of a GatesJob: rows [i0*per, i1*per) (clipped to rows). */
static void gates_job(void *arg, size_t i0, size_t i1) {
  const GatesJob *j = (const GatesJob *)arg;
  size_t r0 = i0 * j->per, r1 = i1 * j->per < j->rows ? i1 * j->per : j->rows;
  if (r0 >= r1) return;
  float *q[7];
  for (int i = 0; i < 7; i++) q[i] = j->p[i] ? j->p[i] + r0 * j->w[i] : NULL;
  size_t n = r1 - r0, H = j->H;
  switch (j->op) {
    case G_RNN_F: K->rnn_forward(j->relu, n, H, q[0], q[1], q[2]); break;
    case G_RNN_B: K->rnn_backward(j->relu, n, H, q[0], q[1], q[2]); break;
    case G_LSTM_F: K->lstm_forward(n, H, q[0], q[1], q[2], q[3], q[4], q[5]); break;
    case G_LSTM_B: K->lstm_backward(n, H, q[0], q[1], q[2], q[3], q[4], q[5], q[6]); break;
    case G_GRU_F: K->gru_forward(n, H, q[0], q[1], j->p[2], q[3], q[4], q[5], q[6]); break;
    case G_GRU_B: K->gru_backward(n, H, q[0], q[1], q[2], q[3], q[4], q[5], q[6]); break;
    case G_RB_GATES: K->gru_rb_gates(n, H, q[0], q[1], q[2], q[3], q[4]); break;
    case G_RB_OUT: K->gru_rb_output(n, H, q[0], q[1], q[2], q[3], q[4]); break;
    case G_RB_OUT_B: K->gru_rb_output_backward(n, H, q[0], q[1], q[2], q[3], q[4]); break;
    case G_RB_GATES_B: K->gru_rb_gates_backward(n, H, q[0], q[1], q[2], q[3], q[4]); break;
    default: break;
  }
}

/* Runs a gates call with `count` arrays; `widths` gives each array's floats per row in units of
 * H (4 for LSTM gate arrays, 3 for GRU, 1 for states, 0 for per-unit arrays). */
static void run_gates(int op, int relu, size_t rows, size_t H, int count, float *const *arrays, const int *widths) {
  GatesJob j = {op, relu, rows, H, 1, {NULL}, {0}};
  for (int i = 0; i < count; i++) {
    j.p[i] = arrays[i];
    j.w[i] = (size_t)widths[i] * H;
  }
  if (atomic_load_explicit(&packed_threads, memory_order_relaxed) > 1 && rows >= 2 && rows * H >= GATES_PAR_MIN) {
    j.per = (rows + GATES_ITEMS - 1) / GATES_ITEMS;
    size_t n = (rows + j.per - 1) / j.per;
    rt_run2(gates_job, &j, n, n / 2);
  } else {
    j.per = rows;
    gates_job(&j, 0, 1);
  }
}

/* rnnGatesForward(relu, rows, H, xg, hg, h) */
static napi_value n_rnn_forward(napi_env env, napi_callback_info info) {
  BEGIN(6);
  int relu = flag(a, 0);
  size_t rows = cnt(a, 1), H = cnt(a, 2), S = mul(a, rows, H);
  float *xg = f32(a, 3, S, NULL), *hg = f32(a, 4, S, NULL), *h = f32(a, 5, S, NULL);
  CHECK;
  run_gates(G_RNN_F, relu, rows, H, 3, (float *[]){xg, hg, h}, (const int[]){1, 1, 1});
  return NULL;
}

/* rnnGatesBackward(relu, rows, H, h, dh, dpre) */
static napi_value n_rnn_backward(napi_env env, napi_callback_info info) {
  BEGIN(6);
  int relu = flag(a, 0);
  size_t rows = cnt(a, 1), H = cnt(a, 2), S = mul(a, rows, H);
  float *h = f32(a, 3, S, NULL), *dh = f32(a, 4, S, NULL), *dp = f32(a, 5, S, NULL);
  CHECK;
  run_gates(G_RNN_B, relu, rows, H, 3, (float *[]){h, dh, dp}, (const int[]){1, 1, 1});
  return NULL;
}

/* lstmGatesForward(rows, H, xg, hg, cPrev, gates, c, m) */
static napi_value n_lstm_forward(napi_env env, napi_callback_info info) {
  BEGIN(8);
  size_t rows = cnt(a, 0), H = cnt(a, 1), S = mul(a, rows, H), Gs = mul(a, S, 4);
  float *xg = f32(a, 2, Gs, NULL), *hg = f32(a, 3, Gs, NULL), *cp = f32(a, 4, S, NULL);
  float *gates = f32(a, 5, Gs, NULL), *c = f32(a, 6, S, NULL), *m = f32(a, 7, S, NULL);
  CHECK;
  run_gates(G_LSTM_F, 0, rows, H, 6, (float *[]){xg, hg, cp, gates, c, m}, (const int[]){4, 4, 1, 4, 1, 1});
  return NULL;
}

/* lstmGatesBackward(rows, H, gates, cPrev, c, dm, dc, dGates, dcPrev) */
static napi_value n_lstm_backward(napi_env env, napi_callback_info info) {
  BEGIN(9);
  size_t rows = cnt(a, 0), H = cnt(a, 1), S = mul(a, rows, H), Gs = mul(a, S, 4);
  float *gates = f32(a, 2, Gs, NULL), *cp = f32(a, 3, S, NULL), *c = f32(a, 4, S, NULL);
  float *dm = f32(a, 5, S, NULL), *dc = f32(a, 6, S, NULL), *dG = f32(a, 7, Gs, NULL), *dcp = f32(a, 8, S, NULL);
  CHECK;
  run_gates(G_LSTM_B, 0, rows, H, 7, (float *[]){gates, cp, c, dm, dc, dG, dcp}, (const int[]){4, 1, 1, 1, 1, 4, 1});
  return NULL;
}

/* gruGatesForward(rows, H, xg, hg, bhn|null, hPrev, gates, hn, h) */
static napi_value n_gru_forward(napi_env env, napi_callback_info info) {
  BEGIN(9);
  size_t rows = cnt(a, 0), H = cnt(a, 1), S = mul(a, rows, H), Gs = mul(a, S, 3);
  float *xg = f32(a, 2, Gs, NULL), *hg = f32(a, 3, Gs, NULL), *bhn = f32opt(a, 4, H), *hp = f32(a, 5, S, NULL);
  float *gates = f32(a, 6, Gs, NULL), *hn = f32(a, 7, S, NULL), *h = f32(a, 8, S, NULL);
  CHECK;
  run_gates(G_GRU_F, 0, rows, H, 7, (float *[]){xg, hg, bhn, hp, gates, hn, h}, (const int[]){3, 3, 0, 1, 3, 1, 1});
  return NULL;
}

/* gruGatesBackward(rows, H, gates, hn, hPrev, dh, dGx, dGh, dhPrev) */
static napi_value n_gru_backward(napi_env env, napi_callback_info info) {
  BEGIN(9);
  size_t rows = cnt(a, 0), H = cnt(a, 1), S = mul(a, rows, H), Gs = mul(a, S, 3);
  float *gates = f32(a, 2, Gs, NULL), *hn = f32(a, 3, S, NULL), *hp = f32(a, 4, S, NULL), *dh = f32(a, 5, S, NULL);
  float *dgx = f32(a, 6, Gs, NULL), *dgh = f32(a, 7, Gs, NULL), *dhp = f32(a, 8, S, NULL);
  CHECK;
  run_gates(G_GRU_B, 0, rows, H, 7, (float *[]){gates, hn, hp, dh, dgx, dgh, dhp}, (const int[]){3, 1, 1, 1, 3, 3, 1});
  return NULL;
}

/* gruResetBeforeGates(rows, H, xg, hg, hPrev, gates, rh) */
static napi_value n_gru_rb_gates(napi_env env, napi_callback_info info) {
  BEGIN(7);
  size_t rows = cnt(a, 0), H = cnt(a, 1), S = mul(a, rows, H), Gs = mul(a, S, 3);
  float *xg = f32(a, 2, Gs, NULL), *hg = f32(a, 3, Gs, NULL), *hp = f32(a, 4, S, NULL);
  float *gates = f32(a, 5, Gs, NULL), *rh = f32(a, 6, S, NULL);
  CHECK;
  run_gates(G_RB_GATES, 0, rows, H, 5, (float *[]){xg, hg, hp, gates, rh}, (const int[]){3, 3, 1, 3, 1});
  return NULL;
}

/* gruResetBeforeOutput(rows, H, xg, hg, hPrev, gates, h) */
static napi_value n_gru_rb_output(napi_env env, napi_callback_info info) {
  BEGIN(7);
  size_t rows = cnt(a, 0), H = cnt(a, 1), S = mul(a, rows, H), Gs = mul(a, S, 3);
  float *xg = f32(a, 2, Gs, NULL), *hg = f32(a, 3, Gs, NULL), *hp = f32(a, 4, S, NULL);
  float *gates = f32(a, 5, Gs, NULL), *h = f32(a, 6, S, NULL);
  CHECK;
  run_gates(G_RB_OUT, 0, rows, H, 5, (float *[]){xg, hg, hp, gates, h}, (const int[]){3, 3, 1, 3, 1});
  return NULL;
}

/* gruResetBeforeOutputBackward(rows, H, gates, hPrev, dh, dG, dhPrev) */
static napi_value n_gru_rb_output_backward(napi_env env, napi_callback_info info) {
  BEGIN(7);
  size_t rows = cnt(a, 0), H = cnt(a, 1), S = mul(a, rows, H), Gs = mul(a, S, 3);
  float *gates = f32(a, 2, Gs, NULL), *hp = f32(a, 3, S, NULL), *dh = f32(a, 4, S, NULL);
  float *dG = f32(a, 5, Gs, NULL), *dhp = f32(a, 6, S, NULL);
  CHECK;
  run_gates(G_RB_OUT_B, 0, rows, H, 5, (float *[]){gates, hp, dh, dG, dhp}, (const int[]){3, 1, 1, 3, 1});
  return NULL;
}

/* gruResetBeforeGatesBackward(rows, H, gates, hPrev, drh, dG, dhPrev) */
static napi_value n_gru_rb_gates_backward(napi_env env, napi_callback_info info) {
  BEGIN(7);
  size_t rows = cnt(a, 0), H = cnt(a, 1), S = mul(a, rows, H), Gs = mul(a, S, 3);
  float *gates = f32(a, 2, Gs, NULL), *hp = f32(a, 3, S, NULL), *drh = f32(a, 4, S, NULL);
  float *dG = f32(a, 5, Gs, NULL), *dhp = f32(a, 6, S, NULL);
  CHECK;
  run_gates(G_RB_GATES_B, 0, rows, H, 5, (float *[]){gates, hp, drh, dG, dhp}, (const int[]){3, 1, 1, 3, 1});
  return NULL;
}

/* ---- Attention ------------------------------------------------------------------------------ */

/* bmv(trans, batch, M, N, A, x, y, accumulate) */
static napi_value n_bmv(napi_env env, napi_callback_info info) {
  BEGIN(8);
  int trans = flag(a, 0);
  size_t batch = cnt(a, 1), M = cnt(a, 2), N = cnt(a, 3);
  size_t bm = mul(a, batch, M), bn = mul(a, batch, N);
  float *A = f32(a, 4, mul(a, bm, N), NULL), *x = f32(a, 5, trans ? bm : bn, NULL), *y = f32(a, 6, trans ? bn : bm, NULL);
  int acc = flag(a, 7);
  CHECK;
  K->bmv(trans, batch, M, N, A, x, y, acc);
  return NULL;
}

/* bger(batch, M, N, x, y, A) */
static napi_value n_bger(napi_env env, napi_callback_info info) {
  BEGIN(6);
  size_t batch = cnt(a, 0), M = cnt(a, 1), N = cnt(a, 2);
  size_t bm = mul(a, batch, M), bn = mul(a, batch, N);
  float *x = f32(a, 3, bm, NULL), *y = f32(a, 4, bn, NULL), *A = f32(a, 5, mul(a, bm, N), NULL);
  CHECK;
  K->bger(batch, M, N, x, y, A);
  return NULL;
}

/* ---- CTC forward-backward (contract: src/kernels/ctc-types.ts; native/src/ctc.h) ------------- */

/* The arguments both CTC kernels share: sizes, labels, lengths, blank, logProbs, alpha and nll. */
typedef struct {
  size_t T, B, C, S;
  int32_t *tg, *il, *tl;
  int blank;
  float *lp, *alpha, *nll;
} CtcArgs;

/* Reads and checks them (as ctcCallInRange): counts, array lengths, lengths in range, labels in [0, C). */
static void ctc_args(Args *a, CtcArgs *c) {
  c->T = cnt(a, 0); c->B = cnt(a, 1); c->C = cnt(a, 2); c->S = cnt(a, 3);
  c->tg = i32(a, 5, mul(a, c->B, c->S), NULL);
  c->il = i32(a, 6, c->B, NULL);
  c->tl = i32(a, 7, c->B, NULL);
  size_t bl = cnt(a, 8);
  c->blank = (int)bl;
  if (a->bad || bl >= c->C || mul(a, mul(a, c->T, c->B), c->C) >= LIMIT || mul(a, mul(a, c->B, c->T), 2 * c->S + 2) >= LIMIT) { a->bad = 1; return; }
  for (size_t b = 0; b < c->B; b++) {
    int32_t Tb = c->il[b], L = c->tl[b];
    if (Tb < 1 || (size_t)Tb > c->T || L < 0 || (size_t)L > c->S) { a->bad = 1; return; }
    for (int32_t j = 0; j < L; j++) {
      int32_t l = c->tg[b * c->S + (size_t)j];
      if (l < 0 || (size_t)l >= c->C) { a->bad = 1; return; }
    }
  }
  c->lp = f32(a, 4, c->T * c->B * c->C, NULL);
  c->alpha = f32(a, 9, c->B * c->T * (2 * c->S + 2), NULL);
  c->nll = f32(a, 10, c->B, NULL);
}

/* ctcForward(T, B, C, S, lp, targets, inputLengths, targetLengths, blank, alpha, nll) */
static napi_value n_ctc_forward(napi_env env, napi_callback_info info) {
  BEGIN(11);
  CtcArgs c;
  ctc_args(a, &c);
  CHECK;
  K->ctc_forward(c.T, c.B, c.C, c.S, c.lp, c.tg, c.il, c.tl, c.blank, c.alpha, c.nll);
  return NULL;
}

/* ctcBackward(T, B, C, S, lp, targets, inputLengths, targetLengths, blank, alpha, nll, gNll, zeroInfinity, beta, gLp) */
static napi_value n_ctc_backward(napi_env env, napi_callback_info info) {
  BEGIN(15);
  CtcArgs c;
  ctc_args(a, &c);
  float *g = f32(a, 11, c.B, NULL), *beta = f32(a, 13, c.B * c.T * (2 * c.S + 2), NULL), *glp = f32(a, 14, c.T * c.B * c.C, NULL);
  int zi = flag(a, 12);
  CHECK;
  K->ctc_backward(c.T, c.B, c.C, c.S, c.lp, c.tg, c.il, c.tl, c.blank, c.alpha, c.nll, g, zi, beta, glp);
  return NULL;
}

/* ---- Random draws (random.h) ----------------------------------------------------------------- */

/* bernoulliScaled(state: Uint32Array of >= 4, keep, out) */
static napi_value n_bernoulli_scaled(napi_env env, napi_callback_info info) {
  BEGIN(3);
  size_t slen = 0, n;
  uint32_t *state = (uint32_t *)typed(a, 0, napi_uint32_array, &slen);
  if (!a->bad && slen < 4) a->bad = 1;
  double keep = num(a, 1);
  float *out = f32(a, 2, 0, &n);
  CHECK;
  K->bernoulli_scaled(state, keep, out, n);
  return NULL;
}

/* ---- Int8 matrix-vector product (contract: types.ts qgemv) ---------------------------------- */

/* qgemv(N, K, W: Int8Array, scale, x, beta, y). The int16 activations go to a stack buffer, or a
 * heap one for very long inputs. */
static napi_value n_qgemv(napi_env env, napi_callback_info info) {
  BEGIN(7);
  size_t N = cnt(a, 0), Kd = cnt(a, 1);
  size_t wlen = 0;
  const int8_t *W = (const int8_t *)typed(a, 2, napi_int8_array, &wlen);
  size_t nk = mul(a, N, Kd);
  if (!a->bad && wlen < nk) a->bad = 1;
  float *scale = f32(a, 3, N, NULL), *x = f32(a, 4, Kd, NULL);
  double beta = num(a, 5);
  float *y = f32(a, 6, N, NULL);
  CHECK;
  int16_t stackbuf[4096];
  int16_t *xq = Kd <= 4096 ? stackbuf : (int16_t *)malloc(Kd * sizeof(int16_t));
  if (!xq) return fallback(env);
  K->qgemv(N, Kd, W, scale, x, (float)beta, y, xq);
  if (xq != stackbuf) free(xq);
  return NULL;
}

/* ---- Configuration --------------------------------------------------------------------------- */

static int cpu_has_avx2(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return 0;
#endif
}

/* setVariant('avx2' | 'base'): returns whether that build is usable here (and now active). */
static napi_value n_set_variant(napi_env env, napi_callback_info info) {
  BEGIN(1);
  char name[16] = {0};
  size_t len = 0;
  napi_value out;
  int ok = 0;
  if (!a->bad && napi_get_value_string_utf8(env, a->argv[0], name, sizeof name, &len) == napi_ok) {
    if (strcmp(name, "base") == 0) { K = &rk_table_base; variant = "base"; ok = 1; }
#if defined(__x86_64__)
    else if (strcmp(name, "avx2") == 0 && cpu_has_avx2()) { K = &rk_table_avx2; variant = "avx2"; ok = 1; }
#endif
  }
  napi_get_boolean(env, ok, &out);
  return out;
}

/* setThreads(n): OpenBLAS threads, and the packed products' (2 from n >= 2: one worker). */
static napi_value n_set_threads(napi_env env, napi_callback_info info) {
  BEGIN(1);
  size_t n = cnt(a, 0);
  if (!a->bad && n >= 1) {
    openblas_set_num_threads((int)n);
    atomic_store(&packed_threads, n >= 2 ? 2 : 1);
  }
  return NULL;
}

/* OPENBLAS_THREAD_TIMEOUT as OpenBLAS read it when it loaded, just before this addon ("": unset). */
static char blas_thread_timeout[16];

/* info(): { variant, threads, blasConfig, blasCore, blasThreadTimeout, packedThreads, packedSplits,
 * packedWorkerPanels, gemmPackedRoutes } */
static napi_value n_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_string_utf8(env, variant, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "variant", v);
  napi_create_int32(env, openblas_get_num_threads(), &v);
  napi_set_named_property(env, o, "threads", v);
  const char *cfg = openblas_get_config();
  napi_create_string_utf8(env, cfg ? cfg : "", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "blasConfig", v);
  const char *core = openblas_get_corename();
  napi_create_string_utf8(env, core ? core : "", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "blasCore", v);
  napi_create_string_utf8(env, blas_thread_timeout, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "blasThreadTimeout", v);
  RtStats rs = rt_stats();
  napi_create_int32(env, atomic_load(&packed_threads), &v);
  napi_set_named_property(env, o, "packedThreads", v);
  napi_create_double(env, rs.splits, &v);
  napi_set_named_property(env, o, "packedSplits", v);
  napi_create_double(env, rs.worker_items, &v);
  napi_set_named_property(env, o, "packedWorkerPanels", v);
  napi_create_double(env, (double)atomic_load(&gemm_routed), &v);
  napi_set_named_property(env, o, "gemmPackedRoutes", v);
  return o;
}

NAPI_MODULE_INIT() {
  const char *tt = getenv("OPENBLAS_THREAD_TIMEOUT");
  snprintf(blas_thread_timeout, sizeof blas_thread_timeout, "%s", tt ? tt : "");
  /* Until setThreads: as many as OpenBLAS starts with (its cores, or OPENBLAS_NUM_THREADS), at most 2. */
  atomic_store(&packed_threads, openblas_get_num_threads() >= 2 ? 2 : 1);
  if (cpu_has_avx2()) {
#if defined(__x86_64__)
    K = &rk_table_avx2;
    variant = "avx2";
#endif
  }
  static const struct { const char *name; napi_callback fn; } fns[] = {
    {"alloc", n_alloc}, {"free", n_free}, {"poolStats", n_pool_stats}, {"setPoolCap", n_set_pool_cap},
    {"addressMod64", n_address_mod64}, {"gemm", n_gemm}, {"packB", n_pack_b}, {"gemmPacked", n_gemm_packed},
    {"axpy", n_axpy}, {"scale", n_scale}, {"clamp", n_clamp}, {"unary", n_unary},
    {"unaryBackward", n_unary_backward}, {"binary", n_binary}, {"sumToBroadcast", n_sum_to_broadcast},
    {"reduce", n_reduce}, {"broadcastAxis", n_broadcast_axis}, {"scatterArgmax", n_scatter_argmax},
    {"sumSquares", n_sum_squares}, {"maxAbs", n_max_abs}, {"softmax", n_softmax},
    {"softmaxBackward", n_softmax_backward}, {"gatherRows", n_gather_rows},
    {"scatterAddRows", n_scatter_add_rows}, {"copyBlocks", n_copy_blocks}, {"swapAxes", n_swap_axes},
    {"where", n_where}, {"whereBackward", n_where_backward}, {"layerNorm", n_layer_norm},
    {"layerNormBackward", n_layer_norm_backward}, {"adamStep", n_adam_step},
    {"rmspropStep", n_rmsprop_step}, {"adagradStep", n_adagrad_step},
    {"rnnGatesForward", n_rnn_forward}, {"rnnGatesBackward", n_rnn_backward},
    {"lstmGatesForward", n_lstm_forward}, {"lstmGatesBackward", n_lstm_backward},
    {"gruGatesForward", n_gru_forward}, {"gruGatesBackward", n_gru_backward},
    {"gruResetBeforeGates", n_gru_rb_gates}, {"gruResetBeforeOutput", n_gru_rb_output},
    {"gruResetBeforeOutputBackward", n_gru_rb_output_backward},
    {"gruResetBeforeGatesBackward", n_gru_rb_gates_backward}, {"bmv", n_bmv}, {"bger", n_bger},
    {"qgemv", n_qgemv}, {"bernoulliScaled", n_bernoulli_scaled}, {"ctcForward", n_ctc_forward}, {"ctcBackward", n_ctc_backward},
    {"setVariant", n_set_variant}, {"setThreads", n_set_threads}, {"info", n_info},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, fns[i].name, f) != napi_ok) return NULL;
  }
  return exports;
}
