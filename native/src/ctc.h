/* CTC forward-backward (contract in src/kernels/ctc-types.ts, reference src/kernels/ctc-js.ts,
 * followed step for step). The caller (addon.c) has checked every length and label. */
#ifndef RECUR_CTC_H
#define RECUR_CTC_H
#include <stddef.h>
#include <stdint.h>

void ctc_forward(size_t T, size_t B, size_t C, size_t S, const float *lp, const int32_t *targets,
                 const int32_t *input_lengths, const int32_t *target_lengths, int blank, float *alpha, float *nll);
void ctc_backward(size_t T, size_t B, size_t C, size_t S, const float *lp, const int32_t *targets,
                  const int32_t *input_lengths, const int32_t *target_lengths, int blank, const float *alpha,
                  const float *nll, const float *g_nll, int zero_infinity, float *beta, float *g_lp);
#endif
