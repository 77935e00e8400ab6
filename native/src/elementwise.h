/* Elementwise kernels (contract: src/kernels/elementwise-types.ts, reference: src/kernels/js/elementwise.ts). Included by kernels.h. */

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

/* Runs the caller's LOOP(OP) macro with OP a compile-time op code: one loop per op, so the
 * switch is resolved outside the hot loop. */
#define UNARY_DISPATCH(op)                   \
  switch (op) {                              \
    case U_NEG: LOOP(U_NEG); break;          \
    case U_EXP: LOOP(U_EXP); break;          \
    case U_LOG: LOOP(U_LOG); break;          \
    case U_TANH: LOOP(U_TANH); break;        \
    case U_SIGMOID: LOOP(U_SIGMOID); break;  \
    case U_RELU: LOOP(U_RELU); break;        \
    case U_SQRT: LOOP(U_SQRT); break;        \
    case U_SQUARE: LOOP(U_SQUARE); break;    \
    default: LOOP(U_ABS); break;             \
  }

static void k_unary(int op, const float *x, float *out, size_t n) {
#define LOOP(OP)                                                  \
  do {                                                            \
    for (size_t i = 0; i + 8 <= n; i += 8) ST(out + i, unary1(OP, LD(x + i))); \
    size_t t = n & ~(size_t)7;                                    \
    if (t < n) STC(out + t, unary1(OP, LDC(x + t, (int)(n - t))), (int)(n - t)); \
  } while (0)
  UNARY_DISPATCH(op);
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
  UNARY_DISPATCH(op);
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
