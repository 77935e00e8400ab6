import { RecurError } from '../../errors.js';
import { emptyStorage, kernels } from '../../kernels/index.js';
import { normAxis, numel, resolveReshape, shapeStr, splitAt, type Shape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradOf, gradSlot, outGrad, passGrad, record } from '../engine.js';

/** A new shape over the SAME data (like a contiguous torch view); gradients flow back unchanged. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const out = new Tensor(x.data, resolveReshape(x.shape, shape));
  return record(out, 'reshape', [x], () => passGrad(out, x));
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.ndim + 1, 'unsqueeze', x.shape);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.ndim, 'squeeze', x.shape);
  if (x.shape[a] !== 1) throw new RecurError(`squeeze: axis ${axis} of shape ${shapeStr(x.shape)} has size ${x.shape[a]}, expected 1`);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

/** Swaps two axes (copying), like torch.transpose(x, d0, d1).contiguous(). */
export function transpose(x: Tensor, axis0: number, axis1: number): Tensor {
  let d0 = normAxis(axis0, x.ndim, 'transpose', x.shape);
  let d1 = normAxis(axis1, x.ndim, 'transpose', x.shape);
  if (d0 === d1) return reshape(x, x.shape);
  if (d0 > d1) [d0, d1] = [d1, d0];
  const s = x.shape;
  const outer = numel(s.slice(0, d0)), A = s[d0]!, mid = numel(s.slice(d0 + 1, d1)), B = s[d1]!, inner = numel(s.slice(d1 + 1));
  const shape = [...s];
  shape[d0] = B;
  shape[d1] = A;
  const out = new Tensor(emptyStorage(x.size), shape);
  kernels().swapAxes(x.data, outer, A, mid, B, inner, out.data, false);
  return record(out, 'transpose', [x], () => {
    const dx = gradSlot(x);
    kernels().swapAxes(outGrad(out), outer, B, mid, A, inner, dx.data, !dx.fresh);
  });
}

/** x[..., start:end, ...] along one axis (copying). Negative bounds count from the end. */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normAxis(axis, x.ndim, 'slice', x.shape);
  const [outer, len, inner] = splitAt(x.shape, a);
  const norm = (v: number): number => Math.min(Math.max(v < 0 ? v + len : v, 0), len);
  const s = norm(start), e = Math.max(s, norm(end ?? len));
  const L = e - s;
  const shape = [...x.shape];
  shape[a] = L;
  const out = new Tensor(emptyStorage(outer * L * inner), shape);
  kernels().copyBlocks(x.data, s * inner, len * inner, out.data, 0, L * inner, L * inner, outer, false);
  return record(out, 'slice', [x], () => {
    kernels().copyBlocks(outGrad(out), 0, L * inner, gradOf(x), s * inner, len * inner, L * inner, outer, true);
  });
}

/** Joins tensors along an existing axis; all other axes must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RecurError('concat: expected at least one tensor');
  const first = xs[0]!;
  const a = normAxis(axis, first.ndim, 'concat', first.shape);
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new RecurError(`concat: shapes ${xs.map((u) => shapeStr(u.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const [outer, , inner] = splitAt(first.shape, a);
  const total = xs.reduce((n, t) => n + t.shape[a]!, 0);
  const shape = [...first.shape];
  shape[a] = total;
  const out = new Tensor(emptyStorage(outer * total * inner), shape);
  const offsets: number[] = [];
  let off = 0;
  for (const t of xs) {
    offsets.push(off);
    const L = t.shape[a]! * inner;
    kernels().copyBlocks(t.data, 0, L, out.data, off, total * inner, L, outer, false);
    off += L;
  }
  return record(out, 'concat', xs, () => {
    const gy = outGrad(out);
    xs.forEach((t, k) => {
      if (!t.requiresGrad) return;
      const L = t.shape[a]! * inner;
      const dt = gradSlot(t);
      kernels().copyBlocks(gy, offsets[k]!, total * inner, dt.data, 0, L, L, outer, !dt.fresh);
    });
  });
}

/** Stacks equal-shaped tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RecurError('stack: expected at least one tensor');
  const a = normAxis(axis, xs[0]!.ndim + 1, 'stack', xs[0]!.shape);
  for (const t of xs) {
    if (shapeStr(t.shape) !== shapeStr(xs[0]!.shape)) {
      throw new RecurError(`stack: all tensors must have the same shape, got ${xs.map((u) => shapeStr(u.shape)).join(', ')}`);
    }
  }
  return concat(xs.map((t) => unsqueeze(t, a)), a);
}
