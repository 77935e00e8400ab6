import { RecurError } from '../../errors.js';
import { emptyStorage } from '../../kernels/index.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import { mul } from './elementwise.js';

/**
 * Inverted dropout, as PyTorch: zero each element with probability p and scale the rest by
 * 1/(1-p), so evaluation needs no rescaling. Identity when not training or p = 0.
 */
export function dropout(x: Tensor, p: number, training: boolean, rng: Rng = globalRng): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RecurError(`dropout: probability must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const mask = new Tensor(emptyStorage(x.size), x.shape); // every element drawn below
  rng.fillBernoulliScaled(mask.data, 1 - p);
  return mul(x, mask);
}
