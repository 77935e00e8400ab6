/*
 * recur native backend: the elementwise, reduction, optimiser and fused recurrent-gate kernels.
 *
 * This file is compiled twice (kernels_avx2.c with `#pragma GCC target("avx2,fma")`, and
 * kernels_base.c for any x86-64 / other CPU); addon.c picks one table at load time. It is the C
 * twin of the assembly/ sources (the WebAssembly backend) and mirrors src/kernels/js.ts (the reference):
 * same NaN rules, accumulate-vs-overwrite, aliasing guarantees. Contract: src/kernels/types.ts and
 * src/kernels/rnn-types.ts.
 *
 * Vectorisation is explicit, with GCC vector extensions on 8 float lanes (one AVX register, or
 * two SSE registers in the baseline build), rather than left to the auto-vectoriser: in-place
 * calls (out == x) would otherwise fail its runtime alias checks and run scalar. Every loop body is
 * written once as a chunk of up to 8 elements; the tail is the same code on a partial chunk, so an
 * element's result never depends on where the vector loop ended. Inside a chunk every input is
 * loaded before any output is stored, which is what makes `out` aliasing `x`, and `gates`
 * aliasing `xg`, safe.
 *
 * Callers (addon.c) have validated every extent and index: nothing here reads or writes outside
 * the arrays it was given.
 */
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

/* ---- Transcendentals (Cephes-style, the same constants as assembly/math.ts) ------------------ */

#define EXP_HI 88.72283935546875f
#define EXP_LO -103.97207641601562f

/* e^x per lane: exp/log within ~2 ulp; exp(+inf) = inf, exp(-inf) = 0, NaN -> NaN. */
INLINE v8f vexp(v8f x) {
  v8f xc = SEL(x > SPL(EXP_HI), SPL(EXP_HI), x);
  xc = SEL(xc < SPL(EXP_LO), SPL(EXP_LO), xc);
  /* n = round-to-nearest(x / ln2), by the 1.5 * 2^23 trick (|x / ln2| < 2^22 here). */
  v8f t = xc * SPL(1.44269504088896341f) + SPL(12582912.0f);
  v8f n = t - SPL(12582912.0f);
  n = SEL(n == n, n, SPL(0.0f)); /* NaN lanes: keep the integer conversion defined */
  v8f r = n * SPL(-0.693359375f) + xc;
  r = n * SPL(2.12194440e-4f) + r;
  v8f p = SPL(1.9875691500e-4f);
  p = p * r + SPL(1.3981999507e-3f);
  p = p * r + SPL(8.3334519073e-3f);
  p = p * r + SPL(4.1665795894e-2f);
  p = p * r + SPL(1.6666665459e-1f);
  p = p * r + SPL(5.0000001201e-1f);
  p = (p * r) * r + (r + SPL(1.0f));
  /* 2^n in two factors so n in [-150, 128] never leaves the exponent range of a factor. */
  v8i ni = __builtin_convertvector(n, v8i);
  v8i n1 = ni >> 1;
  v8i n2 = ni - n1;
  v8f s1 = (v8f)((v8u)(n1 + 127) << 23);
  v8f s2 = (v8f)((v8u)(n2 + 127) << 23);
  v8f y = (p * s1) * s2;
  y = SEL(x > SPL(EXP_HI), SPL(INFINITY), y);
  y = SEL(x < SPL(EXP_LO), SPL(0.0f), y);
  return y;
}

/* Natural log per lane: log(0) = -inf, log(<0) = NaN, log(inf) = inf, NaN -> NaN; denormals handled. */
INLINE v8f vlog(v8f x) {
  v8i tiny = x < SPL(1.17549435e-38f);
  v8f xs = SEL(tiny, x * SPL(8388608.0f), x);
  v8u bits = (v8u)xs;
  v8f e = __builtin_convertvector((v8i)(bits >> 23) - 126, v8f);
  e = e - (v8f)(tiny & (v8i)SPL(23.0f));
  v8f m = (v8f)((bits & 0x007fffffu) | 0x3f000000u);
  v8i small = m < SPL(0.707106781186547524f);
  e = e - (v8f)(small & (v8i)SPL(1.0f));
  m = (m + (v8f)(small & (v8i)m)) - SPL(1.0f);
  v8f z = m * m;
  v8f y = SPL(7.0376836292e-2f);
  y = y * m + SPL(-1.1514610310e-1f);
  y = y * m + SPL(1.1676998740e-1f);
  y = y * m + SPL(-1.2420140846e-1f);
  y = y * m + SPL(1.4249322787e-1f);
  y = y * m + SPL(-1.6668057665e-1f);
  y = y * m + SPL(2.0000714765e-1f);
  y = y * m + SPL(-2.4999993993e-1f);
  y = y * m + SPL(3.3333331174e-1f);
  y = (y * m) * z;
  y = e * SPL(-2.12194440e-4f) + y;
  y = z * SPL(-0.5f) + y;
  v8f r = e * SPL(0.693359375f) + (m + y);
  r = SEL(x == SPL(INFINITY), SPL(INFINITY), r);
  r = SEL(x == SPL(0.0f), SPL(-INFINITY), r);
  r = SEL(x < SPL(0.0f), SPL(NAN), r);
  r = SEL(x != x, x, r);
  return r;
}

/* tanh: an odd polynomial near 0 (full relative accuracy), 1 - 2/(e^{2|x|} + 1) elsewhere. */
INLINE v8f vtanh(v8f x) {
  v8f ax = VABS(x);
  v8f z = x * x;
  v8f p = SPL(-5.70498872745e-3f);
  p = p * z + SPL(2.06390887954e-2f);
  p = p * z + SPL(-5.37397155531e-2f);
  p = p * z + SPL(1.33314422036e-1f);
  p = p * z + SPL(-3.33332819422e-1f);
  v8f near = (p * z) * x + x;
  v8f t = vexp(ax + ax);
  v8f far = SPL(1.0f) - SPL(2.0f) / (t + SPL(1.0f));
  v8f sgn = (v8f)((v8i)x & (v8i)SPL(-0.0f));
  v8f signedfar = (v8f)((v8i)far | (v8i)sgn);
  return SEL(ax < SPL(0.625f), near, signedfar);
}

