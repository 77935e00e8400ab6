/**
 * The CTC forward-backward kernels of the wasm and native backends against the JS reference
 * (contract in src/kernels/ctc-types.ts), with arrays in backend memory, at odd offsets and as
 * plain arrays; each call must be served by the backend's own code (its calls() count), and a
 * call outside the contract must go to the reference.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNativeBackend } from '../../src/kernels/native/index.js';
import type { CallCounts, Kernels } from '../../src/kernels/types.js';
import { createWasmBackendSync } from '../../src/kernels/wasm/index.js';
import { backendIndependent } from '../helpers/backend-independent.js';
import { compareWithReference, PLACEMENTS, randArray, rng } from './helpers.js';

type Counted = Kernels & { calls(): CallCounts };

/** Calls of the CTC kernels the backend served and refused so far. */
function ctcCalls(k: Counted): { fwd: number; bwd: number; refused: number } {
  const c = k.calls();
  return { fwd: c.ctcForward?.served ?? 0, bwd: c.ctcBackward?.served ?? 0, refused: (c.ctcForward?.refused ?? 0) + (c.ctcBackward?.refused ?? 0) };
}

/** A [T, B, C] log-softmax input, padded targets with repeats, an empty target and an impossible one. */
function ctcCase(seed: number, T: number, B: number, C: number, S: number): { f32: Float32Array[]; i32: Int32Array[] } {
  const r = rng(seed);
  const lp = randArray(r, T * B * C, -3, 3);
  for (let row = 0; row < T * B; row++) {
    let m = -Infinity, s = 0;
    for (let c = 0; c < C; c++) m = Math.max(m, lp[row * C + c]!);
    for (let c = 0; c < C; c++) s += Math.exp(lp[row * C + c]! - m);
    for (let c = 0; c < C; c++) lp[row * C + c] = lp[row * C + c]! - m - Math.log(s);
  }
  const targets = new Int32Array(B * S), il = new Int32Array(B), tl = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    il[b] = b === 0 ? T : 1 + Math.floor(r() * T);
    tl[b] = b === 1 ? 0 : b === 2 ? S : Math.floor(r() * (S + 1));
    if (b === 2) il[b] = Math.max(1, Math.min(T, S - 1)); // S labels in fewer than S frames: impossible (S > 1)
    for (let j = 0; j < tl[b]!; j++) targets[b * S + j] = j > 0 && r() < 0.3 ? targets[b * S + j - 1]! : 1 + Math.floor(r() * (C - 1));
  }
  const W = 2 * S + 2;
  const gNll = randArray(r, B, 0.1, 1);
  return { f32: [lp, new Float32Array(B * T * W), new Float32Array(B), gNll, new Float32Array(B * T * W), randArray(r, T * B * C)], i32: [targets, il, tl] };
}

function run(K: Kernels, f: Float32Array[], i: Int32Array[], T: number, B: number, C: number, S: number, zeroInfinity: boolean): void {
  const [lp, alpha, nll, gNll, beta, gLp] = f as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const [targets, il, tl] = i as [Int32Array, Int32Array, Int32Array];
  K.ctcForward(T, B, C, S, lp, targets, il, tl, 0, alpha, nll);
  K.ctcBackward(T, B, C, S, lp, targets, il, tl, 0, alpha, nll, gNll, zeroInfinity, beta, gLp);
}

const backends: Array<[string, Counted | null]> = [['wasm', createWasmBackendSync()], ['native', createNativeBackend()]];

for (const [name, k] of backends) {
  describe(`ctc kernels: ${name}`, { skip: k ? backendIndependent.skip : 'native addon not built (npm run build:native)' }, () => {
    if (!k) return;
    const sizes: Array<[number, number, number, number]> = [[1, 3, 2, 1], [7, 4, 5, 3], [40, 5, 29, 12], [300, 3, 9, 60]];
    for (const [T, B, C, S] of sizes) {
      it(`T=${T} B=${B} C=${C} S=${S}: matches the reference and runs in ${name}`, () => {
        for (const zeroInfinity of [false, true]) {
          for (const where of PLACEMENTS) {
            const before = ctcCalls(k);
            // Every sequence's alpha, beta and gradient rows, NaN for the impossible one unless zeroInfinity.
            compareWithReference(k, `ctc ${where}`, ctcCase(T * 31 + S, T, B, C, S), where, { rtol: 1e-5, atol: 1e-6 },
              (K, f, i) => run(K, f, i, T, B, C, S, zeroInfinity));
            const after = ctcCalls(k);
            assert.equal(after.fwd - before.fwd, 1, `${name} served ctcForward (${where})`);
            assert.equal(after.bwd - before.bwd, 1, `${name} served ctcBackward (${where})`);
          }
        }
      });
    }

    it('a label out of range goes to the reference, not the backend', () => {
      const c = ctcCase(5, 6, 3, 4, 2);
      c.i32[0]![0] = 4; // C = 4
      c.i32[2]![0] = 1;
      const before = ctcCalls(k);
      compareWithReference(k, 'ctc bad label', c, 'heap', { rtol: 1e-5, atol: 1e-6 }, (K, f, i) => run(K, f, i, 6, 3, 4, 2, false));
      const after = ctcCalls(k);
      assert.deepEqual([after.fwd, after.bwd, after.refused], [before.fwd, before.bwd, before.refused + 2]);
    });
  });
}
