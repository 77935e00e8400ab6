import { RecurError } from '../../errors.js';
import { square, sub } from '../../autograd/ops/index.js';
import { sameShape, shapeStr } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkReduction, reduce, type Reduction } from './reduction.js';

/**
 * Mean squared error, as `F.mse_loss`: `loss_i = (input_i − target_i)²`, then mean (default),
 * sum, or none. Gradients flow into both input and target.
 *
 * | argument | shape |
 * |---|---|
 * | `input`, `target` | `[*]`, equal shapes |
 * | output | `[]`, or `[*]` for `reduction: 'none'` |
 */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const reduction = checkReduction(opts.reduction ?? 'mean', 'mseLoss');
  if (!sameShape(input.shape, target.shape)) {
    throw new RecurError(`mseLoss: input shape ${shapeStr(input.shape)} and target shape ${shapeStr(target.shape)} must be equal`);
  }
  return reduce(square(sub(input, target)), reduction);
}