INLINE v8f vsigmoid(v8f x) { return SPL(1.0f) / (SPL(1.0f) + vexp(-x)); }

/* ---- Elementwise ------------------------------------------------------------------------------ */

static void k_axpy(float alpha, const float *x, float *y, size_t n) {
  const v8f va = SPL(alpha);
  if (alpha == 1.0f) {
#define B(i, c) STC(y + i, LDC(y + i, c) + LDC(x + i, c), c)
    CHUNKED(n, B);
#undef B
  } else {
#define B(i, c) STC(y + i, LDC(y + i, c) + va * LDC(x + i, c), c)
    CHUNKED(n, B);
#undef B
  }
}

static void k_scale(float alpha, const float *x, float *out, size_t n) {
  const v8f va = SPL(alpha);
#define B(i, c) STC(out + i, va * LDC(x + i, c), c)
  CHUNKED(n, B);
#undef B
}

static void k_clamp(const float *x, float lo, float hi, float *out, size_t n) {
  const v8f vl = SPL(lo), vh = SPL(hi);
  /* v < lo ? lo : v > hi ? hi : v; NaN fails both tests and passes through. */
#define B(i, c)                                                    \
  do {                                                             \
    v8f v = LDC(x + i, c);                                         \
    STC(out + i, SEL(v < vl, vl, SEL(v > vh, vh, v)), c);          \
  } while (0)
  CHUNKED(n, B);
#undef B
}

INLINE v8f unary1(int op, v8f v) {
  switch (op) {
    case U_NEG: return -v;
    case U_EXP: return vexp(v);
    case U_LOG: return vlog(v);
    case U_TANH: return vtanh(v);
    case U_SIGMOID: return vsigmoid(v);
    case U_RELU: return (v8f)((v8i)v & (v > SPL(0.0f))); /* NaN -> 0, as the reference */
    case U_SQRT: return VSQRT(v);
    case U_SQUARE: return v * v;
    default: return VABS(v);
  }
}

static void k_unary(int op, const float *x, float *out, size_t n) {
  /* One loop per op: the switch is resolved outside the hot loop. */
#define LOOP(OP)                                                  \
  do {                                                            \
    for (size_t i = 0; i + 8 <= n; i += 8) ST(out + i, unary1(OP, LD(x + i))); \
    size_t t = n & ~(size_t)7;                                    \
    if (t < n) STC(out + t, unary1(OP, LDC(x + t, (int)(n - t))), (int)(n - t)); \
  } while (0)
  switch (op) {
    case U_NEG: LOOP(U_NEG); break;
    case U_EXP: LOOP(U_EXP); break;
    case U_LOG: LOOP(U_LOG); break;
    case U_TANH: LOOP(U_TANH); break;
    case U_SIGMOID: LOOP(U_SIGMOID); break;
    case U_RELU: LOOP(U_RELU); break;
    case U_SQRT: LOOP(U_SQRT); break;
    case U_SQUARE: LOOP(U_SQUARE); break;
    default: LOOP(U_ABS); break;
  }
#undef LOOP
}

INLINE v8f unarygrad(int op, v8f x, v8f y, v8f g) {
  const v8f one = SPL(1.0f);
  switch (op) {
    case U_NEG: return -g;
    case U_EXP: return g * y;
    case U_LOG: return g / x;
    case U_TANH: return g * (one - y * y);
    case U_SIGMOID: return (g * y) * (one - y);
    case U_RELU: return (v8f)((v8i)g & (x > SPL(0.0f)));
    case U_SQRT: return g / (y + y);
    case U_SQUARE: return (x + x) * g;
    default: {
      /* g * sign(x), sign(NaN) = NaN, sign(0) = 0. */
      v8f pos = (v8f)((x > SPL(0.0f)) & (v8i)one);
      v8f neg = (v8f)((x < SPL(0.0f)) & (v8i)one);
      return g * SEL(x != x, x, pos - neg);
    }
  }
}

static void k_unary_backward(int op, const float *x, const float *y, const float *gy, float *gx, size_t n) {
#define LOOP(OP)                                                                            \
  do {                                                                                      \
    for (size_t i = 0; i + 8 <= n; i += 8)                                                  \
      ST(gx + i, LD(gx + i) + unarygrad(OP, LD(x + i), LD(y + i), LD(gy + i)));             \
    size_t t = n & ~(size_t)7;                                                              \
    if (t < n) {                                                                            \
      int c = (int)(n - t);                                                                 \
      STC(gx + t, LDC(gx + t, c) + unarygrad(OP, LDC(x + t, c), LDC(y + t, c), LDC(gy + t, c)), c); \
    }                                                                                       \
  } while (0)
  switch (op) {
    case U_NEG: LOOP(U_NEG); break;
    case U_EXP: LOOP(U_EXP); break;
    case U_LOG: LOOP(U_LOG); break;
    case U_TANH: LOOP(U_TANH); break;
    case U_SIGMOID: LOOP(U_SIGMOID); break;
    case U_RELU: LOOP(U_RELU); break;
    case U_SQRT: LOOP(U_SQRT); break;
    case U_SQUARE: LOOP(U_SQUARE); break;
    default: LOOP(U_ABS); break;
  }
#undef LOOP
}

INLINE v8f binop(int op, v8f a, v8f b) {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_MAX: return VMAXN(a, b);
    default: return VMINN(a, b);
  }
}

