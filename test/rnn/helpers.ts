import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readSafetensorsFile } from '../../src/io/files.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/assert.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/rnn/', import.meta.url));

export interface Fixture {
  t: Map<string, Tensor>;
  config: Record<string, unknown>;
}

export function loadFixture(name: string): Fixture {
  const { tensors, metadata } = readSafetensorsFile(FIXTURES + name);
  return { t: tensors, config: JSON.parse(metadata.config ?? '{}') as Record<string, unknown> };
}

/**
 * Max |got - want| scaled by max |want| (at least 1e-3, so an all-but-zero tensor is judged
 * absolutely): one number per tensor, comparable across tensors of different magnitude.
 */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, 'length mismatch');
  let d = 0, m = 0;
  for (let i = 0; i < want.length; i++) {
    const diff = Math.abs(got[i]! - want[i]!);
    if (!(diff <= d)) d = diff; // NaN propagates as a failure
    m = Math.max(m, Math.abs(want[i]!));
  }
  return d / Math.max(m, 1e-3);
}

/**
 * Asserts |got - want| <= tol·max(1, max|want|) elementwise (shared assertClose, for its
 * failure message) and relError <= tol; returns relError.
 */
export function expectClose(got: Tensor, want: Tensor, tol: number, what: string): number {
  assertClose(got, want, { rtol: tol, atol: 0, relativeToMax: true, what });
  const e = relError(got.data, want.data);
  assert.ok(e <= tol, `${what}: relative error ${e.toExponential(2)} > ${tol}`);
  return e;
}
