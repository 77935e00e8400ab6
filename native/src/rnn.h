/* Fused recurrent gates (contract and derivation: src/kernels/rnn-types.ts, reference: src/kernels/js/rnn.ts).
 * Included by kernels.h. */

static void k_rnn_forward(int relu, size_t rows, size_t H, const float *xg, const float *hg, float *h) {
  size_t n = rows * H;
  if (relu) {
#define B(i, c) do { v8f a = LDC(xg + i, c) + LDC(hg + i, c); STC(h + i, (v8f)((v8i)a & (a > SPL(0.0f))), c); } while (0)
    CHUNKED(n, B);
#undef B
  } else {
#define B(i, c) STC(h + i, vtanh(LDC(xg + i, c) + LDC(hg + i, c)), c)
    CHUNKED(n, B);
#undef B
  }
}

static void k_rnn_backward(int relu, size_t rows, size_t H, const float *h, const float *dh, float *dpre) {
  size_t n = rows * H;
  if (relu) {
    /* relu'(0) = 0, as in PyTorch. */
#define B(i, c) STC(dpre + i, (v8f)((v8i)LDC(dh + i, c) & (LDC(h + i, c) > SPL(0.0f))), c)
    CHUNKED(n, B);
#undef B
  } else {
#define B(i, c) do { v8f y = LDC(h + i, c); STC(dpre + i, LDC(dh + i, c) * (SPL(1.0f) - y * y), c); } while (0)
    CHUNKED(n, B);
#undef B
  }
}

/* Per row: the unit loop j in chunks; ki is the offset of the i-gate element, s of the state element. */
#define ROWS(rows, H, G, body)                                   \
  for (size_t r_ = 0; r_ < (rows); r_++) {                       \
    const size_t g0_ = r_ * (G), s0_ = r_ * (H);                 \
    size_t j_ = 0;                                               \
    for (; j_ + 8 <= (H); j_ += 8) body(g0_ + j_, s0_ + j_, j_, 8); \
    if (j_ < (H)) body(g0_ + j_, s0_ + j_, j_, (int)((H) - j_)); \
  }

static void k_lstm_forward(size_t rows, size_t H, const float *xg, const float *hg, const float *cPrev,
                           float *gates, float *c, float *m) {
#define B(ki, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kf = ki + H, kg = kf + H, ko = kg + H;                                  \
    v8f ai = LDC(xg + ki, cn) + LDC(hg + ki, cn);                                        \
    v8f af = LDC(xg + kf, cn) + LDC(hg + kf, cn);                                        \
    v8f ag = LDC(xg + kg, cn) + LDC(hg + kg, cn);                                        \
    v8f ao = LDC(xg + ko, cn) + LDC(hg + ko, cn);                                        \
    v8f cp = LDC(cPrev + s, cn);                                                         \
    v8f i_ = vsigmoid(ai), f_ = vsigmoid(af), g_ = vtanh(ag), o_ = vsigmoid(ao);         \
    STC(gates + ki, i_, cn); STC(gates + kf, f_, cn); STC(gates + kg, g_, cn); STC(gates + ko, o_, cn); \
    v8f cc = f_ * cp + i_ * g_;                                                          \
    STC(c + s, cc, cn);                                                                  \
    STC(m + s, o_ * vtanh(cc), cn);                                                      \
  } while (0)
  ROWS(rows, H, 4 * H, B)
#undef B
}

static void k_lstm_backward(size_t rows, size_t H, const float *gates, const float *cPrev, const float *c,
                            const float *dm, const float *dc, float *dGates, float *dcPrev) {
  const v8f one = SPL(1.0f);
#define B(ki, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kf = ki + H, kg = kf + H, ko = kg + H;                                  \
    v8f i_ = LDC(gates + ki, cn), f_ = LDC(gates + kf, cn), g_ = LDC(gates + kg, cn), o_ = LDC(gates + ko, cn); \
    v8f tc = vtanh(LDC(c + s, cn));                                                      \
    v8f dmv = LDC(dm + s, cn);                                                           \
    v8f dct = LDC(dc + s, cn) + (dmv * o_) * (one - tc * tc);                            \
    STC(dGates + ki, ((dct * g_) * i_) * (one - i_), cn);                                \
    STC(dGates + kf, ((dct * LDC(cPrev + s, cn)) * f_) * (one - f_), cn);                \
    STC(dGates + kg, (dct * i_) * (one - g_ * g_), cn);                                  \
    STC(dGates + ko, ((dmv * tc) * o_) * (one - o_), cn);                                \
    STC(dcPrev + s, dct * f_, cn);                                                       \
  } while (0)
  ROWS(rows, H, 4 * H, B)
#undef B
}