/* One segment of `binary`: each operand is a contiguous run (vector) or one repeated value (scalar). */
INLINE void binseg(int op, const float *a, int aS, const float *b, int bS, float *out, size_t len, int acc) {
  const v8f sa = SPL(*a), sb = SPL(*b);
  if (aS && bS) {
    const v8f v = binop(op, sa, sb);
    if (acc) {
#define B(i, c) STC(out + i, LDC(out + i, c) + v, c)
      CHUNKED(len, B);
#undef B
    } else {
#define B(i, c) STC(out + i, v, c)
      CHUNKED(len, B);
#undef B
    }
    return;
  }
#define B(i, c)                                                   \
  do {                                                            \
    v8f va = aS ? sa : LDC(a + i, c);                             \
    v8f vb = bS ? sb : LDC(b + i, c);                             \
    v8f r = binop(op, va, vb);                                    \
    STC(out + i, acc ? LDC(out + i, c) + r : r, c);               \
  } while (0)
  if (acc) {
    if (aS) { CHUNKED(len, B); } else if (bS) { CHUNKED(len, B); } else { CHUNKED(len, B); }
  } else {
    if (aS) { CHUNKED(len, B); } else if (bS) { CHUNKED(len, B); } else { CHUNKED(len, B); }
  }
#undef B
}

static void binseg_op(int op, const float *a, int aS, const float *b, int bS, float *out, size_t len, int acc) {
  switch (op) {
    case B_ADD: binseg(B_ADD, a, aS, b, bS, out, len, acc); break;
    case B_SUB: binseg(B_SUB, a, aS, b, bS, out, len, acc); break;
    case B_MUL: binseg(B_MUL, a, aS, b, bS, out, len, acc); break;
    case B_DIV: binseg(B_DIV, a, aS, b, bS, out, len, acc); break;
    case B_MAX: binseg(B_MAX, a, aS, b, bS, out, len, acc); break;
    default: binseg(B_MIN, a, aS, b, bS, out, len, acc); break;
  }
}

/*
 * out[i] (=|+=) op(a[floor(i/ar) % na], b[floor(i/br) % nb]) for i < n (na, nb, ar, br >= 1).
 * The index space is cut into segments on which each operand is a contiguous run or a constant.
 */
static void k_binary(int op, const float *a, size_t na, size_t ar, const float *b, size_t nb, size_t br,
                     float *out, size_t n, int acc) {
  const int aConst = na == 1, bConst = nb == 1;
  size_t i = 0;
  while (i < n) {
    size_t len = n - i;
    const float *pa = a, *pb = b;
    int aS = 1, bS = 1;
    if (!aConst) {
      if (ar == 1) { size_t k = i % na; pa = a + k; if (na - k < len) len = na - k; aS = 0; }
      else { size_t q = i / ar; pa = a + q % na; if ((q + 1) * ar - i < len) len = (q + 1) * ar - i; }
    }
    if (!bConst) {
      if (br == 1) { size_t k = i % nb; pb = b + k; if (nb - k < len) len = nb - k; bS = 0; }
      else { size_t q = i / br; pb = b + q % nb; if ((q + 1) * br - i < len) len = (q + 1) * br - i; }
    }
    binseg_op(op, pa, aS, pb, bS, out + i, len, acc);
    i += len;
  }
}

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

/* out[floor(i/r) % m] += alpha * g[i] for i < n. */
static void k_sum_to_broadcast(const float *g, size_t n, size_t r, float *out, size_t m, float alpha) {
  if (r == 1) {
    for (size_t i = 0; i < n; i += m) k_axpy(alpha, g + i, out, n - i < m ? n - i : m);
    return;
  }
  size_t i = 0;
  while (i < n) {
    size_t q = i / r;
    size_t len = (q + 1) * r - i;
    if (n - i < len) len = n - i;
    out[q % m] += alpha * (float)sum_run_d(g + i, len);
    i += len;
  }
}

/* Sum over the middle axis of [outer, len, inner], accumulated in double. */
static void k_reduce_sum(const float *x, size_t outer, size_t len, size_t inner, float *out) {
  for (size_t o = 0; o < outer; o++) {
    const float *base = x + o * len * inner;
    if (inner == 1) {
      v4d s0 = {0, 0, 0, 0}, s1 = s0;
      size_t l = 0;
      for (; l + 8 <= len; l += 8) { v4d lo, hi; widen(base + l, &lo, &hi); s0 += lo; s1 += hi; }
      double s = hsum4d(s0 + s1);
      for (; l < len; l++) s += (double)base[l];
      out[o] = (float)s;
      continue;
    }
    size_t i = 0;
    for (; i + 8 <= inner; i += 8) {
      v4d lo = {0, 0, 0, 0}, hi = lo;
      for (size_t l = 0; l < len; l++) { v4d a, b; widen(base + l * inner + i, &a, &b); lo += a; hi += b; }
      for (int k = 0; k < 4; k++) { out[o * inner + i + k] = (float)lo[k]; out[o * inner + i + 4 + k] = (float)hi[k]; }
    }
    for (; i < inner; i++) {
      double s = 0;
      for (size_t l = 0; l < len; l++) s += (double)base[l * inner + i];
      out[o * inner + i] = (float)s;
    }
  }
}

/* Max over the middle axis; argmax gets the first index of the max, or of the first NaN (which wins, as in PyTorch). */
static void k_reduce_max(const float *x, size_t outer, size_t len, size_t inner, float *out, int32_t *argmax) {
  for (size_t o = 0; o < outer; o++) {
    const float *base = x + o * len * inner;
    if (inner == 1) {
      v8f m0 = SPL(-INFINITY), m1 = m0;
      size_t l = 0;
      for (; l + 16 <= len; l += 16) { m0 = VMAXP(LD(base + l), m0); m1 = VMAXP(LD(base + l + 8), m1); }
      v8f mm = VMAXP(m0, m1);
      float best = -INFINITY;
      for (int k = 0; k < 8; k++) { float v = mm[k]; if (v > best || v != v) { best = v; if (v != v) break; } }
      if (best == best)
        for (; l < len; l++) { float v = base[l]; if (v > best || v != v) { best = v; if (v != v) break; } }
      out[o] = best;
      if (argmax) {
        int32_t bi = 0;
        const int isnan_ = best != best;
        for (size_t k = 0; k < len; k++) {
          float v = base[k];
          if (isnan_ ? v != v : v == best) { bi = (int32_t)k; break; }
        }
        argmax[o] = bi;
      }
      continue;
    }
    size_t i = 0;
    for (; i + 8 <= inner; i += 8) {
      v8f best = SPL(-INFINITY);
      v8i bi = {0, 0, 0, 0, 0, 0, 0, 0};
      for (size_t l = 0; l < len; l++) {
        v8f v = LD(base + l * inner + i);
        /* Update where v > best, or where v is NaN and best is not yet NaN (first NaN wins). */
        v8i upd = (v > best) | ((v != v) & (best == best));
        best = SEL(upd, v, best);
        v8i li = {(int32_t)l, (int32_t)l, (int32_t)l, (int32_t)l, (int32_t)l, (int32_t)l, (int32_t)l, (int32_t)l};
        bi = (li & upd) | (bi & ~upd);
      }
      ST(out + o * inner + i, best);
      if (argmax) memcpy(argmax + o * inner + i, &bi, 32);
    }
    for (; i < inner; i++) {
      float best = -INFINITY;
      int32_t bi = 0;
      for (size_t l = 0; l < len; l++) {
        float v = base[l * inner + i];
        if (v > best || v != v) { best = v; bi = (int32_t)l; if (v != v) break; }
      }
      out[o * inner + i] = best;
      if (argmax) argmax[o * inner + i] = bi;
    }
  }
}

