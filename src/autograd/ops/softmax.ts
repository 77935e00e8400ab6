import { emptyStorage, kernels } from '../../kernels/index.js';
import { normAxis } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradOf, outGrad, record } from '../engine.js';
import { transpose } from './shape.js';

function softmaxLast(x: Tensor, log: boolean): Tensor {
  const n = x.shape[x.ndim - 1]!;
  const rows = x.size / n;
  const out = new Tensor(emptyStorage(x.size), x.shape);
  kernels().softmax(x.data, rows, n, out.data, log);
  return record(out, log ? 'logSoftmax' : 'softmax', [x], () => {
    kernels().softmaxBackward(out.data, outGrad(out), rows, n, gradOf(x), log);
  });
}

function along(x: Tensor, axis: number, log: boolean, op: string): Tensor {
  const a = normAxis(axis, x.ndim, op, x.shape);
  if (a === x.ndim - 1) return softmaxLast(x, log);
  return transpose(softmaxLast(transpose(x, a, -1), log), a, -1);
}

export const softmax = (x: Tensor, axis = -1): Tensor => along(x, axis, false, 'softmax');
export const logSoftmax = (x: Tensor, axis = -1): Tensor => along(x, axis, true, 'logSoftmax');
