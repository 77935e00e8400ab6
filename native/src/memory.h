/* Data movement (contract: src/kernels/memory-types.ts, reference: src/kernels/js/memory.ts). Included by kernels.h. */

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