/* gx[o, l, i] += alpha * gy[o, i]. */
static void k_broadcast_axis(const float *gy, size_t outer, size_t len, size_t inner, float *gx, float alpha) {
  for (size_t o = 0; o < outer; o++) {
    const float *src = gy + o * inner;
    if (inner == 1) {
      const v8f v = SPL(alpha * *src);
      float *d = gx + o * len;
#define B(i, c) STC(d + i, LDC(d + i, c) + v, c)
      CHUNKED(len, B);
#undef B
      continue;
    }
    for (size_t l = 0; l < len; l++) k_axpy(alpha, src, gx + (o * len + l) * inner, inner);
  }
}

/* gx[o, argmax[o, i], i] += gy[o, i]. */
static void k_scatter_argmax(const float *gy, const int32_t *argmax, size_t outer, size_t len, size_t inner, float *gx) {
  for (size_t o = 0; o < outer; o++)
    for (size_t i = 0; i < inner; i++) {
      size_t k = o * inner + i;
      gx[(o * len + (size_t)argmax[k]) * inner + i] += gy[k];
    }
}

/* Σ x² in double. */
static double k_sum_squares(const float *x, size_t n) {
  v4d s0 = {0, 0, 0, 0}, s1 = s0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) { v4d lo, hi; widen(x + i, &lo, &hi); s0 += lo * lo; s1 += hi * hi; }
  double s = hsum4d(s0 + s1);
  for (; i < n; i++) { double v = (double)x[i]; s += v * v; }
  return s;
}

/* max |x|, NaN if any element is NaN, 0 for an empty array. */
static float k_max_abs(const float *x, size_t n) {
  v8f m0 = SPL(0.0f), m1 = m0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) { m0 = VMAXP(VABS(LD(x + i)), m0); m1 = VMAXP(VABS(LD(x + i + 8)), m1); }
  v8f mm = VMAXP(m0, m1);
  float m = 0.0f;
  for (int k = 0; k < 8; k++) { float v = mm[k]; if (v > m || v != v) m = v; }
  for (; i < n; i++) { float v = fabsf(x[i]); if (v > m || v != v) m = v; }
  return m;
}

/* Row-wise softmax (or log-softmax) over rows of width n. */
static void k_softmax(const float *x, size_t rows, size_t n, float *out, int log_) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * n;
    float *orow = out + r * n;
    /* Math.max semantics: NaN anywhere gives NaN. */
    v8f m8 = SPL(-INFINITY);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) m8 = VMAXP(LD(xr + j), m8);
    float mx = -INFINITY;
    for (int k = 0; k < 8; k++) mx = (m8[k] > mx || m8[k] != m8[k] || mx != mx) ? (mx != mx ? mx : m8[k]) : mx;
    for (; j < n; j++) { float v = xr[j]; mx = (v > mx || v != v || mx != mx) ? (mx != mx ? mx : v) : mx; }
    const v8f vm = SPL(mx);
    if (log_) {
      v8f s0 = SPL(0.0f);
#define B(i, c) do { v8f e = vexp(LDC(xr + i, c) - vm); if (c < 8) e = SEL(LANES(c), e, SPL(0.0f)); s0 += e; } while (0)
      CHUNKED(n, B);
#undef B
      float s = hsum8(s0);
      /* Subtract in two steps: (x - mx) - log(s) keeps the full precision of x - mx. */
      const v8f ls = vlog(SPL(s));
#define B(i, c) STC(orow + i, (LDC(xr + i, c) - vm) - ls, c)
      CHUNKED(n, B);
#undef B
    } else {
      v8f s0 = SPL(0.0f);
#define B(i, c) do { v8f e = vexp(LDC(xr + i, c) - vm); STC(orow + i, e, c); if (c < 8) e = SEL(LANES(c), e, SPL(0.0f)); s0 += e; } while (0)
      CHUNKED(n, B);
#undef B
      const v8f vs = SPL(hsum8(s0));
#define B(i, c) STC(orow + i, LDC(orow + i, c) / vs, c)
      CHUNKED(n, B);
#undef B
    }
  }
}

/* gx += y*(gy - Σ gy·y) (softmax) or gy - exp(y)·Σ gy (log-softmax). Padding lanes are zero, so they add nothing to sums. */
static void k_softmax_backward(const float *y, const float *gy, size_t rows, size_t n, float *gx, int log_) {
  for (size_t r = 0; r < rows; r++) {
    const float *yr = y + r * n, *gr = gy + r * n;
    float *xr = gx + r * n;
    if (log_) {
      const v8f vs = SPL(sum_run(gr, n));
#define B(i, c) STC(xr + i, LDC(xr + i, c) + (LDC(gr + i, c) - vexp(LDC(yr + i, c)) * vs), c)
      CHUNKED(n, B);
#undef B
    } else {
      v8f s0 = SPL(0.0f);
#define B(i, c) s0 += LDC(gr + i, c) * LDC(yr + i, c)
      CHUNKED(n, B);
#undef B
      const v8f vs = SPL(hsum8(s0));
#define B(i, c) STC(xr + i, LDC(xr + i, c) + LDC(yr + i, c) * (LDC(gr + i, c) - vs), c)
      CHUNKED(n, B);
#undef B
    }
  }
}

