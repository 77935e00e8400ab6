import { RecurError } from '../../errors.js';
import { add, mul, neg, sub } from '../../autograd/ops/index.js';
import { broadcastShapes } from '../../autograd/ops/broadcast.js';
import { sameShape, shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { softplus } from '../ops/softplus.js';
import { checkReduction, reduce, type Reduction } from './reduction.js';

export interface BceWithLogitsOptions {
  /** Elementwise rescaling weight, broadcastable to the input (e.g. [C] or [N, 1]). */
  weight?: Tensor | null;
  /** Weight of positive examples per class, [C], broadcast over the last axis. */
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

/**
 * Binary cross entropy on logits, as `F.binary_cross_entropy_with_logits`, computed stably:
 *
 *     loss = −w · [ pw · t · log σ(x) + (1 − t) · log(1 − σ(x)) ]
 *          =  w · [ (1 − t) · x + (1 + (pw − 1) · t) · softplus(−x) ]
 *
 * Gradient w.r.t. x is w · (σ(x) · (1 + (pw − 1)t) − pw · t), exact also at x = 0. Targets may
 * be soft (any value in [0, 1]) and receive gradients too.
 *
 * | argument | shape |
 * |---|---|
 * | `input` (logits), `target` | `[*]`, equal shapes |
 * | `posWeight` | `[C]` where C is the last axis of input |
 * | output | `[]`, or `[*]` for `reduction: 'none'` |
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const reduction = checkReduction(opts.reduction ?? 'mean', op);
  if (!sameShape(input.shape, target.shape)) {
    throw new RecurError(`${op}: input shape ${shapeStr(input.shape)} and target shape ${shapeStr(target.shape)} must be equal`);
  }
  const pw = opts.posWeight ?? null;
  if (pw) {
    const C = input.ndim ? input.shape[input.ndim - 1]! : 1;
    if (!(pw.ndim === 1 && pw.size === C) && pw.size !== 1) {
      throw new RecurError(`${op}: posWeight must have shape [${C}] (the last axis of input ${shapeStr(input.shape)}), got ${shapeStr(pw.shape)}`);
    }
  }
  if (opts.weight) broadcastShapes(input.shape, opts.weight.shape, `${op} (weight)`);
  const spNeg = softplus(neg(input));
  // (1 − t) · x
  let loss = sub(input, mul(target, input));
  if (pw) {
    const logWeight = add(mul(target, sub(pw.detach(), 1)), 1); // 1 + (pw − 1) t
    loss = add(loss, mul(logWeight, spNeg));
  } else {
    loss = add(loss, spNeg);
  }
  if (opts.weight) loss = mul(loss, opts.weight.detach());
  return reduce(loss, reduction);
}
