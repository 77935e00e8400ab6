/*
 * Int8 matrix-vector product for batch-1 generation: the C twin of assembly/qgemv.ts, included
 * by kernels.h (so it is compiled in both the baseline and the AVX2 build). Contract:
 * src/kernels/qgemv-types.ts; reference: src/kernels/js/qgemv.ts. Results must be BIT-IDENTICAL to
 * the reference: the integer part is exact (512-k chunks cannot overflow int32 in any order),
 * and every float step is one correctly rounded float operation in the contract's order.
 */
#include <float.h>

#define QG_CHUNK 512

/*
 * An opaque pass-through. GCC contracts a*b + c into a fused multiply-add by default
 * (-ffp-contract=fast in GNU C), and the AVX2 build has FMA: a product that went through an
 * empty asm can no longer be fused, so it is rounded to float first as the contract says.
 */
INLINE float QG_ROUNDED(float v) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && defined(__SSE__)
  __asm__("" : "+x"(v));
#elif defined(__GNUC__) && defined(__aarch64__)
  __asm__("" : "+w"(v));
#else
  volatile float t = v;
  v = t;
#endif
  return v;
}

/* Exact Σ w[k]·xq[k] over n ≤ QG_CHUNK terms (fits int32, see the contract). */
INLINE int32_t qg_dot(const int8_t *w, const int16_t *xq, size_t n) {
  int32_t r = 0;
  size_t k = 0;
#if defined(__AVX2__)
  __m256i acc = _mm256_setzero_si256();
  for (; k + 16 <= n; k += 16) {
    __m256i w16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + k)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(w16, _mm256_loadu_si256((const __m256i *)(xq + k))));
  }
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  r = _mm_cvtsi128_si32(s);
#elif defined(__SSE2__)
  __m128i acc = _mm_setzero_si128();
  for (; k + 8 <= n; k += 8) {
    __m128i b = _mm_loadl_epi64((const __m128i *)(w + k));
    __m128i w16 = _mm_srai_epi16(_mm_unpacklo_epi8(b, b), 8); /* sign-extend 8 int8 to int16 */
    acc = _mm_add_epi32(acc, _mm_madd_epi16(w16, _mm_loadu_si128((const __m128i *)(xq + k))));
  }
  acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0x4e));
  acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0xb1));
  r = _mm_cvtsi128_si32(acc);
#endif
  for (; k < n; k++) r += (int32_t)w[k] * (int32_t)xq[k];
  return r;
}

/* y[n] = beta·y[n] + scale[n]·sx·(W·xq)[n]; xq is a workspace of K int16. */
static void k_qgemv(size_t N, size_t K, const int8_t *W, const float *scale, const float *x, float beta,
                    float *y, int16_t *xq) {
  float amax = 0.0f;
  for (size_t k = 0; k < K; k++) {
    const float a = fabsf(x[k]);
    if (a > amax || a != a) amax = a; /* once NaN, amax stays NaN */
  }
  if (!(amax <= FLT_MAX)) {
    for (size_t n = 0; n < N; n++) y[n] = NAN;
    return;
  }
  if (amax < 0x1p-96f) {
    for (size_t n = 0; n < N; n++) y[n] = beta == 0.0f ? 0.0f : beta * y[n];
    return;
  }
  const float sx = amax / 32767.0f, inv = 32767.0f / amax;
  for (size_t k = 0; k < K; k++) {
    float q = rintf(QG_ROUNDED(x[k] * inv)); /* ties to even in the default rounding mode */
    q = q < -32767.0f ? -32767.0f : q > 32767.0f ? 32767.0f : q;
    xq[k] = (int16_t)q;
  }
  for (size_t n = 0; n < N; n++) {
    const int8_t *w = W + n * K;
    float s = 0.0f;
    for (size_t c = 0; c < K; c += QG_CHUNK) {
      const size_t len = K - c < QG_CHUNK ? K - c : QG_CHUNK;
      s = s + (float)qg_dot(w + c, xq + c, len);
    }
    const float v = QG_ROUNDED(QG_ROUNDED(sx * scale[n]) * s);
    y[n] = beta == 0.0f ? v : QG_ROUNDED(beta * y[n]) + v;
  }
}