/* out[r, :] = table[idx[r], :] (indices validated by the caller). */
static void k_gather_rows(const float *table, size_t d, const int32_t *idx, size_t nidx, float *out) {
  for (size_t r = 0; r < nidx; r++) memcpy(out + r * d, table + (size_t)idx[r] * d, d * 4);
}

/* table[idx[r], :] += src[r, :]; repeated indices accumulate in order. */
static void k_scatter_add_rows(const float *src, size_t d, const int32_t *idx, size_t nidx, float *table) {
  if (d == 1) {
    for (size_t r = 0; r < nidx; r++) table[idx[r]] += src[r];
    return;
  }
  for (size_t r = 0; r < nidx; r++) k_axpy(1.0f, src + r * d, table + (size_t)idx[r] * d, d);
}

INLINE void copy_or_add(const float *src, float *dst, size_t n, int acc) {
  if (!acc) memmove(dst, src, n * 4);
  else k_axpy(1.0f, src, dst, n);
}

/* count blocks of len: dst[c*dStride + j] (=|+=) src[c*sStride + j] (offsets already applied). */
static void k_copy_blocks(const float *src, size_t sStride, float *dst, size_t dStride, size_t len, size_t count, int acc) {
  for (size_t c = 0; c < count; c++) copy_or_add(src + c * sStride, dst + c * dStride, len, acc);
}

/* x [outer, A, mid, B, inner] -> out [outer, B, mid, A, inner] (=|+=). */
static void k_swap_axes(const float *x, size_t outer, size_t A, size_t mid, size_t B, size_t inner, float *out, int acc) {
  if (inner >= 8) {
    for (size_t o = 0; o < outer; o++)
      for (size_t a = 0; a < A; a++)
        for (size_t m = 0; m < mid; m++)
          for (size_t b = 0; b < B; b++) {
            size_t s = (((o * A + a) * mid + m) * B + b) * inner;
            size_t d = (((o * B + b) * mid + m) * A + a) * inner;
            copy_or_add(x + s, out + d, inner, acc);
          }
    return;
  }
  /* Small inner (a plain transpose when inner = 1): 16x16 tiles of (a, b) keep reads and writes in cache. */
  for (size_t o = 0; o < outer; o++)
    for (size_t m = 0; m < mid; m++)
      for (size_t a0 = 0; a0 < A; a0 += 16)
        for (size_t b0 = 0; b0 < B; b0 += 16) {
          size_t a1 = A < a0 + 16 ? A : a0 + 16, b1 = B < b0 + 16 ? B : b0 + 16;
          for (size_t a = a0; a < a1; a++)
            for (size_t b = b0; b < b1; b++) {
              const float *s = x + (((o * A + a) * mid + m) * B + b) * inner;
              float *d = out + (((o * B + b) * mid + m) * A + a) * inner;
              if (acc) for (size_t i = 0; i < inner; i++) d[i] += s[i];
              else for (size_t i = 0; i < inner; i++) d[i] = s[i];
            }
        }
}

/* out = cond != 0 ? a : b. */
static void k_where(const float *cond, const float *a, const float *b, float *out, size_t n) {
#define B(i, c) STC(out + i, SEL(LDC(cond + i, c) != SPL(0.0f), LDC(a + i, c), LDC(b + i, c)), c)
  CHUNKED(n, B);
#undef B
}

/* gx += (cond != 0) === pick ? gy : 0. */
static void k_where_backward(const float *cond, const float *gy, float *gx, size_t n, int pick) {
  const v8i flip = pick ? (v8i){0, 0, 0, 0, 0, 0, 0, 0} : (v8i){-1, -1, -1, -1, -1, -1, -1, -1};
#define B(i, c)                                                           \
  do {                                                                    \
    v8i m = (LDC(cond + i, c) != SPL(0.0f)) ^ flip;                       \
    STC(gx + i, LDC(gx + i, c) + (v8f)((v8i)LDC(gy + i, c) & m), c);      \
  } while (0)
  CHUNKED(n, B);
#undef B
}

/* Layer norm over rows of width n; mean and variance accumulated in double. gamma/beta may be NULL. */
static void k_layer_norm(const float *x, size_t rows, size_t n, const float *gamma, const float *beta, float eps,
                         float *out, float *mean, float *rstd) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * n;
    float *orow = out + r * n;
    double s = 0;
    for (size_t j = 0; j < n; j++) s += (double)xr[j];
    const float mf = (float)(s / (double)n);
    double v = 0;
    for (size_t j = 0; j < n; j++) { double d = (double)(xr[j] - mf); v += d * d; }
    const float rs = (float)(1.0 / sqrt(v / (double)n + (double)eps));
    mean[r] = mf;
    rstd[r] = rs;
    const v8f vm = SPL(mf), vr = SPL(rs);
#define B(i, c)                                                 \
  do {                                                          \
    v8f h = (LDC(xr + i, c) - vm) * vr;                         \
    if (gamma) h = h * LDC(gamma + i, c);                       \
    if (beta) h = h + LDC(beta + i, c);                         \
    STC(orow + i, h, c);                                        \
  } while (0)
    CHUNKED(n, B);
#undef B
  }
}

static void k_layer_norm_backward(const float *x, const float *gy, size_t rows, size_t n, const float *gamma,
                                  const float *mean, const float *rstd, float *gx, float *gGamma, float *gBeta) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * n, *gr = gy + r * n;
    const v8f vm = SPL(mean[r]), vr = SPL(rstd[r]);
    v8f sd = SPL(0.0f), sdx = SPL(0.0f);
