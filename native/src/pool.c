/*
 * Storage pool for `alloc`: tensor storage is freed only when V8 collects the array, and a
 * freshly malloc'ed block of a few MB is fresh pages from the kernel, zeroed on first touch.
 * Training allocates the same sizes every step, so returning collected blocks to the OS and
 * faulting new ones in costed the native GRU benchmark ~40% of its step time (page faults are
 * expensive in a VM). Collected blocks go to per-size-class free lists instead and are
 * reused, zeroed with memset, by the next allocation of their class (not for `empty`, whose
 * caller writes every element: docs/kernels.md, "Storage that is not zero-filled").
 *
 * Size classes: multiples of 64 bytes up to 1 KiB, then 8 classes per power of two (at most
 * 12.5% slack), so variable-length batches still reuse each other's blocks. The lists hold at
 * most `cap` bytes (RECUR_NATIVE_POOL_MB, default 512); beyond that a collected block is freed.
 *
 * Everything here runs on the JS thread: N-API calls external-buffer finalizers there.
 */
#include "pool.h"
#include <stdlib.h>
#include <string.h>

#define NCLASS 320

typedef struct Free { struct Free *next; } Free;

static Free *lists[NCLASS];
static PoolStats st = { 0, (size_t)512 << 20, 0, 0 };

/* The class of a request of `bytes` (> 0): its index and the block size it gets. */
static size_t size_class(size_t bytes, int *idx) {
  if (bytes <= 1024) {
    size_t s = (bytes + 63) & ~(size_t)63;
    *idx = (int)(s / 64) - 1; /* 0..15 */
    return s;
  }
  int e = 63 - __builtin_clzll((unsigned long long)(bytes - 1)); /* 2^e <= bytes-1 < 2^(e+1), e >= 10 */
  size_t step = (size_t)1 << (e - 3);
  size_t s = (bytes + step - 1) / step * step; /* in (2^e, 2^(e+1)]: 9..16 steps */
  *idx = 16 + (e - 10) * 8 + (int)(s / step) - 9;
  return s;
}

void *pool_get(size_t bytes, int zero, size_t *block, int *cls) {
  if (bytes == 0) bytes = 64;
  int idx;
  size_t s = size_class(bytes, &idx);
  if (idx < 0 || idx >= NCLASS) return NULL;
  *block = s;
  *cls = idx;
  Free *f = lists[idx];
  if (f) {
    lists[idx] = f->next;
    st.pooled -= s;
    st.hits++;
    if (zero) memset(f, 0, bytes);
    return f;
  }
  void *p = NULL;
  if (posix_memalign(&p, 64, s) != 0) return NULL;
  st.misses++;
  if (zero) memset(p, 0, bytes);
  return p;
}

/* The block size of class cls (the inverse of size_class). */
static size_t class_bytes(int cls) {
  if (cls < 16) return (size_t)(cls + 1) * 64;
  int e = (cls - 16) / 8 + 10, m = (cls - 16) % 8 + 9;
  return (size_t)m << (e - 3);
}

void pool_put(void *p, int cls) {
  if (cls < 0 || cls >= NCLASS) { free(p); return; }
  size_t s = class_bytes(cls);
  if (st.pooled + s > st.cap) { free(p); return; }
  Free *f = (Free *)p;
  f->next = lists[cls];
  lists[cls] = f;
  st.pooled += s;
}

void pool_trim(void) {
  for (int i = 0; i < NCLASS; i++) {
    while (lists[i]) {
      Free *f = lists[i];
      lists[i] = f->next;
      free(f);
    }
  }
  st.pooled = 0;
}

void pool_set_cap(size_t bytes) {
  st.cap = bytes;
  if (st.pooled > bytes) pool_trim();
}

PoolStats pool_stats(void) { return st; }
