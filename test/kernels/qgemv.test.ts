/**
 * qgemv (int8 weights × float32 activations) and quantizeRows.
 *
 * The contract in src/kernels/qgemv-types.ts defines every rounding, so the checks are EXACT:
 * (1) the reference against an independent float64 re-computation of the contract, (2) every
 * registered backend (js, wasm, native when built; the suite also runs per backend with
 * --backend) against the reference, bit for bit, with weights and vectors in backend memory, at
 * odd offsets and in plain arrays. One approximate check ties the semantics to the real product:
 * the error against W·x in float64 is within the activation-rounding bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availableBackends, backendName, kernels, setBackend } from '../../src/kernels/index.js';
import { jsKernels } from '../../src/kernels/js.js';
import { dequantizeRows, quantizeRows } from '../../src/kernels/quantize.js';
import type { Kernels } from '../../src/kernels/types.js';
import { randArray, rng } from './helpers.js';

const fr = Math.fround;

/** Ties-to-even written differently from the reference's (floor and fraction). */
function rint(v: number): number {
  const f = Math.floor(v), d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** The contract of types.ts, step by step, in float64 with explicit float32 roundings. */
function hand(N: number, K: number, W: ArrayLike<number>, scale: ArrayLike<number>, x: ArrayLike<number>, beta: number, y0: ArrayLike<number>): number[] {
  const y = Array.from(y0);
  let amax = 0, bad = false;
  for (let k = 0; k < K; k++) {
    if (Number.isNaN(x[k]!) || !Number.isFinite(x[k]!)) bad = true;
    else amax = Math.max(amax, Math.abs(x[k]!));
  }
  if (bad) return y.map(() => NaN);
  const b = fr(beta);
  if (amax < 2 ** -96) return y.map((v) => (b === 0 ? 0 : fr(b * v)));
  const sx = fr(amax / 32767), inv = fr(32767 / amax);
  const xq = Array.from({ length: K }, (_, k) => Math.max(-32767, Math.min(32767, rint(fr(x[k]! * inv)))));
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let c = 0; c * 512 < K; c++) {
      let acc = 0;
      for (let k = c * 512; k < Math.min(K, (c + 1) * 512); k++) acc += W[n * K + k]! * xq[k]!;
      assert.ok(Math.abs(acc) < 2 ** 31, 'chunk sum fits int32');
      s = fr(s + fr(acc));
    }
    const v = fr(fr(sx * scale[n]!) * s);
    y[n] = b === 0 ? v : fr(fr(b * y[n]!) + v);
  }
  return y;
}

type Where = 'heap' | 'offset' | 'plain';

/** An Int8Array in backend k's memory (as quantizeRows makes them), at an offset, or plain. */
function int8In(k: Kernels, v: Int8Array, where: Where): Int8Array {
  if (where === 'plain') return Int8Array.from(v);
  const off = where === 'offset' ? 5 : 0;
  const f = k.alloc(Math.ceil((v.length + off) / 4) + 1);
  const a = new Int8Array(f.buffer, f.byteOffset + off, v.length);
  a.set(v);
  holders.push(f); // keeps the block alive while the view is in use (wasm reclaims by the Float32Array)
  return a;
}
const holders: Float32Array[] = [];

function f32In(k: Kernels, v: Float32Array, where: Where): Float32Array {
  if (where === 'plain') return Float32Array.from(v);
  const a = where === 'offset' ? k.alloc(v.length + 3).subarray(3) : k.alloc(v.length);
  a.set(v);
  return a;
}

function randInt8(r: () => number, n: number): Int8Array {
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.round(r() * 254) - 127;
  return a;
}

/** Every registered backend, each with the active one restored afterwards. */
function eachBackend(fn: (k: Kernels) => void): void {
  const prev = backendName();
  try {
    for (const name of availableBackends()) {
      setBackend(name);
      fn(kernels());
    }
  } finally {
    setBackend(prev);
  }
}

function sameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      assert.fail(`${what}[${i}]: got ${got[i]}, expected ${want[i]}`);
    }
  }
}

/** Runs qgemv on k with the given placements and compares with the reference, bit for bit. */
function check(k: Kernels, N: number, K: number, W: Int8Array, scale: Float32Array, x: Float32Array, beta: number,
  y0: Float32Array, where: Where, what: string): Float32Array {
  const want = Float32Array.from(y0);
  jsKernels.qgemv(N, K, W, scale, x, beta, want);
  const y = f32In(k, y0, where);
  k.qgemv(N, K, int8In(k, W, where), f32In(k, scale, where), f32In(k, x, where), beta, y);
  sameBits(y, want, `${k.name} ${what} (${where})`);
  return want;
}