#define B(i, c)                                                               \
  do {                                                                        \
    v8f xh = (LDC(xr + i, c) - vm) * vr;                                      \
    v8f g = LDC(gr + i, c);                                                   \
    v8f d = gamma ? g * LDC(gamma + i, c) : g;                                \
    sd += d;                                                                  \
    sdx += d * xh;                                                            \
    if (gGamma) STC(gGamma + i, LDC(gGamma + i, c) + g * xh, c);              \
    if (gBeta) STC(gBeta + i, LDC(gBeta + i, c) + g, c);                      \
  } while (0)
    CHUNKED(n, B);
#undef B
    if (!gx) continue;
    float *gxr = gx + r * n;
    const v8f md = SPL(hsum8(sd) / (float)n), mdx = SPL(hsum8(sdx) / (float)n);
#define B(i, c)                                                               \
  do {                                                                        \
    v8f xh = (LDC(xr + i, c) - vm) * vr;                                      \
    v8f g = LDC(gr + i, c);                                                   \
    v8f d = gamma ? g * LDC(gamma + i, c) : g;                                \
    STC(gxr + i, LDC(gxr + i, c) + vr * ((d - md) - xh * mdx), c);            \
  } while (0)
    CHUNKED(n, B);
#undef B
  }
}

/* ---- Optimisers (scalar factors precomputed in double by the caller, per-element math in f32 as PyTorch) ---- */

static void k_adam_step(float *p, const float *g, float *m, float *v, float *vmax, size_t n,
                        float b1, float b2, float stepSize, float bc2sqrt, float eps, float decay, float l2) {
  const v8f vb1 = SPL(b1), vb2 = SPL(b2), c1 = SPL(1.0f - b1), c2 = SPL(1.0f - b2);
  const v8f vstep = SPL(stepSize), vbc = SPL(bc2sqrt), veps = SPL(eps), vdecay = SPL(decay), vl2 = SPL(l2);
#define B(i, c)                                                                     \
  do {                                                                              \
    v8f pi = LDC(p + i, c);                                                         \
    v8f gi = LDC(g + i, c) + vl2 * pi;                                              \
    v8f mi = vb1 * LDC(m + i, c) + c1 * gi;                                         \
    v8f vi = vb2 * LDC(v + i, c) + (c2 * gi) * gi;                                  \
    STC(m + i, mi, c);                                                              \
    STC(v + i, vi, c);                                                              \
    if (vmax) { vi = VMAXN(LDC(vmax + i, c), vi); STC(vmax + i, vi, c); }           \
    v8f den = VSQRT(vi) / vbc + veps;                                               \
    STC(p + i, pi * vdecay - (vstep * mi) / den, c);                                \
  } while (0)
  CHUNKED(n, B);
#undef B
}

static void k_rmsprop_step(float *p, const float *g, float *sq, float *ga, float *buf, size_t n,
                           float lr, float alpha, float eps, float wd, float momentum) {
  const v8f va = SPL(alpha), vc = SPL(1.0f - alpha), vwd = SPL(wd), veps = SPL(eps), vlr = SPL(lr), vmom = SPL(momentum);
  const int hasWd = wd != 0.0f;
#define B(i, c)                                                                     \
  do {                                                                              \
    v8f pi = LDC(p + i, c);                                                         \
    v8f gi = hasWd ? LDC(g + i, c) + vwd * pi : LDC(g + i, c);                      \
    v8f s = va * LDC(sq + i, c) + (vc * gi) * gi;                                   \
    STC(sq + i, s, c);                                                              \
    v8f avg;                                                                        \
    if (ga) {                                                                       \
      v8f a = va * LDC(ga + i, c) + vc * gi;                                        \
      STC(ga + i, a, c);                                                            \
      avg = VSQRT(s - a * a) + veps;                                                \
    } else {                                                                        \
      avg = VSQRT(s) + veps;                                                        \
    }                                                                               \
    if (buf) {                                                                      \
      v8f bb = vmom * LDC(buf + i, c) + gi / avg;                                   \
      STC(buf + i, bb, c);                                                          \
      STC(p + i, pi - vlr * bb, c);                                                 \
    } else {                                                                        \
      STC(p + i, pi - (vlr * gi) / avg, c);                                         \
    }                                                                               \
  } while (0)
  CHUNKED(n, B);
#undef B
}

static void k_adagrad_step(float *p, const float *g, float *sum, size_t n, float clr, float wd, float eps) {
  const v8f vclr = SPL(clr), vwd = SPL(wd), veps = SPL(eps);
  const int hasWd = wd != 0.0f;
#define B(i, c)                                                                     \
  do {                                                                              \
    v8f pi = LDC(p + i, c);                                                         \
    v8f gi = hasWd ? LDC(g + i, c) + vwd * pi : LDC(g + i, c);                      \
    v8f s = LDC(sum + i, c) + gi * gi;                                              \
    STC(sum + i, s, c);                                                             \
    STC(p + i, pi - (vclr * gi) / (VSQRT(s) + veps), c);                            \
  } while (0)
  CHUNKED(n, B);
#undef B
}

/* ---- Fused recurrent gates (contract: src/kernels/rnn-types.ts, reference: rnn-js.ts) ---------- */

static void k_rnn_forward(int relu, size_t rows, size_t H, const float *xg, const float *hg, float *h) {
  size_t n = rows * H;
  if (relu) {
#define B(i, c) do { v8f a = LDC(xg + i, c) + LDC(hg + i, c); STC(h + i, (v8f)((v8i)a & (a > SPL(0.0f))), c); } while (0)
    CHUNKED(n, B);
#undef B
  } else {
#define B(i, c) STC(h + i, vtanh(LDC(xg + i, c) + LDC(hg + i, c)), c)
    CHUNKED(n, B);
#undef B
  }
}

static void k_rnn_backward(int relu, size_t rows, size_t H, const float *h, const float *dh, float *dpre) {
  size_t n = rows * H;
  if (relu) {
    /* relu'(0) = 0, as in PyTorch. */
#define B(i, c) ACC(dpre + i, (v8f)((v8i)LDC(dh + i, c) & (LDC(h + i, c) > SPL(0.0f))), c)
    CHUNKED(n, B);
#undef B
  } else {
#define B(i, c) do { v8f y = LDC(h + i, c); ACC(dpre + i, LDC(dh + i, c) * (SPL(1.0f) - y * y), c); } while (0)
    CHUNKED(n, B);
#undef B
  }
}

