/* The kernel table shared by addon.c and the two builds of kernels.h (baseline and AVX2+FMA). */
#ifndef RECUR_KERNELS_API_H
#define RECUR_KERNELS_API_H
#include <stddef.h>
#include <stdint.h>

/* Op codes of src/kernels/op-codes.ts (test/kernels/mirrors.test.ts keeps them equal). */
enum { U_NEG = 0, U_EXP, U_LOG, U_TANH, U_SIGMOID, U_RELU, U_SQRT, U_SQUARE, U_ABS };
enum { B_ADD = 0, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN };

/* Columns per panel of a packed op(B) (packed.h; src/kernels/native/backend.ts PANEL is the same). */
#define RK_PANEL 16
/* Rows per block of A in a packed product (packed.h): also the unit of addon.c's row split. */
#define RK_ROW_BLOCK 192

typedef struct {
  void (*axpy)(float alpha, const float *x, float *y, size_t n);
  void (*scale)(float alpha, const float *x, float *out, size_t n);
  void (*clamp)(const float *x, float lo, float hi, float *out, size_t n);
  void (*unary)(int op, const float *x, float *out, size_t n);
  void (*unary_backward)(int op, const float *x, const float *y, const float *gy, float *gx, size_t n);
  void (*binary)(int op, const float *a, size_t na, size_t ar, const float *b, size_t nb, size_t br, float *out, size_t n, int acc);
  void (*sum_to_broadcast)(const float *g, size_t n, size_t r, float *out, size_t m, float alpha);
  void (*reduce_sum)(const float *x, size_t outer, size_t len, size_t inner, float *out);
  void (*reduce_max)(const float *x, size_t outer, size_t len, size_t inner, float *out, int32_t *argmax);
  void (*broadcast_axis)(const float *gy, size_t outer, size_t len, size_t inner, float *gx, float alpha);
  void (*scatter_argmax)(const float *gy, const int32_t *argmax, size_t outer, size_t len, size_t inner, float *gx);
  double (*sum_squares)(const float *x, size_t n);
  float (*max_abs)(const float *x, size_t n);
  void (*softmax)(const float *x, size_t rows, size_t n, float *out, int log_);
  void (*softmax_backward)(const float *y, const float *gy, size_t rows, size_t n, float *gx, int log_);
  void (*gather_rows)(const float *table, size_t d, const int32_t *idx, size_t nidx, float *out);
  void (*scatter_add_rows)(const float *src, size_t d, const int32_t *idx, size_t nidx, float *table);
  void (*copy_blocks)(const float *src, size_t sStride, float *dst, size_t dStride, size_t len, size_t count, int acc);
  void (*swap_axes)(const float *x, size_t outer, size_t A, size_t mid, size_t B, size_t inner, float *out, int acc);
  void (*where)(const float *cond, const float *a, const float *b, float *out, size_t n);
  void (*where_backward)(const float *cond, const float *gy, float *gx, size_t n, int pick);
  void (*layer_norm)(const float *x, size_t rows, size_t n, const float *gamma, const float *beta, float eps,
                     float *out, float *mean, float *rstd);
  void (*layer_norm_backward)(const float *x, const float *gy, size_t rows, size_t n, const float *gamma,
                              const float *mean, const float *rstd, float *gx, float *gGamma, float *gBeta);
  void (*adam_step)(float *p, const float *g, float *m, float *v, float *vmax, size_t n,
                    float b1, float b2, float stepSize, float bc2sqrt, float eps, float decay, float l2);
  void (*rmsprop_step)(float *p, const float *g, float *sq, float *ga, float *buf, size_t n,
                       float lr, float alpha, float eps, float wd, float momentum);
  void (*adagrad_step)(float *p, const float *g, float *sum, size_t n, float clr, float wd, float eps);
  void (*rnn_forward)(int relu, size_t rows, size_t H, const float *xg, const float *hg, float *h);
  void (*rnn_backward)(int relu, size_t rows, size_t H, const float *h, const float *dh, float *dpre);
  void (*lstm_forward)(size_t rows, size_t H, const float *xg, const float *hg, const float *cPrev,
                       float *gates, float *c, float *m);
  void (*lstm_backward)(size_t rows, size_t H, const float *gates, const float *cPrev, const float *c,
                        const float *dm, const float *dc, float *dGates, float *dcPrev);
  void (*gru_forward)(size_t rows, size_t H, const float *xg, const float *hg, const float *bhn, const float *hPrev,
                      float *gates, float *hn, float *h);
  void (*gru_backward)(size_t rows, size_t H, const float *gates, const float *hn, const float *hPrev, const float *dh,
                       float *dGx, float *dGh, float *dhPrev);
  void (*gru_rb_gates)(size_t rows, size_t H, const float *xg, const float *hg, const float *hPrev, float *gates, float *rh);
  void (*gru_rb_output)(size_t rows, size_t H, const float *xg, const float *hg, const float *hPrev, float *gates, float *h);
  void (*gru_rb_output_backward)(size_t rows, size_t H, const float *gates, const float *hPrev, const float *dh,
                                 float *dG, float *dhPrev);
  void (*gru_rb_gates_backward)(size_t rows, size_t H, const float *gates, const float *hPrev, const float *drh,
                                float *dG, float *dhPrev);
  void (*bmv)(int trans, size_t batch, size_t M, size_t N, const float *A, const float *x, float *y, int acc);
  void (*bger)(size_t batch, size_t M, size_t N, const float *x, const float *y, float *A);
  void (*qgemv)(size_t N, size_t K, const int8_t *W, const float *scale, const float *x, float beta,
                float *y, int16_t *xq);
  void (*bernoulli_scaled)(uint32_t *state, double keep, float *out, size_t n);
  void (*ctc_forward)(size_t T, size_t B, size_t C, size_t S, const float *lp, const int32_t *targets,
                      const int32_t *input_lengths, const int32_t *target_lengths, int blank, float *alpha, float *nll);
  void (*ctc_backward)(size_t T, size_t B, size_t C, size_t S, const float *lp, const int32_t *targets,
                       const int32_t *input_lengths, const int32_t *target_lengths, int blank, const float *alpha,
                       const float *nll, const float *g_nll, int zero_infinity, float *beta, float *g_lp);
  /* packed.h: op(B) in 16-column panels, and products over a range of them. */
  void (*pack_panels)(int transB, const float *B, size_t ldb, size_t K, size_t N, float *panels);
  void (*gemm_panels)(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
                      const float *panels, size_t p0, size_t p1, float beta, float *C, size_t ldc);
} rk_table;

extern const rk_table rk_table_base;
#if defined(__x86_64__)
extern const rk_table rk_table_avx2;
#endif

#endif
