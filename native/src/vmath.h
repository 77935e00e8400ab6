/* Transcendentals on 8 lanes (Cephes-style, the same constants as assembly/math.ts). Included by kernels.h. */

#define EXP_HI 88.72283935546875f
#define EXP_LO -103.97207641601562f

/* x clamped to [lo, hi] per lane, a NaN passing through (the operand order of min/max keeps it). */
INLINE v8f vclamp(v8f x, float lo, float hi) {
#if defined(__AVX__)
  return (v8f)_mm256_max_ps(_mm256_set1_ps(lo), _mm256_min_ps(_mm256_set1_ps(hi), (__m256)x));
#else
  x = SEL(x > SPL(hi), SPL(hi), x);
  return SEL(x < SPL(lo), SPL(lo), x);
#endif
}

/* e^x per lane without the special cases at the ends of the range (assembly/math.ts's
 * vexpClamped): x is clamped to [EXP_LO, EXP_HI], so +inf gives ~3.4e38 and -inf 0 or a denormal;
 * NaN stays NaN. tanh and sigmoid use it as it is: it changes none of their results by more than
 * 1e-38, and the selects for the ends were a fifth of a gate kernel's work. */
INLINE v8f vexp_clamped(v8f x) {
  v8f xc = vclamp(x, EXP_LO, EXP_HI);
  /* n = round-to-nearest(x / ln2) by the 1.5 * 2^23 trick: adding it leaves n in the low mantissa
   * bits, so both the float n and the integer n come without a conversion. */
  v8f t = xc * SPL(1.44269504088896341f) + SPL(12582912.0f);
  v8f n = t - SPL(12582912.0f);
  v8i ni = (v8i)t - 0x4b400000;
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
  v8i n1 = ni >> 1;
  v8i n2 = ni - n1;
  v8f s1 = (v8f)((v8u)(n1 + 127) << 23);
  v8f s2 = (v8f)((v8u)(n2 + 127) << 23);
  return (p * s1) * s2;
}

/* e^x per lane: exp/log within ~2 ulp; exp(+inf) = inf, exp(-inf) = 0, NaN -> NaN. */
INLINE v8f vexp(v8f x) {
  v8f y = vexp_clamped(x);
  y = SEL(x > SPL(EXP_HI), SPL(INFINITY), y);
  return SEL(x < SPL(EXP_LO), SPL(0.0f), y);
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
  v8f t = vexp_clamped(ax + ax);
  v8f far = SPL(1.0f) - SPL(2.0f) / (t + SPL(1.0f));
  v8f sgn = (v8f)((v8i)x & (v8i)SPL(-0.0f));
  v8f signedfar = (v8f)((v8i)far | (v8i)sgn);
  return SEL(ax < SPL(0.625f), near, signedfar);
}

INLINE v8f vsigmoid(v8f x) { return SPL(1.0f) / (SPL(1.0f) + vexp_clamped(-x)); }
