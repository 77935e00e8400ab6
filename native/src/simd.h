/* 8-lane vector helpers shared by every kernel header (kernels.h explains the scheme). Included by kernels.h. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include "kernels_api.h"
#if defined(__SSE2__)
#include <immintrin.h>
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef uint32_t v8u __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))

INLINE v8f SPL(float x) { return (v8f){x, x, x, x, x, x, x, x}; }
INLINE v8f LD(const float *p) { v8f v; memcpy(&v, p, 32); return v; }
INLINE void ST(float *p, v8f v) { memcpy(p, &v, 32); }
/* Partial chunk: cnt in [1, 8]. With cnt == 8 (the main loop, a constant after inlining) these are plain loads/stores. */
INLINE v8f LDC(const float *p, int cnt) {
  if (cnt == 8) return LD(p);
  v8f v = SPL(0.0f);
  memcpy(&v, p, (size_t)cnt * 4);
  return v;
}
INLINE void STC(float *p, v8f v, int cnt) {
  if (cnt == 8) ST(p, v);
  else memcpy(p, &v, (size_t)cnt * 4);
}
INLINE void ACC(float *p, v8f v, int cnt) { STC(p, LDC(p, cnt) + v, cnt); }
/* m ? a : b, lane-wise (m from a vector comparison: all ones or all zeros). */
INLINE v8f SEL(v8i m, v8f a, v8f b) { return (v8f)(((v8i)a & m) | ((v8i)b & ~m)); }
/* Lane-wise sqrt (IEEE, correctly rounded, like Math.sqrt then rounding to f32). */
INLINE v8f VSQRT(v8f x) {
#if defined(__AVX__)
  return (v8f)_mm256_sqrt_ps((__m256)x);
#elif defined(__SSE2__)
  v4f lo, hi;
  memcpy(&lo, &x, 16);
  memcpy(&hi, (const char *)&x + 16, 16);
  lo = (v4f)_mm_sqrt_ps((__m128)lo);
  hi = (v4f)_mm_sqrt_ps((__m128)hi);
  v8f r;
  memcpy(&r, &lo, 16);
  memcpy((char *)&r + 16, &hi, 16);
  return r;
#else
  v8f r;
  for (int k = 0; k < 8; k++) r[k] = sqrtf(x[k]);
  return r;
#endif
}
INLINE v8f VABS(v8f x) { return (v8f)((v8i)x & (v8i){0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff}); }
/* Lane maximum / minimum where NaN in `a` wins: a >= b || isNaN(a) ? a : b (the reference's max). */
INLINE v8f VMAXN(v8f a, v8f b) { return SEL((a >= b) | (a != a), a, b); }
INLINE v8f VMINN(v8f a, v8f b) { return SEL((a <= b) | (a != a), a, b); }
/* Lanes [0, cnt) set. */
INLINE v8i LANES(int cnt) { return (v8i){0, 1, 2, 3, 4, 5, 6, 7} < (v8i){cnt, cnt, cnt, cnt, cnt, cnt, cnt, cnt}; }
/* max propagating NaN from either side (for reductions where any NaN must win). */
INLINE v8f VMAXP(v8f a, v8f b) { return SEL((a > b) | (a != a), a, b); }

/* Loops `body(i, cnt)` over [0, n) in chunks of 8. */
#define CHUNKED(n, body)                                    \
  do {                                                      \
    size_t n_ = (n), i_ = 0;                                \
    for (; i_ + 8 <= n_; i_ += 8) body(i_, 8);              \
    if (i_ < n_) body(i_, (int)(n_ - i_));                  \
  } while (0)

/* Horizontal sum of 8 lanes, pairwise. */
INLINE float hsum8(v8f v) {
  float s[8];
  memcpy(s, &v, 32);
  return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

/* Sum of a contiguous run, f32 with 16 partial sums. */
static float sum_run(const float *p, size_t len) {
  v8f s0 = SPL(0.0f), s1 = SPL(0.0f);
  size_t j = 0;
  for (; j + 16 <= len; j += 16) { s0 += LD(p + j); s1 += LD(p + j + 8); }
  if (j + 8 <= len) { s0 += LD(p + j); j += 8; }
  if (j < len) s1 += LDC(p + j, (int)(len - j));
  return hsum8(s0 + s1);
}

INLINE void widen(const float *p, v4d *lo, v4d *hi) {
  v4f a, b;
  memcpy(&a, p, 16);
  memcpy(&b, p + 4, 16);
  *lo = __builtin_convertvector(a, v4d);
  *hi = __builtin_convertvector(b, v4d);
}

INLINE double hsum4d(v4d v) { return (v[0] + v[2]) + (v[1] + v[3]); }

/* Sum of a contiguous run in double (bias gradients sum over batch x time rows). */
static double sum_run_d(const float *p, size_t len) {
  v4d s0 = {0, 0, 0, 0}, s1 = s0;
  size_t j = 0;
  for (; j + 8 <= len; j += 8) { v4d lo, hi; widen(p + j, &lo, &hi); s0 += lo; s1 += hi; }
  double s = hsum4d(s0 + s1);
  for (; j < len; j++) s += (double)p[j];
  return s;
}
