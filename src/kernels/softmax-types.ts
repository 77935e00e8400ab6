/** Row-wise softmax and log-softmax. Conventions for every area are in types.ts. */
export interface SoftmaxKernels {
  /** Row-wise (log-)softmax of x [rows, n]. */
  softmax(x: Float32Array, rows: number, n: number, out: Float32Array, log: boolean): void;
  /** gx += dsoftmax: y*(gy - Σ gy·y), or for log-softmax gy - exp(y)·Σ gy. */
  softmaxBackward(y: Float32Array, gy: Float32Array, rows: number, n: number, gx: Float32Array, log: boolean): void;
}
