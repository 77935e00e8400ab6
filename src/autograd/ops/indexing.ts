import { RecurError } from '../../errors.js';
import { allocStorage, kernels } from '../../kernels/index.js';
import { sameShape, shapeStr } from '../../tensor/shape.js';
import { Tensor, toIndices, type Indices } from '../../tensor/tensor.js';
import { gradOf, outGrad, record } from '../engine.js';

function indexShape(idx: Indices): number[] {
  return idx instanceof Tensor ? [...idx.shape] : [idx.length];
}

/**
 * Rows of x along axis 0: x [N, ...rest], indices [...I] -> [...I, ...rest]. This is the
 * embedding lookup; backward scatter-adds, so a token seen twice gets both gradients.
 */
export function indexSelect(x: Tensor, indices: Indices): Tensor {
  if (x.ndim < 1) throw new RecurError(`indexSelect: expected at least a 1-D tensor, got shape ${shapeStr(x.shape)}`);
  const N = x.shape[0]!;
  const idx = toIndices(indices, N, `indexSelect (table of ${N} rows)`);
  const d = x.size / Math.max(N, 1);
  const out = new Tensor(allocStorage(idx.length * d), [...indexShape(indices), ...x.shape.slice(1)]);
  kernels().gatherRows(x.data, d, idx, out.data);
  return record(out, 'indexSelect', [x], () => {
    kernels().scatterAddRows(outGrad(out), d, idx, gradOf(x));
  });
}

/** out[r] = x[r, index[r]] over the last axis: x [..., C], index [...] -> [...]. */
export function pick(x: Tensor, indices: Indices): Tensor {
  const C = x.shape[x.ndim - 1]!;
  const rows = x.size / C;
  const ishape = indexShape(indices);
  if (!sameShape(ishape, x.shape.slice(0, -1)) && !(ishape.length === 1 && ishape[0] === rows)) {
    throw new RecurError(`pick: index shape ${shapeStr(ishape)} does not match input shape ${shapeStr(x.shape)} without its last axis`);
  }
  const idx = toIndices(indices, C, `pick (${C} classes)`);
  const flat = new Int32Array(rows);
  for (let r = 0; r < rows; r++) flat[r] = r * C + idx[r]!;
  const out = new Tensor(allocStorage(rows), x.shape.slice(0, -1));
  kernels().gatherRows(x.data, 1, flat, out.data);
  return record(out, 'pick', [x], () => {
    kernels().scatterAddRows(outGrad(out), 1, flat, gradOf(x));
  });
}

function checkSame(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (!sameShape(t.shape, ts[0]!.shape)) throw new RecurError(`${op}: shapes ${ts.map((u) => shapeStr(u.shape)).join(', ')} must be equal`);
  }
}

/** cond != 0 ? a : b, elementwise; cond carries no gradient. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  checkSame('where', cond, a, b);
  const out = new Tensor(allocStorage(a.size), a.shape);
  kernels().where(cond.data, a.data, b.data, out.data);
  return record(out, 'where', [a, b], () => {
    const gy = outGrad(out);
    if (a.requiresGrad) kernels().whereBackward(cond.data, gy, gradOf(a), true);
    if (b.requiresGrad) kernels().whereBackward(cond.data, gy, gradOf(b), false);
  });
}

/** x with value wherever mask != 0 (attention masks use -Infinity). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  checkSame('maskedFill', x, mask);
  const fillv = allocStorage(x.size);
  kernels().fill(fillv, value);
  const out = new Tensor(allocStorage(x.size), x.shape);
  kernels().where(mask.data, fillv, x.data, out.data);
  return record(out, 'maskedFill', [x], () => {
    kernels().whereBackward(mask.data, outGrad(out), gradOf(x), false);
  });
}
