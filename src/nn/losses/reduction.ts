import { RecurError } from '../../errors.js';
import { mean, sum } from '../../autograd/ops/index.js';
import type { Tensor } from '../../tensor/tensor.js';

/** How per-element losses are combined, as PyTorch's `reduction` argument. */
export type Reduction = 'none' | 'mean' | 'sum';

export function checkReduction(r: unknown, op: string): Reduction {
  if (r !== 'none' && r !== 'mean' && r !== 'sum') {
    throw new RecurError(`${op}: reduction must be 'none', 'mean' or 'sum', got ${JSON.stringify(r)}`);
  }
  return r;
}

/** Applies an unweighted reduction to elementwise losses. */
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? sum(loss) : mean(loss);
}
