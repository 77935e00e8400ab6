/* CTC forward-backward (contract: src/kernels/ctc-types.ts, reference: src/kernels/js/ctc.ts, followed
 * step for step). A sequential dynamic programme over the 2L+1 states of each sequence: double
 * arithmetic, float storage. Included by kernels.h; addon.c has checked every length and label. */
#include <math.h>

/* log(exp(a) + exp(b)); -inf when both are -inf. */
static inline double ctc_lae(double a, double b) {
  double m = a > b ? a : b;
  if (m == -INFINITY) return m;
  return m + log(exp(a - m) + exp(b - m));
}

static inline int ctc_label(const int32_t *tg, int blank, size_t s) {
  return (s & 1) ? tg[s >> 1] : blank;
}

/* Subtracts the row's largest value (rounded to float; 0 if all are -inf) from its n states; returns it. */
static double ctc_shift_row(float *row, size_t n) {
  double m = -INFINITY;
  for (size_t s = 0; s < n; s++) if (row[s] > m) m = row[s];
  m = m == -INFINITY ? 0 : (double)(float)m;
  for (size_t s = 0; s < n; s++) row[s] = (float)((double)row[s] - m);
  return m;
}

static void k_ctc_forward(size_t T, size_t B, size_t C, size_t S, const float *lp, const int32_t *targets,
                 const int32_t *input_lengths, const int32_t *target_lengths, int blank, float *alpha, float *nll) {
  size_t W = 2 * S + 2;
  for (size_t b = 0; b < B; b++) {
    size_t Tb = (size_t)input_lengths[b], L = (size_t)target_lengths[b], N = 2 * L + 1;
    const int32_t *tg = targets + b * S;
    double logc = 0;
    for (size_t t = 0; t < Tb; t++) {
      float *cur = alpha + (b * T + t) * W;
      const float *prev = cur - W, *row = lp + (t * B + b) * C;
      for (size_t s = 0; s < N; s++) {
        int l = ctc_label(tg, blank, s);
        double a;
        if (t == 0) a = s < 2 ? 0 : -INFINITY;
        else {
          a = prev[s];
          if (s >= 1) a = ctc_lae(a, prev[s - 1]);
          if (s >= 2 && l != blank && l != ctc_label(tg, blank, s - 2)) a = ctc_lae(a, prev[s - 2]);
        }
        cur[s] = (float)(a + row[l]);
      }
      double m = ctc_shift_row(cur, N);
      cur[W - 1] = (float)m;
      logc += m;
    }
    const float *last = alpha + (b * T + Tb - 1) * W;
    double ll = L > 0 ? ctc_lae(last[N - 1], last[N - 2]) : last[N - 1];
    nll[b] = (float)-(ll + logc);
  }
}

static void k_ctc_backward(size_t T, size_t B, size_t C, size_t S, const float *lp, const int32_t *targets,
                  const int32_t *input_lengths, const int32_t *target_lengths, int blank, const float *alpha,
                  const float *nll, const float *g_nll, int zero_infinity, float *beta, float *g_lp) {
  size_t W = 2 * S + 2;
  for (size_t b = 0; b < B; b++) {
    size_t Tb = (size_t)input_lengths[b], L = (size_t)target_lengths[b], N = 2 * L + 1;
    double g = g_nll[b];
    if (nll[b] == INFINITY) {
      if (zero_infinity) continue;
      for (size_t t = 0; t < Tb; t++)
        for (size_t c = 0; c < C; c++) g_lp[(t * B + b) * C + c] = NAN;
      continue;
    }
    const int32_t *tg = targets + b * S;
    double loga = 0;
    for (size_t t = 0; t < Tb; t++) loga += alpha[(b * T + t) * W + W - 1];
    const float *last = alpha + (b * T + Tb - 1) * W;
    double ll = loga + (L > 0 ? ctc_lae(last[N - 1], last[N - 2]) : last[N - 1]);
    double logb = 0;
    for (size_t t = Tb; t-- > 0;) {
      float *cur = beta + (b * T + t) * W;
      const float *nxt = cur + W, *acur = alpha + (b * T + t) * W, *row = lp + (t * B + b) * C;
      float *grow = g_lp + (t * B + b) * C;
      for (size_t s = 0; s < N; s++) {
        int l = ctc_label(tg, blank, s);
        double v;
        if (t == Tb - 1) v = s + 2 >= N ? 0 : -INFINITY;
        else {
          v = nxt[s];
          if (s + 1 < N) v = ctc_lae(v, nxt[s + 1]);
          if (s + 2 < N && l != blank && l != ctc_label(tg, blank, s + 2)) v = ctc_lae(v, nxt[s + 2]);
        }
        cur[s] = (float)(v + row[l]);
      }
      double m = ctc_shift_row(cur, N);
      cur[W - 1] = (float)m;
      logb += m;
      double shift = loga + logb - ll;
      for (size_t c = 0; c < C; c++) grow[c] = (float)(grow[c] + g * exp(row[c]));
      for (size_t s = 0; s < N; s++) {
        int l = ctc_label(tg, blank, s);
        grow[l] = (float)(grow[l] - g * exp((double)acur[s] + cur[s] + shift - row[l]));
      }
      loga -= acur[W - 1];
    }
  }
}
