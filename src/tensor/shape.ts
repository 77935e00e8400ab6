import { RecurError } from '../errors.js';

export type Shape = readonly number[];

export function shapeStr(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Validates a user-given shape: non-negative integers only. */
export function checkShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RecurError(`${what}: shape ${shapeStr(shape)} has an invalid dimension ${d} (expected non-negative integers)`);
    }
  }
}

/** Normalises a possibly negative axis; the error names the op and the shape. */
export function normAxis(axis: number, ndim: number, op: string, shape: Shape): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(a) || a < 0 || a >= ndim) {
    throw new RecurError(`${op}: axis ${axis} is out of range for shape ${shapeStr(shape)} (${ndim} dims)`);
  }
  return a;
}

/** Splits a shape around an axis into (outer, len, inner) so kernels see a 3-D view. */
export function splitAt(shape: Shape, axis: number): [number, number, number] {
  return [numel(shape.slice(0, axis)), shape[axis]!, numel(shape.slice(axis + 1))];
}

/** Resolves one -1 in a reshape target. */
export function resolveReshape(from: Shape, to: Shape): number[] {
  const n = numel(from);
  const out = [...to];
  const neg = out.indexOf(-1);
  if (neg !== out.lastIndexOf(-1)) throw new RecurError(`reshape: only one dimension may be -1, got ${shapeStr(to)}`);
  if (neg >= 0) {
    const rest = numel(out.filter((_, i) => i !== neg));
    if (rest === 0 || n % rest !== 0) throw new RecurError(`reshape: cannot reshape ${shapeStr(from)} (${n} elements) to ${shapeStr(to)}`);
    out[neg] = n / rest;
  }
  checkShape(out, 'reshape');
  if (numel(out) !== n) throw new RecurError(`reshape: cannot reshape ${shapeStr(from)} (${n} elements) to ${shapeStr(to)} (${numel(out)} elements)`);
  return out;
}
