/* Optimizer steps (contract: src/kernels/optim-types.ts, reference: src/kernels/js/optim.ts): scalar factors
 * precomputed in double by the caller, per-element math in f32 as PyTorch. Included by kernels.h. */

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
