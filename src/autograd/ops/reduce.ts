import { allocStorage, kernels } from '../../kernels/index.js';
import { normAxis, splitAt } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradOf, outGrad, record } from '../engine.js';

function reducedShape(shape: readonly number[], axis: number, keepDim: boolean): number[] {
  return keepDim ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

/** Sum (or mean when scale = 1/len) over one axis. */
function sumAxis(x: Tensor, axis: number, keepDim: boolean, mean: boolean): Tensor {
  const a = normAxis(axis, x.ndim, mean ? 'mean' : 'sum', x.shape);
  const [outer, len, inner] = splitAt(x.shape, a);
  const out = new Tensor(allocStorage(outer * inner), reducedShape(x.shape, a, keepDim));
  kernels().reduce('sum', x.data, outer, len, inner, out.data);
  const alpha = mean ? 1 / len : 1;
  if (mean) kernels().scale(alpha, out.data, out.data);
  return record(out, mean ? 'mean' : 'sum', [x], () => {
    kernels().broadcastAxis(outGrad(out), outer, len, inner, gradOf(x), alpha);
  });
}

function axesList(x: Tensor, axis: number | number[] | undefined, op: string): number[] {
  const list = axis === undefined ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis];
  // Reduce the highest axis first so the remaining indices stay valid.
  return [...new Set(list.map((a) => normAxis(a, x.ndim, op, x.shape)))].sort((p, q) => q - p);
}

/** Sum over the given axes (all by default), like torch.sum. */
export function sum(x: Tensor, axis?: number | number[], keepDim = false): Tensor {
  if (axis === undefined && !keepDim) return sumAxis(x.reshape([x.size]), 0, false, false);
  let y = x;
  for (const a of axesList(x, axis, 'sum')) y = sumAxis(y, a, keepDim, false);
  return y;
}

export function mean(x: Tensor, axis?: number | number[], keepDim = false): Tensor {
  if (axis === undefined && !keepDim) return sumAxis(x.reshape([x.size]), 0, false, true);
  let y = x;
  for (const a of axesList(x, axis, 'mean')) y = sumAxis(y, a, keepDim, true);
  return y;
}

/**
 * Max over one axis (all elements when omitted). The gradient goes to the first maximum, as
 * PyTorch's max(dim); PyTorch's full reduction max() instead splits it among ties.
 */
export function max(x: Tensor, axis?: number, keepDim = false): Tensor {
  if (axis === undefined) {
    const m = max(x.reshape([x.size]), 0);
    return keepDim ? m.reshape(x.shape.map(() => 1)) : m;
  }
  const a = normAxis(axis, x.ndim, 'max', x.shape);
  const [outer, len, inner] = splitAt(x.shape, a);
  const out = new Tensor(allocStorage(outer * inner), reducedShape(x.shape, a, keepDim));
  const argmax = new Int32Array(outer * inner);
  kernels().reduce('max', x.data, outer, len, inner, out.data, argmax);
  return record(out, 'max', [x], () => {
    kernels().scatterArgmax(outGrad(out), argmax, outer, len, inner, gradOf(x));
  });
}

/** Indices of the maxima along an axis (no gradient). */
export function argmax(x: Tensor, axis = -1): Int32Array {
  const a = normAxis(axis, x.ndim, 'argmax', x.shape);
  const [outer, len, inner] = splitAt(x.shape, a);
  const out = allocStorage(outer * inner);
  const idx = new Int32Array(outer * inner);
  kernels().reduce('max', x.data, outer, len, inner, out, idx);
  return idx;
}
