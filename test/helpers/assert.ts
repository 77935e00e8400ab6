/**
 * Numeric assertions shared by all test files.
 *
 *     assertClose(got, want, { rtol: 1e-5, atol: 1e-6, what: 'grad.weight' });
 *
 * An element passes when |got − want| ≤ atol + rtol·|want| (numpy.isclose), or when both are
 * NaN (with `equalNan`, default true) or the same infinity. On failure the message names
 * the worst element (largest |err| / tolerance) with its multi-index when a shape is known,
 * how many elements failed, and the max absolute / relative errors, e.g.
 *
 *     grad.weight: 3 of 20 elements differ (atol=1e-6, rtol=1e-5); worst at index 7 [1,2]:
 *     got 0.51234, expected 0.51201 (abs err 3.3e-4, rel err 6.4e-4); max abs err 3.3e-4
 */
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/tensor.js';

export type Numeric = Tensor | Float32Array | Float64Array | readonly number[] | number;

export interface CloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Name used in the failure message. */
  what?: string;
  /** NaN equals NaN (default true). */
  equalNan?: boolean;
  /**
   * Scale the tolerance by max(1, max|want|) over the whole array instead of per element:
   * |got − want| ≤ atol + rtol·max(1, max|want|). Suits float32 results of sums where small
   * elements carry the absolute error of large ones.
   */
  relativeToMax?: boolean;
  /** Shape for multi-index reporting (taken from a Tensor argument when omitted). */
  shape?: readonly number[];
}

function toArray(x: Numeric): ArrayLike<number> {
  if (x instanceof Tensor) return x.data;
  if (typeof x === 'number') return [x];
  return x;
}

function multiIndex(i: number, shape: readonly number[] | undefined): string {
  if (!shape || shape.length <= 1) return '';
  const out: number[] = [];
  let r = i;
  for (let k = shape.length - 1; k >= 0; k--) {
    out.unshift(r % shape[k]!);
    r = Math.floor(r / shape[k]!);
  }
  return ` [${out.join(',')}]`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(8) : String(v);
}

/** Asserts elementwise closeness; see the module doc for the rule and the message. */
export function assertClose(actual: Numeric, expected: Numeric, opts: CloseOptions = {}): void {
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-6, equalNan = opts.equalNan ?? true;
  const what = opts.what ?? 'value';
  const a = toArray(actual), e = toArray(expected);
  const shape = opts.shape ?? (expected instanceof Tensor ? expected.shape : actual instanceof Tensor ? actual.shape : undefined);
  if (actual instanceof Tensor && expected instanceof Tensor) {
    assert.deepEqual([...actual.shape], [...expected.shape], `${what}: shape [${actual.shape.join(',')}], expected [${expected.shape.join(',')}]`);
  }
  if (a.length !== e.length) assert.fail(`${what}: got ${a.length} elements, expected ${e.length}`);
  let scale = 1;
  if (opts.relativeToMax) for (let i = 0; i < e.length; i++) if (Number.isFinite(e[i]!)) scale = Math.max(scale, Math.abs(e[i]!));
  let bad = 0, worst = -1, worstRatio = -1, maxAbs = 0, maxRel = 0;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!, y = e[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) && Number.isNaN(y) && equalNan) continue;
      bad++;
      if (worstRatio < Infinity) { worstRatio = Infinity; worst = i; }
      continue;
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (x === y) continue;
      bad++;
      if (worstRatio < Infinity) { worstRatio = Infinity; worst = i; }
      continue;
    }
    const err = Math.abs(x - y);
    const tol = atol + rtol * (opts.relativeToMax ? scale : Math.abs(y));
    maxAbs = Math.max(maxAbs, err);
    if (y !== 0) maxRel = Math.max(maxRel, err / Math.abs(y));
    const ratio = tol > 0 ? err / tol : err > 0 ? Infinity : 0;
    if (err > tol) bad++;
    if (ratio > worstRatio && err > tol) { worstRatio = ratio; worst = i; }
  }
  if (bad === 0) return;
  const x = a[worst]!, y = e[worst]!;
  const absErr = Math.abs(x - y);
  const relErr = y !== 0 ? absErr / Math.abs(y) : Infinity;
  assert.fail(`${what}: ${bad} of ${e.length} elements differ (atol=${atol}, rtol=${rtol}${opts.relativeToMax ? `, scaled by ${fmt(scale)}` : ''}); ` +
    `worst at index ${worst}${multiIndex(worst, shape)}: got ${fmt(x)}, expected ${fmt(y)} ` +
    `(abs err ${absErr.toExponential(2)}, rel err ${relErr.toExponential(2)}); max abs err ${maxAbs.toExponential(2)}, max rel err ${maxRel.toExponential(2)}`);
}

/** Asserts bit-identical float arrays (Object.is per element: -0 ≠ 0, NaN = NaN). */
export function assertBitEqual(actual: Numeric, expected: Numeric, what = 'value'): void {
  const a = toArray(actual), e = toArray(expected);
  if (a.length !== e.length) assert.fail(`${what}: got ${a.length} elements, expected ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    if (!Object.is(a[i], e[i])) assert.fail(`${what}: first difference at index ${i}: got ${a[i]}, expected ${e[i]}`);
  }
}

/** Asserts that fn throws an error whose message contains every given fragment. */
export function assertThrowsWith(fn: () => unknown, ...fragments: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (err === undefined) assert.fail(`expected an error mentioning ${fragments.map((f) => JSON.stringify(f)).join(', ')}, but nothing was thrown`);
  const msg = err instanceof Error ? err.message : String(err);
  for (const f of fragments) {
    assert.ok(msg.includes(f), `error message ${JSON.stringify(msg)} does not mention ${JSON.stringify(f)}`);
  }
}
