/**
 * Elementwise arithmetic, with broadcasting. Outputs may alias inputs in every kernel here
 * (unary, binary, scale, clamp, axpy): ops rely on in-place forms like `out = out + bias`, so
 * each element is read before it is written. Conventions for every area are in types.ts.
 */
import type { BinaryOp, UnaryOp } from './op-codes.js';

export type { BinaryOp, UnaryOp } from './op-codes.js';

export interface ElementwiseKernels {
  /** y += alpha * x (length of x). */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  /** out = alpha * x (length of x); out may alias x. */
  scale(alpha: number, x: Float32Array, out: Float32Array): void;
  /** out = clamp(x, lo, hi); out may alias x. */
  clamp(x: Float32Array, lo: number, hi: number, out: Float32Array): void;

  /** out = op(x) elementwise over out.length. */
  unary(op: UnaryOp, x: Float32Array, out: Float32Array): void;
  /** gx += op'(x) * gy. `y` is the forward output (tanh/sigmoid/exp/sqrt use it). */
  unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, gy: Float32Array, gx: Float32Array): void;

  /**
   * out[i] (=|+=) op(a[ia(i)], b[ib(i)]) for i < out.length, where an operand of length m with
   * repeat r is read at floor(i / r) % m. Equal shapes: r = 1, m = n. Trailing broadcast
   * ([3] with [2,3]): r = 1, m = 3. Broadcast of a size-1 trailing axis ([2,1] with [2,3]): r = 3.
   */
  binary(op: BinaryOp, a: Float32Array, aRepeat: number, b: Float32Array, bRepeat: number, out: Float32Array, accumulate: boolean): void;
  /** Adjoint of broadcasting: out[floor(i / repeat) % out.length] += alpha * g[i] for i < g.length. */
  sumToBroadcast(g: Float32Array, repeat: number, out: Float32Array, alpha: number): void;

  /** out = cond != 0 ? a : b, all of length out.length. */
  where(cond: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** gx += (cond != 0) === pick ? gy : 0. */
  whereBackward(cond: Float32Array, gy: Float32Array, gx: Float32Array, pick: boolean): void;
}
