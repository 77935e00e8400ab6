/*
 * recur native backend: every C kernel, one header per area (the same names as the reference in
 * src/kernels/js/ and the WebAssembly kernels in assembly/), and the table addon.c calls.
 *
 * This file is compiled twice (kernels_avx2.c with `#pragma GCC target("avx2,fma")`, and
 * kernels_base.c for any x86-64 / other CPU); addon.c picks one table at load time. It is the C
 * twin of the assembly/ sources (the WebAssembly backend) and mirrors src/kernels/js/ (the reference):
 * same NaN rules, accumulate-vs-overwrite, aliasing guarantees. Contracts: src/kernels/<area>-types.ts.
 *
 * Vectorisation is explicit, with GCC vector extensions on 8 float lanes (one AVX register, or
 * two SSE registers in the baseline build), rather than left to the auto-vectoriser: in-place
 * calls (out == x) would otherwise fail its runtime alias checks and run scalar. Every loop body is
 * written once as a chunk of up to 8 elements; the tail is the same code on a partial chunk, so an
 * element's result never depends on where the vector loop ended. Inside a chunk every input is
 * loaded before any output is stored, which is what makes `out` aliasing `x`, and `gates`
 * aliasing `xg`, safe.
 *
 * Callers (addon.c) have validated every extent and index: nothing here reads or writes outside
 * the arrays it was given.
 */

#include "simd.h"
#include "vmath.h"
#include "elementwise.h"
#include "memory.h"
#include "reduce.h"
#include "softmax.h"
#include "norm.h"
#include "optim.h"
#include "rnn.h"
#include "batched.h"
#include "ctc.h"
#include "qgemv.h"
#include "random.h"
#include "packed.h"

/* ---- The table addon.c dispatches through --------------------------------------------------- */

const rk_table RK_TABLE_NAME = {
  .axpy = k_axpy,
  .scale = k_scale,
  .clamp = k_clamp,
  .unary = k_unary,
  .unary_backward = k_unary_backward,
  .binary = k_binary,
  .sum_to_broadcast = k_sum_to_broadcast,
  .reduce_sum = k_reduce_sum,
  .reduce_max = k_reduce_max,
  .broadcast_axis = k_broadcast_axis,
  .scatter_argmax = k_scatter_argmax,
  .sum_squares = k_sum_squares,
  .max_abs = k_max_abs,
  .softmax = k_softmax,
  .softmax_backward = k_softmax_backward,
  .gather_rows = k_gather_rows,
  .scatter_add_rows = k_scatter_add_rows,
  .copy_blocks = k_copy_blocks,
  .swap_axes = k_swap_axes,
  .where = k_where,
  .where_backward = k_where_backward,
  .layer_norm = k_layer_norm,
  .layer_norm_backward = k_layer_norm_backward,
  .adam_step = k_adam_step,
  .rmsprop_step = k_rmsprop_step,
  .adagrad_step = k_adagrad_step,
  .rnn_forward = k_rnn_forward,
  .rnn_backward = k_rnn_backward,
  .lstm_forward = k_lstm_forward,
  .lstm_backward = k_lstm_backward,
  .gru_forward = k_gru_forward,
  .gru_backward = k_gru_backward,
  .gru_rb_gates = k_gru_rb_gates,
  .gru_rb_output = k_gru_rb_output,
  .gru_rb_output_backward = k_gru_rb_output_backward,
  .gru_rb_gates_backward = k_gru_rb_gates_backward,
  .bmv = k_bmv,
  .bger = k_bger,
  .qgemv = k_qgemv,
  .bernoulli_scaled = k_bernoulli_scaled,
  .ctc_forward = k_ctc_forward,
  .ctc_backward = k_ctc_backward,
  .pack_panels = k_pack_panels,
  .gemm_panels = k_gemm_panels,
};