static void k_gru_forward(size_t rows, size_t H, const float *xg, const float *hg, const float *bhn, const float *hPrev,
                          float *gates, float *hn, float *h) {
  const v8f one = SPL(1.0f);
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kz = kr + H, kn = kz + H;                                               \
    v8f ar = LDC(xg + kr, cn) + LDC(hg + kr, cn);                                        \
    v8f az = LDC(xg + kz, cn) + LDC(hg + kz, cn);                                        \
    v8f hnv = LDC(hg + kn, cn);                                                          \
    if (bhn) hnv = hnv + LDC(bhn + j, cn);                                               \
    v8f xn = LDC(xg + kn, cn), hp = LDC(hPrev + s, cn);                                  \
    v8f rg = vsigmoid(ar), z = vsigmoid(az);                                             \
    v8f nn = vtanh(xn + rg * hnv);                                                       \
    STC(gates + kr, rg, cn); STC(gates + kz, z, cn); STC(gates + kn, nn, cn);            \
    STC(hn + s, hnv, cn);                                                                \
    STC(h + s, (one - z) * nn + z * hp, cn);                                             \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

static void k_gru_backward(size_t rows, size_t H, const float *gates, const float *hn, const float *hPrev, const float *dh,
                           float *dGx, float *dGh, float *dhPrev) {
  const v8f one = SPL(1.0f);
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kz = kr + H, kn = kz + H;                                               \
    v8f rg = LDC(gates + kr, cn), z = LDC(gates + kz, cn), nn = LDC(gates + kn, cn);     \
    v8f d = LDC(dh + s, cn);                                                             \
    v8f dan = (d * (one - z)) * (one - nn * nn);                                         \
    v8f daz = ((d * (LDC(hPrev + s, cn) - nn)) * z) * (one - z);                         \
    v8f dar = ((dan * LDC(hn + s, cn)) * rg) * (one - rg);                               \
    STC(dGx + kr, dar, cn); STC(dGx + kz, daz, cn); STC(dGx + kn, dan, cn);              \
    STC(dGh + kr, dar, cn); STC(dGh + kz, daz, cn); STC(dGh + kn, dan * rg, cn);         \
    STC(dhPrev + s, d * z, cn);                                                          \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

static void k_gru_rb_gates(size_t rows, size_t H, const float *xg, const float *hg, const float *hPrev, float *gates, float *rh) {
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kz = kr + H;                                                            \
    v8f rg = vsigmoid(LDC(xg + kr, cn) + LDC(hg + kr, cn));                              \
    v8f z = vsigmoid(LDC(xg + kz, cn) + LDC(hg + kz, cn));                               \
    v8f hp = LDC(hPrev + s, cn);                                                         \
    STC(gates + kz, z, cn);                                                              \
    STC(gates + kr, rg, cn);                                                             \
    STC(rh + s, rg * hp, cn);                                                            \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

static void k_gru_rb_output(size_t rows, size_t H, const float *xg, const float *hg, const float *hPrev, float *gates, float *h) {
  const v8f one = SPL(1.0f);
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kz = kr + H, kn = kz + H;                                               \
    v8f z = LDC(gates + kz, cn);                                                         \
    v8f nn = vtanh(LDC(xg + kn, cn) + LDC(hg + kn, cn));                                 \
    v8f hp = LDC(hPrev + s, cn);                                                         \
    STC(gates + kn, nn, cn);                                                             \
    STC(h + s, (one - z) * nn + z * hp, cn);                                             \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

static void k_gru_rb_output_backward(size_t rows, size_t H, const float *gates, const float *hPrev, const float *dh,
                                     float *dG, float *dhPrev) {
  const v8f one = SPL(1.0f);
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    const size_t kz = kr + H, kn = kz + H;                                               \
    v8f z = LDC(gates + kz, cn), nn = LDC(gates + kn, cn), d = LDC(dh + s, cn);          \
    STC(dG + kn, (d * (one - z)) * (one - nn * nn), cn);                                 \
    STC(dG + kz, ((d * (LDC(hPrev + s, cn) - nn)) * z) * (one - z), cn);                 \
    STC(dhPrev + s, d * z, cn);                                                          \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}

static void k_gru_rb_gates_backward(size_t rows, size_t H, const float *gates, const float *hPrev, const float *drh,
                                    float *dG, float *dhPrev) {
  const v8f one = SPL(1.0f);
#define B(kr, s, j, cn)                                                                  \
  do {                                                                                   \
    v8f rg = LDC(gates + kr, cn), d = LDC(drh + s, cn);                                  \
    STC(dG + kr, ((d * LDC(hPrev + s, cn)) * rg) * (one - rg), cn);                      \
    ACC(dhPrev + s, d * rg, cn);                                                         \
  } while (0)
  ROWS(rows, H, 3 * H, B)
#undef B
}