describe('qgemv: the reference follows the contract exactly', () => {
  it('matches the float64 re-computation on random sizes across chunk boundaries', () => {
    const r = rng(1);
    for (const [N, K] of [[1, 1], [3, 17], [5, 511], [4, 512], [7, 513], [2, 1500], [9, 2100]] as const) {
      const W = randInt8(r, N * K), scale = randArray(r, N, 0.001, 0.05), x = randArray(r, K, -3, 3);
      for (const beta of [0, 1, 0.37]) {
        const y = randArray(r, N);
        const want = hand(N, K, W, scale, x, beta, y);
        jsKernels.qgemv(N, K, W, scale, x, beta, y);
        sameBits(y, want, `N=${N} K=${K} beta=${beta}`);
      }
    }
  });

  it('rounds activations to int16 with ties to even', () => {
    // amax = 32767 makes inv = sx = 1, so the identity matrix returns xq itself.
    const x = Float32Array.of(32767, 2.5, 3.5, -2.5, -3.5, 0.5, 1.5, -0.49999997, 7.25);
    const K = x.length, W = new Int8Array(K * K);
    for (let i = 0; i < K; i++) W[i * K + i] = 1;
    const y = new Float32Array(K);
    jsKernels.qgemv(K, K, W, new Float32Array(K).fill(1), x, 0, y);
    assert.deepEqual(Array.from(y), [32767, 2, 4, -2, -4, 0, 2, 0, 7]);
  });

  it('is within the activation-rounding bound of the float64 product', () => {
    const r = rng(2);
    const N = 16, K = 700;
    const Wf = randArray(r, N * K, -0.2, 0.2), x = randArray(r, K, -2, 2);
    const q = quantizeRows(Wf, N, K);
    const Wd = dequantizeRows(q);
    const y = new Float32Array(N);
    kernels().qgemv(N, K, q.data, q.scale, x, 0, y);
    let amax = 0;
    for (const v of x) amax = Math.max(amax, Math.abs(v));
    for (let n = 0; n < N; n++) {
      let exact = 0, absW = 0;
      for (let k = 0; k < K; k++) { exact += Wd[n * K + k]! * x[k]!; absW += Math.abs(Wd[n * K + k]!); }
      // |x − sx·xq| ≤ sx/2 per element, plus float32 rounding of the few float steps.
      const bound = absW * (amax / 32767) * 0.5 * (1 + 1e-6) + 1e-6 * absW * amax;
      assert.ok(Math.abs(y[n]! - exact) <= bound, `row ${n}: ${y[n]} vs ${exact} (bound ${bound})`);
    }
  });

  it('special activations: zero, negligible, NaN, Infinity; beta 0 never reads y', () => {
    const N = 3, K = 5, W = randInt8(rng(3), N * K), s = Float32Array.of(0.1, 0.2, 0.3);
    const y = () => Float32Array.of(1, NaN, -2);
    const run = (x: Float32Array, beta: number): number[] => {
      const out = y();
      jsKernels.qgemv(N, K, W, s, x, beta, out);
      return Array.from(out);
    };
    assert.deepEqual(run(new Float32Array(K), 0), [0, 0, 0]);
    assert.deepEqual(run(new Float32Array(K), 2), [2, NaN, -4]);
    assert.deepEqual(run(new Float32Array(K).fill(1e-30), 0.5), [0.5, NaN, -1]);
    assert.ok(run(Float32Array.of(1, NaN, 0, 0, 0), 0).every(Number.isNaN));
    assert.ok(run(Float32Array.of(1, -Infinity, 0, 0, 0), 1).every(Number.isNaN));
    const ok = run(Float32Array.of(1, 2, 3, 4, 5), 0);
    assert.ok(ok.every(Number.isFinite), 'beta = 0 ignores NaN in y');
  });
});

