/**
 * Int8 matrix-vector product for generation (src/nn/rnn/stepper.ts).
 *
 * Batch-1 generation is bound by reading the weights, once per token; int8 weights read a
 * quarter of the bytes. The semantics are defined down to every float rounding so that every
 * backend gives BIT-IDENTICAL results (the tests compare them exactly); js/qgemv.ts is the
 * reference.
 *
 * Conventions for every area are in types.ts.
 */
export interface QgemvKernels {
  /**
   * y[n] = beta·y[n] + scale[n]·sx·acc_n for n < N, with W int8 [N, K] row-major (row stride K,
   * entries in [−127, 127], usually from quantizeRows) and x float32 [K]. Exactly, with every
   * named float value rounded to float32 (fl = round to nearest, ties to even):
   *
   * 1. amax = max_k |x[k]|. If amax is NaN or ±Infinity, y[n] = NaN for every n. If
   *    amax < 2^−96 (all-zero or negligible activations), x counts as zero: y[n] = fl(beta·y[n])
   *    (0 when beta is 0).
   * 2. sx = fl(amax / 32767), inv = fl(32767 / amax);
   *    xq[k] = clamp(roundTiesToEven(fl(x[k]·inv)), −32767, 32767), an int16.
   * 3. acc_{n,c} = Σ_{k in chunk c} W[n,k]·xq[k], exactly, over chunks of 512 consecutive k
   *    (c = 0, 1, ...). |W·xq| ≤ 127·32767 < 2^22, so any partial sum of a chunk stays below
   *    512·127·32767 = 2,130,641,408 < 2^31: an int32 accumulator never overflows, whatever
   *    the order or lane split inside the chunk.
   * 4. s_n = 0; for each chunk in order: s_n = fl(s_n + fl(acc_{n,c})).
   * 5. a_n = fl(sx·scale[n]); v_n = fl(a_n·s_n); y[n] = v_n if beta == 0 (y is not read, as in
   *    BLAS), else fl(fl(beta·y[n]) + v_n). No fused multiply-add anywhere. beta is taken as
   *    float32.
   *
   * W, scale and x are read only; y must not alias them.
   */
  qgemv(N: number, K: number, W: Int8Array, scale: Float32Array, x: Float32Array, beta: number, y: Float32Array): void;
}
