/* Attention: batched matrix-vector products (contract: src/kernels/batched-types.ts, reference: src/kernels/js/batched.ts). Included by kernels.h. */

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