describe('qgemv: every backend is bit-identical to the reference', () => {
  it('random shapes, betas and placements', () => {
    eachBackend((k) => {
      const r = rng(10);
      for (const [N, K] of [[1, 1], [3, 7], [4, 15], [5, 16], [17, 33], [6, 511], [4, 512], [9, 513], [3, 1040], [64, 96], [5, 2100]] as const) {
        const W = randInt8(r, N * K), scale = randArray(r, N, 0.0005, 0.05), x = randArray(r, K, -4, 4);
        for (const beta of [0, 1, 0.5, -2]) {
          for (const where of ['heap', 'offset', 'plain'] as const) check(k, N, K, W, scale, x, beta, randArray(r, N), where, `N=${N} K=${K} beta=${beta}`);
        }
      }
    });
  });

  it('extreme weights and activations: the largest chunk sums, ties, specials', () => {
    eachBackend((k) => {
      const N = 5, K = 2048 + 37;
      const W = new Int8Array(N * K), x = new Float32Array(K);
      for (let i = 0; i < K; i++) {
        x[i] = i % 3 === 0 ? 1 : -1; // |xq| = 32767 everywhere
        W[i] = 127; W[K + i] = -127; // rows 0, 1: the largest sums of both signs
        W[2 * K + i] = x[i]! > 0 ? 127 : -127; // row 2: every product +127·32767
        W[3 * K + i] = i % 2 ? 127 : -127;
        W[4 * K + i] = (i * 37) % 255 - 127;
      }
      const scale = Float32Array.of(1, 1, 3e-3, 0.5, 1e-3);
      check(k, N, K, W, scale, x, 0, new Float32Array(N), 'heap', 'extremes');
      const want = hand(N, K, W, scale, x, 0, new Float32Array(N));
      let s2 = 0; // row 2 by hand: four full chunks of +127·32767, then the 37-term tail
      for (const terms of [512, 512, 512, 512, 37]) s2 = fr(s2 + fr(terms * 127 * 32767));
      assert.equal(want[2], fr(fr(fr(1 / 32767) * fr(3e-3)) * s2));
      // Ties at the activation rounding, negligible and non-finite activations, NaN in y.
      const xt = Float32Array.of(32767, 2.5, 3.5, -2.5, -0.5, 1.5, 0, 9);
      const Wt = randInt8(rng(11), 3 * xt.length), st = Float32Array.of(0.1, 0.2, 0.3);
      for (const xs of [xt, new Float32Array(8), new Float32Array(8).fill(-1e-31), Float32Array.of(1, 2, NaN, 0, 0, 0, 0, 0),
        Float32Array.of(1, Infinity, 0, 0, 0, 0, 0, 0)]) {
        for (const beta of [0, 1, -0.5]) check(k, 3, 8, Wt, st, xs, beta, Float32Array.of(1, NaN, -3), 'heap', `specials ${Array.from(xs)} beta ${beta}`);
      }
    });
  });

  it('a non-reference backend runs its own kernel for weights in its memory, not the fallback', () => {
    eachBackend((k) => {
      if (k.name === 'js') return;
      const saved = jsKernels.qgemv;
      const q = quantizeRows(randArray(rng(12), 40 * 70), 40, 70);
      const x = f32In(k, randArray(rng(13), 70), 'heap'), y = k.alloc(40);
      jsKernels.qgemv = () => assert.fail(`${k.name} fell back to the reference`);
      try {
        k.qgemv(40, 70, int8In(k, q.data, 'heap'), f32In(k, q.scale, 'heap'), x, 0, y);
      } finally {
        jsKernels.qgemv = saved;
      }
      const want = new Float32Array(40);
      saved(40, 70, q.data, q.scale, x, 0, want);
      sameBits(y, want, `${k.name} own kernel`);
    });
  });
});

describe('quantizeRows', () => {
  it('per-row symmetric int8: max maps to ±127, error at most half a step, zero rows stay zero', () => {
    const r = rng(20);
    const N = 6, K = 33, ld = 40;
    const W = randArray(r, N * ld, -0.7, 0.7);
    for (let k = 0; k < K; k++) W[3 * ld + k] = 0;
    W[1 * ld + 5] = -2; // a clear row maximum, negative
    const q = quantizeRows(W, N, K, ld);
    const Wd = dequantizeRows(q);
    assert.equal(q.data.length, N * K);
    for (let n = 0; n < N; n++) {
      let amax = 0;
      for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(W[n * ld + k]!));
      assert.equal(q.scale[n], fr(amax / 127), `scale ${n}`);
      for (let k = 0; k < K; k++) {
        const v = q.data[n * K + k]!;
        assert.ok(v >= -127 && v <= 127);
        assert.ok(Math.abs(Wd[n * K + k]! - W[n * ld + k]!) <= q.scale[n]! * 0.5 + 1e-7, `W[${n},${k}]`);
      }
    }
    assert.equal(q.data[1 * K + 5], -127);
    assert.equal(q.scale[3], 0);
    assert.ok(q.data.subarray(3 * K, 4 * K).every((v) => v === 0));
  });

  it('refuses non-finite weights and short arrays', () => {
    assert.throws(() => quantizeRows(Float32Array.of(1, NaN), 1, 2), /must be finite/);
    assert.throws(() => quantizeRows(new Float32Array(5), 2, 3), /cannot hold/);
  });
});
