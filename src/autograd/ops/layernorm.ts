import { RecurError } from '../../errors.js';
import { allocStorage, kernels } from '../../kernels/index.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradOf, outGrad, record } from '../engine.js';

/** Layer normalisation over the last axis, as torch.nn.functional.layer_norm with a 1-D normalized_shape. */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const n = x.shape[x.ndim - 1]!;
  for (const [t, what] of [[weight, 'weight'], [bias, 'bias']] as const) {
    if (t && (t.ndim !== 1 || t.size !== n)) {
      throw new RecurError(`layerNorm: ${what} must have shape [${n}] to match input ${shapeStr(x.shape)}, got ${shapeStr(t.shape)}`);
    }
  }
  const rows = x.size / n;
  const out = new Tensor(allocStorage(x.size), x.shape);
  const mean = allocStorage(rows), rstd = allocStorage(rows);
  kernels().layerNorm(x.data, rows, n, weight?.data ?? null, bias?.data ?? null, eps, out.data, mean, rstd);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, 'layerNorm', inputs, () => {
    kernels().layerNormBackward(x.data, outGrad(out), rows, n, weight?.data ?? null, mean, rstd,
      x.requiresGrad ? gradOf(x) : null,
      weight?.requiresGrad ? gradOf(weight) : null,
      bias?.requiresGrad ? gradOf(bias) : null);
  });
}
