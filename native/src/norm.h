/* Layer norm (contract: src/kernels/norm-types.ts, reference: src/kernels/js/norm.ts). Included by kernels.h. */

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