/* Per row: the unit loop j in chunks; ki is the offset of the i-gate element, s of the state element. */
#define ROWS(rows, H, G, body)                                   \
  for (size_t r_ = 0; r_ < (rows); r_++) {                       \
    const size_t g0_ = r_ * (G), s0_ = r_ * (H);                 \
    size_t j_ = 0;                                               \
    for (; j_ + 8 <= (H); j_ += 8) body(g0_ + j_, s0_ + j_, j_, 8); \
    if (j_ < (H)) body(g0_ + j_, s0_ + j_, j_, (int)((H) - j_)); \
  }

static void k_lstm_forward(size_t rows, size_t H, const float *xg, const float *hg, const float *cPrev,
                           float *gates, float *c, float *m) {
#define B(ki, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kf = ki + H, kg = kf + H, ko = kg + H;                                  \
    v8f ai = LDC(xg + ki, cn) + LDC(hg + ki, cn);                                        \
    v8f af = LDC(xg + kf, cn) + LDC(hg + kf, cn);                                        \
    v8f ag = LDC(xg + kg, cn) + LDC(hg + kg, cn);                                        \
    v8f ao = LDC(xg + ko, cn) + LDC(hg + ko, cn);                                        \
    v8f cp = LDC(cPrev + s, cn);                                                         \
    v8f i_ = vsigmoid(ai), f_ = vsigmoid(af), g_ = vtanh(ag), o_ = vsigmoid(ao);         \
    STC(gates + ki, i_, cn); STC(gates + kf, f_, cn); STC(gates + kg, g_, cn); STC(gates + ko, o_, cn); \
    v8f cc = f_ * cp + i_ * g_;                                                          \
    STC(c + s, cc, cn);                                                                  \
    STC(m + s, o_ * vtanh(cc), cn);                                                      \
  } while (0)
  ROWS(rows, H, 4 * H, B)
#undef B
}

static void k_lstm_backward(size_t rows, size_t H, const float *gates, const float *cPrev, const float *c,
                            const float *dm, const float *dc, float *dGates, float *dcPrev) {
  const v8f one = SPL(1.0f);
#define B(ki, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kf = ki + H, kg = kf + H, ko = kg + H;                                  \
    v8f i_ = LDC(gates + ki, cn), f_ = LDC(gates + kf, cn), g_ = LDC(gates + kg, cn), o_ = LDC(gates + ko, cn); \
    v8f tc = vtanh(LDC(c + s, cn));                                                      \
    v8f dmv = LDC(dm + s, cn);                                                           \
    v8f dct = LDC(dc + s, cn) + (dmv * o_) * (one - tc * tc);                            \
    ACC(dGates + ki, ((dct * g_) * i_) * (one - i_), cn);                                \
    ACC(dGates + kf, ((dct * LDC(cPrev + s, cn)) * f_) * (one - f_), cn);                \
    ACC(dGates + kg, (dct * i_) * (one - g_ * g_), cn);                                  \
    ACC(dGates + ko, ((dmv * tc) * o_) * (one - o_), cn);                                \
    ACC(dcPrev + s, dct * f_, cn);                                                       \
  } while (0)
  ROWS(rows, H, 4 * H, B)
#undef B
}

