import { gradOf, outGrad, record } from '../../autograd/engine.js';
import { allocStorage, kernels } from '../../kernels/index.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * softplus(x) = log(1 + exp(x)), computed stably as relu(x) + log(1 + exp(-|x|)), with the
 * exact derivative sigmoid(x) (no kink at 0). Same as torch.nn.functional.softplus with
 * beta=1 except that it never switches to the linear approximation above threshold=20
 * (the difference there is below 2.1e-9).
 */
export function softplus(x: Tensor): Tensor {
  const K = kernels();
  const n = x.size;
  const out = new Tensor(allocStorage(n), x.shape);
  const t = allocStorage(n);
  const one = allocStorage(1);
  K.fill(one, 1);
  K.unary('abs', x.data, t);
  K.unary('neg', t, t);
  K.unary('exp', t, t);
  K.binary('add', t, 1, one, 1, t, false);
  K.unary('log', t, t);
  K.unary('relu', x.data, out.data);
  K.binary('add', out.data, 1, t, 1, out.data, false);
  return record(out, 'softplus', [x], () => {
    const K = kernels();
    const s = allocStorage(n);
    K.unary('sigmoid', x.data, s);
    K.binary('mul', outGrad(out), 1, s, 1, gradOf(x), true);
  });
}
