/* Reductions (contract: src/kernels/reduce-types.ts, reference: src/kernels/js/reduce.ts). Included by kernels.h. */

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
