import { RecurError } from '../errors.js';
import { kernels } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';

function grads(params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  return list.filter((p) => p.grad !== null).map((p) => p.grad!);
}

export interface ClipGradNormOptions {
  /** Throw (and leave gradients untouched) when the total norm is NaN or infinite. */
  errorIfNonfinite?: boolean;
}

/**
 * Rescales the gradients of `params` jointly so that their total norm is at most `maxNorm`,
 * as `torch.nn.utils.clip_grad_norm_`, and returns the total norm BEFORE clipping.
 *
 *     total = ‖ all gradient elements ‖_p        (p = 2, or Infinity: max |g|)
 *     coef  = maxNorm / (total + 1e-6); if coef < 1, every gradient is multiplied by coef
 *
 * Parameters without a gradient are ignored. When the total norm is not finite the
 * gradients are NOT scaled (PyTorch would multiply them by NaN): the norm is returned so the
 * caller can skip the step, or a RecurError is thrown with `errorIfNonfinite`.
 */
export function clipGradNorm(params: Iterable<Tensor> | Tensor, maxNorm: number, normType: number = 2, opts: ClipGradNormOptions = {}): number {
  if (!(maxNorm >= 0)) throw new RecurError(`clipGradNorm: maxNorm must be a non-negative number, got ${maxNorm}`);
  if (normType !== 2 && normType !== Infinity) {
    throw new RecurError(`clipGradNorm: normType must be 2 or Infinity, got ${normType}`);
  }
  const gs = grads(params);
  if (gs.length === 0) return 0;
  const K = kernels();
  let total: number;
  if (normType === Infinity) {
    total = 0;
    for (const g of gs) {
      const m = K.maxAbs(g.data);
      if (m > total || Number.isNaN(m)) total = m;
    }
  } else {
    let s = 0;
    for (const g of gs) s += K.sumSquares(g.data);
    total = Math.sqrt(s);
  }
  if (!Number.isFinite(total)) {
    if (opts.errorIfNonfinite) {
      throw new RecurError(`clipGradNorm: the total norm of order ${normType} of the gradients is ${total}; gradients were left unchanged`);
    }
    return total;
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const g of gs) K.scale(coef, g.data, g.data);
  return total;
}

/** Clamps every gradient element into [−clipValue, clipValue], as `clip_grad_value_`. */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (!(clipValue >= 0)) throw new RecurError(`clipGradValue: clipValue must be a non-negative number, got ${clipValue}`);
  for (const g of grads(params)) kernels().clamp(g.data, -clipValue, clipValue, g.data);
}
