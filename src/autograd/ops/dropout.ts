import { RecurError } from '../../errors.js';
import { emptyStorage, freeStorage, kernels } from '../../kernels/index.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradSlot, outGrad, record } from '../engine.js';

/**
 * Inverted dropout, as PyTorch: zero each element with probability p and scale the rest by
 * 1/(1-p), so evaluation needs no rescaling. Identity when not training or p = 0.
 *
 * forward:  y = x · m,  m_i = 1/(1-p) with probability 1-p, else 0
 * backward: dx += dy · m
 */
export function dropout(x: Tensor, p: number, training: boolean, rng: Rng = globalRng): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RecurError(`dropout: probability must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const K = kernels();
  const mask = emptyStorage(x.size); // every element drawn below
  rng.fillBernoulliScaled(mask, 1 - p);
  const out = new Tensor(emptyStorage(x.size), x.shape); // written whole (accumulate false)
  K.binary('mul', x.data, 1, mask, 1, out.data, false);
  // Only backward reads the mask: it goes back to the pool once backward has passed (at once
  // without a graph) instead of waiting for the collector, ~15 MB a step in the CLI's char LM.
  return record(out, 'dropout', [x], () => {
    const dx = gradSlot(x);
    kernels().binary('mul', outGrad(out), 1, mask, 1, dx.data, !dx.fresh);
  }, () => freeStorage(mask));
}
