/** Layer normalisation. Conventions for every area are in types.ts. */
export interface NormKernels {
  /** Layer normalisation over rows of width n; caches mean and 1/std per row for backward. gamma/beta may be null. */
  layerNorm(x: Float32Array, rows: number, n: number, gamma: Float32Array | null, beta: Float32Array | null, eps: number,
    out: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  layerNormBackward(x: Float32Array, gy: Float32Array, rows: number, n: number, gamma: Float32Array | null,
    mean: Float32Array, rstd: Float32Array, gx: Float32Array | null, gGamma: Float32Array | null, gBeta: Float32Array | null): void;
}
