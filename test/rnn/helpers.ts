import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readSafetensorsFile } from '../../src/io/files.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { relError as sharedRelError } from '../helpers/rel-error.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/rnn/', import.meta.url));

export interface Fixture {
  t: Map<string, Tensor>;
  config: Record<string, unknown>;
}

export function loadFixture(name: string): Fixture {
  const { tensors, metadata } = readSafetensorsFile(FIXTURES + name);
  return { t: tensors, config: JSON.parse(metadata.config ?? '{}') as Record<string, unknown> };
}

/** relError (test/helpers/rel-error.ts), failing loudly on a length mismatch. */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, 'length mismatch');
  return sharedRelError(got, want);
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
