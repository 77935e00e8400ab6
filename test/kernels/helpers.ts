/**
 * Shared helpers for backend-vs-reference kernel tests: a seeded RNG, tolerant comparison, and a
 * harness that runs one kernel call on a backend (with its arrays placed in a chosen kind of
 * storage) and on the JS reference, then compares every array and the return value.
 */
import assert from 'node:assert/strict';
import { jsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/types.js';

/** Mulberry32: small, seeded, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randArray(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

export interface Tol {
  rtol: number;
  atol: number;
}

export const DEFAULT_TOL: Tol = { rtol: 1e-5, atol: 1e-6 };

/** Asserts |a - e| <= atol + rtol*|e| elementwise; NaN must match NaN, infinities exactly. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
      continue;
    }
    if (!Number.isFinite(e)) {
      assert.equal(a, e, `${what}[${i}]: expected ${e}, got ${a}`);
      continue;
    }
    const err = Math.abs(a - e);
    if (!(err <= tol.atol + tol.rtol * Math.abs(e))) {
      assert.fail(`${what}[${i}]: got ${a}, expected ${e} (abs err ${err.toExponential(2)}, tol ${tol.atol} + ${tol.rtol}*|e|)`);
    }
  }
}

/**
 * Where a test places the arrays a kernel receives:
 * - heap: storage from the backend's alloc (zero-copy path)
 * - offset: a subarray at an odd element offset into backend storage
 * - plain: ordinary Float32Arrays (the copy-in/copy-out path)
 */
export type Placement = 'heap' | 'offset' | 'plain';
export const PLACEMENTS: readonly Placement[] = ['heap', 'offset', 'plain'];

export function place(k: Kernels, values: Float32Array, where: Placement): Float32Array {
  let a: Float32Array;
  if (where === 'plain') a = new Float32Array(values.length);
  else if (where === 'heap') a = k.alloc(values.length);
  else a = k.alloc(values.length + 3).subarray(3, 3 + values.length);
  a.set(values);
  return a;
}

export interface Case {
  f32: Float32Array[];
  i32?: Int32Array[];
}

/**
 * Runs `run` on the backend (arrays placed per `where`) and on the JS reference (plain copies)
 * and compares all arrays afterwards (inputs must be unchanged, outputs close) and the result.
 */
export function compareWithReference(k: Kernels, name: string, c: Case, where: Placement, tol: Tol,
  run: (K: Kernels, f: Float32Array[], i: Int32Array[]) => number | void): void {
  const ref = c.f32.map((a) => Float32Array.from(a));
  const refI = (c.i32 ?? []).map((a) => Int32Array.from(a));
  const got = c.f32.map((a) => place(k, a, where));
  const gotI = (c.i32 ?? []).map((a) => Int32Array.from(a));
  const re = run(jsKernels, ref, refI);
  const ge = run(k, got, gotI);
  if (typeof re === 'number') assertClose([ge as number], [re], tol, `${name} (${where}) result`);
  ref.forEach((e, j) => assertClose(got[j]!, e, tol, `${name} (${where}) array ${j}`));
  refI.forEach((e, j) => assert.deepEqual(Array.from(gotI[j]!), Array.from(e), `${name} (${where}) int array ${j}`));
}