static void k_gru_forward(size_t rows, size_t H, const float *xg, const float *hg, const float *bhn, const float *hPrev,
                          float *gates, float *hn, float *h) {
  const v8f one = SPL(1.0f);
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kz = kr + H, kn = kz + H;                                               \
    v8f ar = LDC(xg + kr, cn) + LDC(hg + kr, cn);                                        \
    v8f az = LDC(xg + kz, cn) + LDC(hg + kz, cn);                                        \
    v8f hnv = LDC(hg + kn, cn);                                                          \
    if (bhn) hnv = hnv + LDC(bhn + j, cn);                                               \
    v8f xn = LDC(xg + kn, cn), hp = LDC(hPrev + s, cn);                                  \
    v8f rg = vsigmoid(ar), z = vsigmoid(az);                                             \
    v8f nn = vtanh(xn + rg * hnv);                                                       \
    STC(gates + kr, rg, cn); STC(gates + kz, z, cn); STC(gates + kn, nn, cn);            \
    STC(hn + s, hnv, cn);                                                                \
    STC(h + s, (one - z) * nn + z * hp, cn);                                             \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

static void k_gru_backward(size_t rows, size_t H, const float *gates, const float *hn, const float *hPrev, const float *dh,
                           float *dGx, float *dGh, float *dhPrev) {
  const v8f one = SPL(1.0f);
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kz = kr + H, kn = kz + H;                                               \
    v8f rg = LDC(gates + kr, cn), z = LDC(gates + kz, cn), nn = LDC(gates + kn, cn);     \
    v8f d = LDC(dh + s, cn);                                                             \
    v8f dan = (d * (one - z)) * (one - nn * nn);                                         \
    v8f daz = ((d * (LDC(hPrev + s, cn) - nn)) * z) * (one - z);                         \
    v8f dar = ((dan * LDC(hn + s, cn)) * rg) * (one - rg);                               \
    ACC(dGx + kr, dar, cn); ACC(dGx + kz, daz, cn); ACC(dGx + kn, dan, cn);              \
    ACC(dGh + kr, dar, cn); ACC(dGh + kz, daz, cn); ACC(dGh + kn, dan * rg, cn);         \
    ACC(dhPrev + s, d * z, cn);                                                          \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

static void k_gru_rb_gates(size_t rows, size_t H, const float *xg, const float *hg, const float *hPrev, float *gates, float *rh) {
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kz = kr + H;                                                            \
    v8f rg = vsigmoid(LDC(xg + kr, cn) + LDC(hg + kr, cn));                              \
    v8f z = vsigmoid(LDC(xg + kz, cn) + LDC(hg + kz, cn));                               \
    v8f hp = LDC(hPrev + s, cn);                                                         \
    STC(gates + kz, z, cn);                                                              \
    STC(gates + kr, rg, cn);                                                             \
    STC(rh + s, rg * hp, cn);                                                            \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

static void k_gru_rb_output(size_t rows, size_t H, const float *xg, const float *hg, const float *hPrev, float *gates, float *h) {
  const v8f one = SPL(1.0f);
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kz = kr + H, kn = kz + H;                                               \
    v8f z = LDC(gates + kz, cn);                                                         \
    v8f nn = vtanh(LDC(xg + kn, cn) + LDC(hg + kn, cn));                                 \
    v8f hp = LDC(hPrev + s, cn);                                                         \
    STC(gates + kn, nn, cn);                                                             \
    STC(h + s, (one - z) * nn + z * hp, cn);                                             \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

static void k_gru_rb_output_backward(size_t rows, size_t H, const float *gates, const float *hPrev, const float *dh,
                                     float *dG, float *dhPrev) {
  const v8f one = SPL(1.0f);
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kz = kr + H, kn = kz + H;                                               \
    v8f z = LDC(gates + kz, cn), nn = LDC(gates + kn, cn), d = LDC(dh + s, cn);          \
    ACC(dG + kn, (d * (one - z)) * (one - nn * nn), cn);                                 \
    ACC(dG + kz, ((d * (LDC(hPrev + s, cn) - nn)) * z) * (one - z), cn);                 \
    ACC(dhPrev + s, d * z, cn);                                                          \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

static void k_gru_rb_gates_backward(size_t rows, size_t H, const float *gates, const float *hPrev, const float *drh,
                                    float *dG, float *dhPrev) {
  const v8f one = SPL(1.0f);
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    v8f rg = LDC(gates + kr, cn), d = LDC(drh + s, cn);                                  \
    ACC(dG + kr, ((d * LDC(hPrev + s, cn)) * rg) * (one - rg), cn);                      \
    ACC(dhPrev + s, d * rg, cn);                                                         \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

/* ---- Attention: batched matrix-vector products (contract: types.ts bmv / bger) ----------------- */

INLINE float dot(const float *a, const float *b, size_t n) {
  v8f s0 = SPL(0.0f), s1 = SPL(0.0f);
  size_t j = 0;
  for (; j + 16 <= n; j += 16) { s0 += LD(a + j) * LD(b + j); s1 += LD(a + j + 8) * LD(b + j + 8); }
  if (j + 8 <= n) { s0 += LD(a + j) * LD(b + j); j += 8; }
  if (j < n) s1 += LDC(a + j, (int)(n - j)) * LDC(b + j, (int)(n - j));
  return hsum8(s0 + s1);
}

/* trans = 0: y[b,m] (=|+=) A[b,m,:]·x[b,:]; trans = 1: y[b,:] (=|+=) Σ_m x[b,m]·A[b,m,:]. */
static void k_bmv(int trans, size_t batch, size_t M, size_t N, const float *A, const float *x, float *y, int acc) {
  for (size_t b = 0; b < batch; b++) {
    const float *Ab = A + b * M * N;
    if (!trans) {
      const float *xb = x + b * N;
      float *yb = y + b * M;
      for (size_t m = 0; m < M; m++) {
        float d = dot(Ab + m * N, xb, N);
        yb[m] = acc ? yb[m] + d : d;
      }
    } else {
      const float *xb = x + b * M;
      float *yb = y + b * N;
      if (!acc) memset(yb, 0, N * 4);
      /* Row by row (axpy over n), in the reference's order of accumulation. */
      for (size_t m = 0; m < M; m++) k_axpy(xb[m], Ab + m * N, yb, N);
    }
  }
}

/* A[b,m,n] += x[b,m]·y[b,n]; rows with x = 0 are skipped, as in the reference. */
static void k_bger(size_t batch, size_t M, size_t N, const float *x, const float *y, float *A) {
  for (size_t b = 0; b < batch; b++)
    for (size_t m = 0; m < M; m++) {
      const float s = x[b * M + m];
      if (s != 0.0f) k_axpy(s, y + b * N, A + (b * M + m) * N, N);
    }
}

/* ---- Int8 matrix-vector product (contract: types.ts qgemv) ------------------------------------ */

#include "kernels_qgemv.h"

/* ---- The table addon.c dispatches through --------------------------------------------------- */

const rk_table RK_TABLE_NAME = {
  .axpy = k_axpy,
  .scale = k_scale,
  .clamp = k_clamp,
  .unary = k_unary,
  .unary_backward = k_unary_backward,
  .binary = k_binary,
  .sum_to_broadcast = k_sum_to_broadcast,
  .reduce_sum = k_reduce_sum,
  .reduce_max = k_reduce_max,
  .broadcast_axis = k_broadcast_axis,
  .scatter_argmax = k_scatter_argmax,
  .sum_squares = k_sum_squares,
  .max_abs = k_max_abs,
  .softmax = k_softmax,
  .softmax_backward = k_softmax_backward,
  .gather_rows = k_gather_rows,
  .scatter_add_rows = k_scatter_add_rows,
  .copy_blocks = k_copy_blocks,
  .swap_axes = k_swap_axes,
  .where = k_where,
  .where_backward = k_where_backward,
  .layer_norm = k_layer_norm,
  .layer_norm_backward = k_layer_norm_backward,
  .adam_step = k_adam_step,
  .rmsprop_step = k_rmsprop_step,
  .adagrad_step = k_adagrad_step,
  .rnn_forward = k_rnn_forward,
  .rnn_backward = k_rnn_backward,
  .lstm_forward = k_lstm_forward,
  .lstm_backward = k_lstm_backward,
  .gru_forward = k_gru_forward,
  .gru_backward = k_gru_backward,
  .gru_rb_gates = k_gru_rb_gates,
  .gru_rb_output = k_gru_rb_output,
  .gru_rb_output_backward = k_gru_rb_output_backward,
  .gru_rb_gates_backward = k_gru_rb_gates_backward,
  .bmv = k_bmv,
  .bger = k_bger,
  .qgemv = k_qgemv,
};
