/**
 * Attention: batched matrix-vector products (src/nn/attention.ts).
 *
 * Each decoder step scores a query against every memory position and averages the memory by
 * the weights: per batch entry a matrix-vector product with a [M, N] matrix. As B separate
 * GEMM calls these run at a few percent of peak (N = 1, and the backward becomes rank-1
 * GEMMs), so they are kernels of their own. A is [batch, M, N] row-major.
 *
 * Conventions for every area are in types.ts.
 */
export interface BatchedKernels {
  /**
   * trans = false: y[b, m] (=|+=) Σ_n A[b, m, n] · x[b, n]   (x [batch, N], y [batch, M]);
   * trans = true:  y[b, n] (=|+=) Σ_m A[b, m, n] · x[b, m]   (x [batch, M], y [batch, N]).
   */
  bmv(trans: boolean, batch: number, M: number, N: number, A: Float32Array, x: Float32Array, y: Float32Array, accumulate: boolean): void;
  /** A[b, m, n] += x[b, m] · y[b, n]: batched rank-1 update (the matrix gradient of bmv). */
  bger(batch: number, M: number, N: number, x: Float32Array, y: Float32Array, A: Float32Array): void;
}
