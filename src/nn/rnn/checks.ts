import { RecurError } from '../../errors.js';
import { kernels } from '../../kernels/index.js';
import { sameShape, shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

/** Input validation for the recurrent layers and cells. Every message names the layer and the shapes. */

export function checkInt(layer: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RecurError(`${layer}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

export function checkDropout(layer: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new RecurError(`${layer}: dropout must be a number in [0, 1], got ${String(p)}`);
  }
  return p;
}

export function checkChoice<T extends string>(layer: string, name: string, v: unknown, choices: readonly T[]): T {
  if (!choices.includes(v as T)) {
    throw new RecurError(`${layer}: ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** A state tensor (h0, c0, hx, cx) must have exactly the expected shape and finite values. */
export function checkState(layer: string, name: string, t: Tensor, expected: readonly number[], meaning: string): void {
  if (!(t instanceof Tensor)) throw new RecurError(`${layer}: ${name} must be a Tensor, got ${typeof t}`);
  if (!sameShape(t.shape, expected)) {
    throw new RecurError(`${layer}: ${name} has shape ${shapeStr(t.shape)}, expected ${shapeStr(expected)} (${meaning})`);
  }
  // maxAbs propagates NaN and Inf, so one kernel call finds any non-finite value.
  const m = kernels().maxAbs(t.data);
  if (!Number.isFinite(m)) {
    const bad = Array.prototype.findIndex.call(t.data, (v: number) => !Number.isFinite(v));
    throw new RecurError(`${layer}: ${name} contains a non-finite value (${t.data[bad]}) at flat index ${bad}; initial states must be finite`);
  }
}

/**
 * Sequence lengths: one whole number per batch row, each in [1, T]. Any order (as
 * pack_padded_sequence with enforce_sorted=False).
 */
export function checkLengths(layer: string, lengths: ArrayLike<number> | Tensor, B: number, T: number, inputShape: readonly number[]): number[] {
  const src: ArrayLike<number> = lengths instanceof Tensor ? lengths.data : lengths;
  if (lengths instanceof Tensor && lengths.ndim !== 1) {
    throw new RecurError(`${layer}: lengths must be 1-D, got shape ${shapeStr(lengths.shape)}`);
  }
  if (src.length !== B) {
    throw new RecurError(`${layer}: got ${src.length} lengths for a batch of ${B} (input shape ${shapeStr(inputShape)})`);
  }
  const out: number[] = [];
  for (let i = 0; i < B; i++) {
    const v = src[i]!;
    if (!Number.isInteger(v)) throw new RecurError(`${layer}: lengths[${i}] = ${v} is not a whole number`);
    if (v < 1) throw new RecurError(`${layer}: lengths[${i}] = ${v}, but every sequence needs at least 1 step`);
    if (v > T) {
      throw new RecurError(`${layer}: lengths[${i}] = ${v} is longer than the sequence (input shape ${shapeStr(inputShape)} has ${T} steps)`);
    }
    out.push(v);
  }
  return out;
}
