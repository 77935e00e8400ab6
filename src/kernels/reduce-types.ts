/** Reductions over an axis, their adjoints, and whole-array norms. Conventions for every area are in types.ts. */
import type { ReduceOp } from './op-codes.js';

export type { ReduceOp } from './op-codes.js';

export interface ReduceKernels {
  /** Reduces x viewed as [outer, len, inner] over the middle axis into out [outer, inner]. For max, argmax (if given) gets the index along the axis. */
  reduce(op: ReduceOp, x: Float32Array, outer: number, len: number, inner: number, out: Float32Array, argmax?: Int32Array): void;
  /** gx[o, l, i] += alpha * gy[o, i]: the adjoint of a sum over the middle axis. */
  broadcastAxis(gy: Float32Array, outer: number, len: number, inner: number, gx: Float32Array, alpha: number): void;
  /** gx[o, argmax[o, i], i] += gy[o, i]: the adjoint of a max over the middle axis. */
  scatterArgmax(gy: Float32Array, argmax: Int32Array, outer: number, len: number, inner: number, gx: Float32Array): void;
  /** Sum of squares of x (float64 accumulation), for norms. */
  sumSquares(x: Float32Array): number;
  /** max |x|. */
  maxAbs(x: Float32Array): number;
}
