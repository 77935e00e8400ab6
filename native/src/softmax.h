/* Softmax (contract: src/kernels/softmax-types.ts, reference: src/kernels/js/softmax.ts). Included by kernels.h. */

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
