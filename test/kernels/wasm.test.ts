/**
 * The WebAssembly backend against the JS reference, kernel by kernel.
 *
 * Every kernel runs on random inputs of awkward sizes (1, 3, 17, 33, sizes that are not a
 * multiple of 4 or of the GEMM tile), with its arrays (a) in wasm memory, (b) as subarray views
 * at odd offsets into wasm memory, (c) as plain Float32Arrays (copy path); plus Float64Array
 * storage (delegated to the reference), memory growth, reclaiming and the fallback paths.
 *
 * Tolerances: elementwise arithmetic matches the reference to 1e-5 relative (most of it is
 * bit-exact: f32 add/mul/div/sqrt round like the reference's double-then-store); exp, log,
 * tanh, sigmoid use polynomial approximations, checked at 1e-5 relative + 1e-6 absolute here
 * and by a sweep below (<= 3.2e-7 absolute for tanh/sigmoid, a few ulp for exp/log); GEMM and
 * other sums at 1e-5 relative to the magnitude of the terms (|A|·|B|), since summation order
 * differs from the reference's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsKernels } from '../../src/kernels/js.js';
import type { Kernels, UnaryOp, BinaryOp } from '../../src/kernels/types.js';
import { createWasmBackendSync, type WasmKernels } from '../../src/kernels/wasm/index.js';
import { assertClose, compareWithReference, DEFAULT_TOL, PLACEMENTS, randArray, rng, type Tol } from './helpers.js';

const wk: WasmKernels = createWasmBackendSync();
const SIZES = [1, 3, 4, 17, 33, 1031];
const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'sqrt', 'square', 'abs'];
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min'];

function both(name: string, make: () => { f32: Float32Array[]; i32?: Int32Array[] }, tol: Tol,
  run: (K: Kernels, f: Float32Array[], i: Int32Array[]) => number | void, k: Kernels = wk): void {
  for (const where of PLACEMENTS) compareWithReference(k, name, make(), where, tol, run);
}

/** Inputs with the special values every kernel must treat as the reference does. */
function withSpecials(a: Float32Array): Float32Array {
  const s = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 88.5, -88.5, 100, -100, 0.3];
  for (let i = 0; i < a.length && i < s.length; i++) a[(i * 7) % a.length] = s[i]!;
  return a;
}

describe('wasm backend: loading', () => {
  it('loads a SIMD build and reports it', () => {
    assert.equal(wk.name, 'wasm');
    assert.ok(wk.variant === 'relaxed' || wk.variant === 'simd');
    assert.ok(wk.stats().shared, 'Node has SharedArrayBuffer, so memory is shared');
  });

  it('alloc returns zero-filled views into wasm memory, reused blocks too', () => {
    const a = wk.alloc(33);
    assert.equal(a.length, 33);
    assert.ok(wk.heap.owns(a.buffer));
    assert.ok(a.every((v) => v === 0));
    assert.equal(a.byteOffset % 64, 0, '64-byte aligned');
    assert.equal(wk.alloc(0).length, 0);
  });
});

describe('wasm backend: elementwise', () => {
  const r = rng(1);
  it('axpy, scale, clamp (incl. aliasing out = x)', () => {
    for (const n of SIZES) {
      both('axpy', () => ({ f32: [randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (K, [x, y]) => K.axpy(-0.37, x!, y!));
      both('axpy1', () => ({ f32: [randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (K, [x, y]) => K.axpy(1, x!, y!));
      both('scale', () => ({ f32: [withSpecials(randArray(r, n)), randArray(r, n)] }), DEFAULT_TOL, (K, [x, o]) => K.scale(2.5, x!, o!));
      both('scale in place', () => ({ f32: [randArray(r, n)] }), DEFAULT_TOL, (K, [x]) => K.scale(-3, x!, x!));
      both('clamp', () => ({ f32: [withSpecials(randArray(r, n, -2, 2)), randArray(r, n)] }), DEFAULT_TOL, (K, [x, o]) => K.clamp(x!, -0.5, 0.75, o!));
      both('clamp in place', () => ({ f32: [randArray(r, n, -2, 2)] }), DEFAULT_TOL, (K, [x]) => K.clamp(x!, -0.5, 0.75, x!));
      both('fill/copy', () => ({ f32: [randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (K, [x, y]) => { K.copy(x!, y!); K.fill(x!, 0.25); });
    }
  });

  it('unary ops and their backward, with special values', () => {
    for (const op of UNARY) {
      for (const n of SIZES) {
        const lo = op === 'log' || op === 'sqrt' ? 0.01 : -6, hi = 6;
        both(`unary ${op}`, () => ({ f32: [withSpecials(randArray(r, n, lo, hi)), randArray(r, n)] }), DEFAULT_TOL,
          (K, [x, o]) => K.unary(op, x!, o!));
        both(`unary ${op} in place`, () => ({ f32: [randArray(r, n, lo, hi)] }), DEFAULT_TOL, (K, [x]) => K.unary(op, x!, x!));
        // Backward: y = op(x) from the reference so both sides see the same forward output.
        both(`unaryBackward ${op}`, () => {
          const x = randArray(r, n, lo, hi);
          const y = new Float32Array(n);
          jsKernels.unary(op, x, y);
          return { f32: [x, y, randArray(r, n), randArray(r, n)] };
        }, DEFAULT_TOL, (K, [x, y, gy, gx]) => K.unaryBackward(op, x!, y!, gy!, gx!));
      }
    }
  });

  it('binary ops: equal shapes, trailing broadcast, size-1 axis broadcast, scalars, accumulate', () => {
    for (const op of BINARY) {
      for (const acc of [false, true]) {
        const bLo = op === 'div' ? 0.5 : -1;
        // [n] op [n]
        for (const n of SIZES) {
          both(`${op} equal`, () => ({ f32: [withSpecials(randArray(r, n)), randArray(r, n, bLo, 2), randArray(r, n)] }), DEFAULT_TOL,
            (K, [a, b, o]) => K.binary(op, a!, 1, b!, 1, o!, acc));
        }
        // [rows, d] op [d] (bias), both orders; [rows, d] op [rows, 1]; scalar
        for (const [rows, d] of [[1, 1], [3, 5], [17, 33], [2, 1031], [5, 4]] as const) {
          const n = rows * d;
          both(`${op} trailing`, () => ({ f32: [randArray(r, n), randArray(r, d, bLo, 2), randArray(r, n)] }), DEFAULT_TOL,
            (K, [a, b, o]) => K.binary(op, a!, 1, b!, 1, o!, acc));
          both(`${op} trailing (a small)`, () => ({ f32: [randArray(r, d), randArray(r, n, bLo, 2), randArray(r, n)] }), DEFAULT_TOL,
            (K, [a, b, o]) => K.binary(op, a!, 1, b!, 1, o!, acc));
          both(`${op} size-1 axis`, () => ({ f32: [randArray(r, n), randArray(r, rows, bLo, 2), randArray(r, n)] }), DEFAULT_TOL,
            (K, [a, b, o]) => K.binary(op, a!, 1, b!, d, o!, acc));
          both(`${op} scalar`, () => ({ f32: [randArray(r, n), randArray(r, 1, bLo, 2), randArray(r, n)] }), DEFAULT_TOL,
            (K, [a, b, o]) => K.binary(op, a!, 1, b!, 1, o!, acc));
          both(`${op} scalar-scalar`, () => ({ f32: [randArray(r, 1), randArray(r, 1, bLo, 2), randArray(r, n)] }), DEFAULT_TOL,
            (K, [a, b, o]) => K.binary(op, a!, 1, b!, 1, o!, acc));
          // [2, rows, 1] against [2, rows, d]: repeat d, wraps modulo rows
          both(`${op} repeat+wrap`, () => ({ f32: [randArray(r, 2 * n), randArray(r, rows, bLo, 2), randArray(r, 2 * n)] }), DEFAULT_TOL,
            (K, [a, b, o]) => K.binary(op, a!, 1, b!, d, o!, acc));
        }
      }
      // out aliases a: out = out op bias
      both(`${op} in place`, () => ({ f32: [randArray(r, 51), randArray(r, 17, bLo(op), 2)] }), DEFAULT_TOL,
        (K, [a, b]) => K.binary(op, a!, 1, b!, 1, a!, false));
    }
  });

  it('sumToBroadcast', () => {
    for (const [rows, d] of [[1, 1], [3, 5], [17, 33], [64, 1031], [1000, 3]] as const) {
      const n = rows * d;
      both('sumToBroadcast trailing', () => ({ f32: [randArray(r, n), randArray(r, d)] }), DEFAULT_TOL, (K, [g, o]) => K.sumToBroadcast(g!, 1, o!, 0.5));
      both('sumToBroadcast axis', () => ({ f32: [randArray(r, n), randArray(r, rows)] }), { rtol: 1e-5, atol: 1e-5 }, (K, [g, o]) => K.sumToBroadcast(g!, d, o!, 1));
      both('sumToBroadcast scalar', () => ({ f32: [randArray(r, n), randArray(r, 1)] }), { rtol: 1e-5, atol: 1e-4 }, (K, [g, o]) => K.sumToBroadcast(g!, n, o!, 1));
    }
  });

  it('where and whereBackward', () => {
    for (const n of SIZES) {
      const cond = (): Float32Array => { const c = randArray(r, n); for (let i = 0; i < n; i++) c[i] = c[i]! > 0 ? 1 : (i % 3 === 0 ? -0 : 0); if (n > 2) c[2] = NaN; return c; };
      both('where', () => ({ f32: [cond(), randArray(r, n), randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (K, [c, a, b, o]) => K.where(c!, a!, b!, o!));
      for (const pick of [true, false]) {
        both('whereBackward', () => ({ f32: [cond(), randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (K, [c, g, gx]) => K.whereBackward(c!, g!, gx!, pick));
      }
    }
  });
});

function bLo(op: BinaryOp): number {
  return op === 'div' ? 0.5 : -1;
}

describe('wasm backend: reductions, softmax, layer norm', () => {
  const r = rng(2);
  const SHAPES = [[1, 1, 1], [1, 17, 1], [3, 5, 1], [2, 1031, 1], [3, 4, 5], [2, 33, 17], [1, 3, 1031], [5, 1, 3]] as const;

  it('reduce sum / max (with argmax, NaN and ties) and their adjoints', () => {
    for (const [outer, len, inner] of SHAPES) {
      const n = outer * len * inner;
      both('reduce sum', () => ({ f32: [randArray(r, n), randArray(r, outer * inner)] }), { rtol: 1e-5, atol: 1e-5 },
        (K, [x, o]) => K.reduce('sum', x!, outer, len, inner, o!));
      const maxCase = (): { f32: Float32Array[]; i32: Int32Array[] } => {
        const x = randArray(r, n);
        // Ties, -0/+0, -Infinity rows and a NaN.
        for (let i = 0; i < n; i += 5) x[i] = 0.5;
        if (n > 7) x[7] = NaN;
        if (n > 3) x[3] = -0;
        return { f32: [x, randArray(r, outer * inner)], i32: [new Int32Array(outer * inner)] };
      };
      both('reduce max', maxCase, DEFAULT_TOL, (K, [x, o], [am]) => K.reduce('max', x!, outer, len, inner, o!, am));
      both('reduce max no argmax', maxCase, DEFAULT_TOL, (K, [x, o]) => K.reduce('max', x!, outer, len, inner, o!));
      both('broadcastAxis', () => ({ f32: [randArray(r, outer * inner), randArray(r, n)] }), DEFAULT_TOL,
        (K, [g, gx]) => K.broadcastAxis(g!, outer, len, inner, gx!, 0.25));
      both('scatterArgmax', () => {
        const am = new Int32Array(outer * inner);
        for (let i = 0; i < am.length; i++) am[i] = Math.floor(r() * len);
        return { f32: [randArray(r, outer * inner), randArray(r, n)], i32: [am] };
      }, DEFAULT_TOL, (K, [g, gx], [am]) => K.scatterArgmax(g!, am!, outer, len, inner, gx!));
    }
    // All -Infinity: max is -Infinity at index 0, as the reference.
    both('reduce max -inf', () => ({ f32: [new Float32Array(9).fill(-Infinity), new Float32Array(1)], i32: [new Int32Array(1)] }), DEFAULT_TOL,
      (K, [x, o], [am]) => K.reduce('max', x!, 1, 9, 1, o!, am));
  });

  it('sumSquares and maxAbs', () => {
    for (const n of [...SIZES, 100000]) {
      both('sumSquares', () => ({ f32: [randArray(r, n)] }), { rtol: 1e-9, atol: 0 }, (K, [x]) => K.sumSquares(x!));
      both('maxAbs', () => ({ f32: [randArray(r, n)] }), { rtol: 0, atol: 0 }, (K, [x]) => K.maxAbs(x!));
    }
    both('maxAbs NaN', () => ({ f32: [Float32Array.of(1, NaN, -3, 2, 5)] }), DEFAULT_TOL, (K, [x]) => K.maxAbs(x!));
    both('maxAbs empty', () => ({ f32: [new Float32Array(0)] }), DEFAULT_TOL, (K, [x]) => K.maxAbs(x!));
  });

  it('softmax / log-softmax and backward', () => {
    for (const [rows, n] of [[1, 1], [1, 3], [3, 17], [2, 33], [4, 1031], [7, 5]] as const) {
      for (const log of [false, true]) {
        both('softmax', () => {
          const x = randArray(r, rows * n, -10, 10);
          if (rows * n > 4) x[4] = -Infinity;
          return { f32: [x, randArray(r, rows * n)] };
        }, { rtol: 1e-5, atol: 1e-6 }, (K, [x, o]) => K.softmax(x!, rows, n, o!, log));
        both('softmaxBackward', () => {
          const x = randArray(r, rows * n, -5, 5), y = new Float32Array(rows * n);
          jsKernels.softmax(x, rows, n, y, log);
          return { f32: [y, randArray(r, rows * n), randArray(r, rows * n)] };
        }, { rtol: 1e-5, atol: 1e-5 }, (K, [y, g, gx]) => K.softmaxBackward(y!, g!, rows, n, gx!, log));
      }
    }
  });

  it('layerNorm and backward, with and without affine parameters', () => {
    for (const [rows, n] of [[1, 1], [1, 3], [3, 17], [2, 33], [4, 1031], [5, 4]] as const) {
      for (const affine of [true, false]) {
        const lnTol = { rtol: 1e-4, atol: 1e-5 };
        both('layerNorm', () => ({ f32: [randArray(r, rows * n, -3, 5), randArray(r, n), randArray(r, n), randArray(r, rows * n), randArray(r, rows), randArray(r, rows)] }),
          lnTol, (K, [x, g, b, o, m, s]) => K.layerNorm(x!, rows, n, affine ? g! : null, affine ? b! : null, 1e-5, o!, m!, s!));
        both('layerNormBackward', () => {
          const x = randArray(r, rows * n, -3, 5), g = randArray(r, n), b = randArray(r, n);
          const o = new Float32Array(rows * n), m = new Float32Array(rows), s = new Float32Array(rows);
          jsKernels.layerNorm(x, rows, n, g, b, 1e-5, o, m, s);
          return { f32: [x, randArray(r, rows * n), g, m, s, randArray(r, rows * n), randArray(r, n), randArray(r, n)] };
        }, lnTol, (K, [x, gy, g, m, s, gx, gg, gb]) => K.layerNormBackward(x!, gy!, rows, n, affine ? g! : null, m!, s!, gx!, affine ? gg! : null, affine ? gb! : null));
        // gx null (input needs no grad)
        both('layerNormBackward no gx', () => {
          const x = randArray(r, rows * n), g = randArray(r, n), b = randArray(r, n);
          const o = new Float32Array(rows * n), m = new Float32Array(rows), s = new Float32Array(rows);
          jsKernels.layerNorm(x, rows, n, g, b, 1e-5, o, m, s);
          return { f32: [x, randArray(r, rows * n), g, m, s, randArray(r, n), randArray(r, n)] };
        }, lnTol, (K, [x, gy, g, m, s, gg, gb]) => K.layerNormBackward(x!, gy!, rows, n, g!, m!, s!, null, gg!, gb!));
      }
    }
  });
});

describe('wasm backend: indexing and copies', () => {
  const r = rng(3);
  it('gatherRows / scatterAddRows with repeated indices', () => {
    for (const [rows, d, count] of [[5, 1, 7], [10, 3, 4], [50, 33, 100], [3, 1031, 5]] as const) {
      const idx = (): Int32Array => { const a = new Int32Array(count); for (let i = 0; i < count; i++) a[i] = i % 3 === 0 ? 1 : Math.floor(r() * rows); return a; };
      both('gatherRows', () => ({ f32: [randArray(r, rows * d), randArray(r, count * d)], i32: [idx()] }), { rtol: 0, atol: 0 },
        (K, [t, o], [ix]) => K.gatherRows(t!, d, ix!, o!));
      both('scatterAddRows', () => ({ f32: [randArray(r, count * d), randArray(r, rows * d)], i32: [idx()] }), DEFAULT_TOL,
        (K, [s, t], [ix]) => K.scatterAddRows(s!, d, ix!, t!));
    }
  });

  it('out-of-range indices behave like the reference (no memory corruption)', () => {
    both('gatherRows bad', () => ({ f32: [randArray(r, 12), randArray(r, 6)], i32: [Int32Array.of(0, 7)] }), DEFAULT_TOL,
      (K, [t, o], [ix]) => K.gatherRows(t!, 3, ix!, o!));
    both('scatterAddRows bad', () => ({ f32: [randArray(r, 6), randArray(r, 12)], i32: [Int32Array.of(-1, 2)] }), DEFAULT_TOL,
      (K, [s, t], [ix]) => K.scatterAddRows(s!, 3, ix!, t!));
  });

  it('copyBlocks (slice / concat) and swapAxes (transpose), overwrite and accumulate', () => {
    for (const acc of [false, true]) {
      for (const [count, len, sStride, dStride, sOff, dOff] of [[1, 1, 1, 1, 0, 0], [3, 5, 7, 5, 2, 0], [17, 33, 40, 66, 1, 33], [4, 1031, 1031, 2062, 0, 1031]] as const) {
        both('copyBlocks', () => ({ f32: [randArray(r, sOff + count * sStride + len), randArray(r, dOff + count * dStride + len)] }), DEFAULT_TOL,
          (K, [s, d]) => K.copyBlocks(s!, sOff, sStride, d!, dOff, dStride, len, count, acc));
      }
      for (const [outer, A, mid, B, inner] of [[1, 1, 1, 1, 1], [1, 3, 1, 5, 1], [2, 17, 3, 33, 1], [1, 33, 1, 17, 2], [2, 3, 2, 4, 5], [1, 64, 1, 100, 1], [3, 5, 1, 7, 16]] as const) {
        const n = outer * A * mid * B * inner;
        both('swapAxes', () => ({ f32: [randArray(r, n), randArray(r, n)] }), DEFAULT_TOL,
          (K, [x, o]) => K.swapAxes(x!, outer, A, mid, B, inner, o!, acc));
      }
    }
  });
});

describe('wasm backend: GEMM', () => {
  const r = rng(4);

  /** Tolerance scaled to the size of the terms: each output is a K-term dot product of values in [-1, 1]. */
  const gemmTol = (K: number): Tol => ({ rtol: 1e-5, atol: 2e-6 * Math.max(1, K) });

  function gemmCase(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, beta: number, pad: number): void {
    const lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
    const aRows = tA ? K : M, bRows = tB ? N : K;
    both(`gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${M}x${N}x${K} a=${alpha} b=${beta} pad=${pad}`, () => {
      const C = randArray(r, Math.max(1, M * ldc));
      if (beta === 0) C.fill(NaN); // beta = 0 must not read C
      return { f32: [randArray(r, Math.max(1, aRows * lda)), randArray(r, Math.max(1, bRows * ldb)), C] };
    }, gemmTol(K), (Kn, [A, B, C]) => Kn.gemm(tA, tB, M, N, K, alpha, A!, lda, B!, ldb, beta, C!, ldc));
  }

  it('all four transpose combinations over awkward sizes', () => {
    const dims = [[1, 1, 1], [1, 17, 33], [17, 1, 33], [2, 3, 4], [3, 17, 5], [33, 33, 33], [65, 18, 257], [1, 1030, 70], [130, 1031, 3], [5, 40, 600]];
    for (const [M, N, K] of dims) {
      for (const tA of [false, true]) for (const tB of [false, true]) gemmCase(tA, tB, M!, N!, K!, 1, 0, 0);
    }
  });

  it('alpha/beta variants, padded leading dimensions, K = 0', () => {
    for (const tA of [false, true]) for (const tB of [false, true]) {
      for (const [alpha, beta] of [[0.5, 1], [-1.5, -0.7], [1, 0], [0, 0.5], [0, 0], [2, 1]]) {
        gemmCase(tA, tB, 19, 37, 23, alpha!, beta!, 3);
        gemmCase(tA, tB, 1, 37, 23, alpha!, beta!, 2);
        gemmCase(tA, tB, 19, 1, 23, alpha!, beta!, 1);
      }
      gemmCase(tA, tB, 5, 7, 0, 1, 0.5, 0);
      gemmCase(tA, tB, 5, 7, 0, 1, 0, 0);
    }
  });

  it('a bigger product crossing every cache block (M > 128, K > 256, N > 1024)', () => {
    gemmCase(false, false, 131, 1041, 300, 1, 1, 0);
    gemmCase(true, true, 131, 1041, 300, 0.5, 0, 1);
  });

  it('a sub-view C inside a larger matrix (as batched matmul uses)', () => {
    both('gemm subviews', () => ({ f32: [randArray(r, 3 * 20), randArray(r, 20 * 7), randArray(r, 2 * 3 * 7)] }), gemmTol(20),
      (K, [A, B, C]) => K.gemm(false, false, 3, 7, 20, 1, A!, 20, B!, 7, 0, C!.subarray(21), 7));
  });

  it('is deterministic: the same call twice gives the same bits', () => {
    const A = wk.alloc(64 * 300), B = wk.alloc(300 * 200), C1 = wk.alloc(64 * 200), C2 = wk.alloc(64 * 200);
    A.set(randArray(r, A.length));
    B.set(randArray(r, B.length));
    wk.gemm(false, true, 64, 200, 300, 1, A, 300, B, 300, 0, C1, 200);
    wk.gemm(false, true, 64, 200, 300, 1, A, 300, B, 300, 0, C2, 200);
    assert.deepEqual(C1, C2);
  });
});

describe('wasm backend: optimisers', () => {
  const r = rng(5);
  it('adamStep (Adam, AdamW, amsgrad)', () => {
    for (const n of SIZES) {
      for (const [decoupled, amsgrad, wd] of [[false, false, 0], [false, true, 0.01], [true, false, 0.1], [true, true, 0.1]] as const) {
        both('adamStep', () => ({ f32: [randArray(r, n), randArray(r, n), randArray(r, n, -0.1, 0.1), randArray(r, n, 0, 0.1), randArray(r, n, 0, 0.1)] }),
          { rtol: 1e-5, atol: 1e-6 },
          (K, [p, g, m, v, vmax]) => K.adamStep(p!, g!, m!, v!, amsgrad ? vmax! : null,
            { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, decoupled, amsgrad, step: 3 }));
      }
    }
  });

  it('rmspropStep (plain, centered, momentum) and adagradStep', () => {
    for (const n of SIZES) {
      for (const [centered, mom, wd] of [[false, 0, 0], [true, 0, 0.1], [false, 0.9, 0], [true, 0.9, 0.01]] as const) {
        both('rmspropStep', () => ({ f32: [randArray(r, n), randArray(r, n), randArray(r, n, 0.5, 1), randArray(r, n, -0.1, 0.1), randArray(r, n)] }),
          { rtol: 1e-5, atol: 1e-6 },
          (K, [p, g, sq, ga, buf]) => K.rmspropStep(p!, g!, sq!, centered ? ga! : null, mom ? buf! : null,
            { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: wd, momentum: mom }));
      }
      for (const wd of [0, 0.1]) {
        both('adagradStep', () => ({ f32: [randArray(r, n), randArray(r, n), randArray(r, n, 0, 1)] }), { rtol: 1e-5, atol: 1e-6 },
          (K, [p, g, s]) => K.adagradStep(p!, g!, s!, { lr: 0.1, lrDecay: 0.01, weightDecay: wd, eps: 1e-10, step: 4 }));
      }
    }
  });
});

describe('wasm backend: fused recurrent gates', () => {
  const r = rng(6);
  const tol = { rtol: 1e-5, atol: 1e-6 };
  const DIMS = [[1, 1], [1, 3], [3, 5], [2, 17], [4, 33], [1, 130]] as const;

  it('RNN tanh/relu forward and backward', () => {
    for (const [rows, H] of DIMS) {
      const S = rows * H;
      for (const act of ['tanh', 'relu'] as const) {
        both(`rnnGatesForward ${act}`, () => ({ f32: [randArray(r, S, -3, 3), randArray(r, S), randArray(r, S)] }), tol,
          (K, [xg, hg, h]) => K.rnnGatesForward(act, rows, H, xg!, hg!, h!));
        both(`rnnGatesBackward ${act}`, () => {
          const h = randArray(r, S);
          if (act === 'relu') for (let i = 0; i < S; i += 3) h[i] = 0;
          return { f32: [h, randArray(r, S), randArray(r, S)] };
        }, tol, (K, [h, dh, dp]) => K.rnnGatesBackward(act, rows, H, h!, dh!, dp!));
      }
    }
  });

  it('LSTM forward (also with gates aliasing xg) and backward', () => {
    for (const [rows, H] of DIMS) {
      const S = rows * H, G = 4 * S;
      both('lstmGatesForward', () => ({ f32: [randArray(r, G, -4, 4), randArray(r, G), randArray(r, S), randArray(r, G), randArray(r, S), randArray(r, S)] }), tol,
        (K, [xg, hg, cp, gates, c, m]) => K.lstmGatesForward(rows, H, xg!, hg!, cp!, gates!, c!, m!));
      both('lstmGatesForward aliased', () => ({ f32: [randArray(r, G, -4, 4), randArray(r, G), randArray(r, S), randArray(r, S), randArray(r, S)] }), tol,
        (K, [xg, hg, cp, c, m]) => K.lstmGatesForward(rows, H, xg!, hg!, cp!, xg!, c!, m!));
      both('lstmGatesBackward', () => ({ f32: [randArray(r, G, 0, 1), randArray(r, S), randArray(r, S), randArray(r, S), randArray(r, S), randArray(r, G), randArray(r, S)] }), tol,
        (K, [g, cp, c, dm, dc, dG, dcp]) => K.lstmGatesBackward(rows, H, g!, cp!, c!, dm!, dc!, dG!, dcp!));
    }
  });

  it('GRU (reset after) forward with and without b_hn, and backward', () => {
    for (const [rows, H] of DIMS) {
      const S = rows * H, G = 3 * S;
      for (const bias of [true, false]) {
        both('gruGatesForward', () => ({ f32: [randArray(r, G, -3, 3), randArray(r, G), randArray(r, H), randArray(r, S), randArray(r, G), randArray(r, S), randArray(r, S)] }), tol,
          (K, [xg, hg, b, hp, gates, hn, h]) => K.gruGatesForward(rows, H, xg!, hg!, bias ? b! : null, hp!, gates!, hn!, h!));
      }
      both('gruGatesForward aliased', () => ({ f32: [randArray(r, G, -3, 3), randArray(r, G), randArray(r, H), randArray(r, S), randArray(r, S), randArray(r, S)] }), tol,
        (K, [xg, hg, b, hp, hn, h]) => K.gruGatesForward(rows, H, xg!, hg!, b!, hp!, xg!, hn!, h!));
      both('gruGatesBackward', () => ({ f32: [randArray(r, G, 0, 1), randArray(r, S), randArray(r, S), randArray(r, S), randArray(r, G), randArray(r, G), randArray(r, S)] }), tol,
        (K, [g, hn, hp, dh, dgx, dgh, dhp]) => K.gruGatesBackward(rows, H, g!, hn!, hp!, dh!, dgx!, dgh!, dhp!));
    }
  });

  it('GRU (reset before, Keras 2) both steps and their backward', () => {
    for (const [rows, H] of DIMS) {
      const S = rows * H, G = 3 * S;
      both('gruResetBeforeGates', () => ({ f32: [randArray(r, G, -3, 3), randArray(r, G), randArray(r, S), randArray(r, G), randArray(r, S)] }), tol,
        (K, [xg, hg, hp, gates, rh]) => K.gruResetBeforeGates(rows, H, xg!, hg!, hp!, gates!, rh!));
      both('gruResetBeforeOutput', () => ({ f32: [randArray(r, G, -3, 3), randArray(r, G), randArray(r, S), randArray(r, G, 0, 1), randArray(r, S)] }), tol,
        (K, [xg, hg, hp, gates, h]) => K.gruResetBeforeOutput(rows, H, xg!, hg!, hp!, gates!, h!));
      both('gruResetBeforeOutputBackward', () => ({ f32: [randArray(r, G, 0, 1), randArray(r, S), randArray(r, S), randArray(r, G), randArray(r, S)] }), tol,
        (K, [g, hp, dh, dG, dhp]) => K.gruResetBeforeOutputBackward(rows, H, g!, hp!, dh!, dG!, dhp!));
      both('gruResetBeforeGatesBackward', () => ({ f32: [randArray(r, G, 0, 1), randArray(r, S), randArray(r, S), randArray(r, G), randArray(r, S)] }), tol,
        (K, [g, hp, drh, dG, dhp]) => K.gruResetBeforeGatesBackward(rows, H, g!, hp!, drh!, dG!, dhp!));
    }
  });
});

describe('wasm backend: approximations', () => {
  it('exp/log within a few ulp, tanh/sigmoid within 3.2e-7 absolute, over a dense sweep', () => {
    const n = 200001;
    const x = wk.alloc(n), y = wk.alloc(n);
    const worst: Record<string, number> = {};
    for (const [op, lo, hi] of [['tanh', -12, 12], ['sigmoid', -20, 20], ['exp', -100, 88], ['log', 1e-30, 1e4]] as const) {
      for (let i = 0; i < n; i++) x[i] = op === 'log' ? Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * i / (n - 1)) : lo + (hi - lo) * i / (n - 1);
      wk.unary(op, x, y);
      let w = 0;
      for (let i = 0; i < n; i++) {
        const e = op === 'tanh' ? Math.tanh(x[i]!) : op === 'sigmoid' ? 1 / (1 + Math.exp(-x[i]!)) : op === 'exp' ? Math.exp(x[i]!) : Math.log(x[i]!);
        const err = op === 'tanh' || op === 'sigmoid' ? Math.abs(y[i]! - e) : Math.abs(y[i]! - e) / Math.max(Math.abs(e), 1e-30);
        if (op === 'exp' && e < 1e-37) continue; // denormal results: absolute error < 1e-38
        w = Math.max(w, err);
      }
      worst[op] = w;
    }
    assert.ok(worst.tanh! <= 3.2e-7, `tanh max abs err ${worst.tanh}`);
    assert.ok(worst.sigmoid! <= 3.2e-7, `sigmoid max abs err ${worst.sigmoid}`);
    assert.ok(worst.exp! <= 3e-7, `exp max rel err ${worst.exp}`);
    assert.ok(worst.log! <= 3e-7, `log max rel err ${worst.log}`);
  });

  it('tanh keeps full relative accuracy near 0', () => {
    const x = wk.alloc(5), y = wk.alloc(5);
    x.set([1e-6, -1e-4, 1e-3, 0.1, -0.6]);
    wk.unary('tanh', x, y);
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(y[i]! / Math.tanh(x[i]!) - 1) < 3e-7, `tanh(${x[i]})`);
  });
});

describe('wasm backend: memory', () => {
  it('Float64Array storage (gradient checks) is delegated to the reference, exactly', () => {
    const x = Float64Array.from([0.1, 0.2, 0.3]) as unknown as Float32Array;
    const y = Float64Array.from([1, 2, 3]) as unknown as Float32Array;
    wk.axpy(0.5, x, y);
    assert.deepEqual(Array.from(y), [1.05, 2.1, 3.15]);
    const C = new Float64Array(1) as unknown as Float32Array;
    wk.gemm(false, false, 1, 1, 3, 1, x, 3, y, 1, 0, C, 1);
    assert.equal(C[0], 0.1 * 1.05 + 0.2 * 2.1 + 0.3 * 3.15);
  });

  it('arrays shorter than the sizes imply fall back to the reference (no out-of-bounds access)', () => {
    const A = wk.alloc(4), B = wk.alloc(4), C = wk.alloc(4);
    A.fill(1); B.fill(1);
    wk.gemm(false, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2); // A needs 6 elements, has 4
    const A2 = new Float32Array(4).fill(1), B2 = new Float32Array(4).fill(1), C2 = new Float32Array(4);
    jsKernels.gemm(false, false, 2, 2, 3, 1, A2, 3, B2, 2, 0, C2, 2);
    assertClose(C, C2, DEFAULT_TOL, 'short gemm');
  });

  it('growth: tensors allocated before the memory grows still read and compute correctly', () => {
    const k = createWasmBackendSync({ maxMemoryMiB: 96 });
    const initial = k.stats().memoryBytes;
    const early = k.alloc(1000);
    for (let i = 0; i < early.length; i++) early[i] = i;
    const oldBuffer = early.buffer;
    // 40 x 1 MiB: well past the initial 16 MiB.
    const big: Float32Array[] = [];
    for (let i = 0; i < 40; i++) { const t = k.alloc(262144); t[0] = i; t[t.length - 1] = -i; big.push(t); }
    assert.ok(k.stats().memoryBytes > initial, 'memory grew');
    assert.ok(k.heap.buf !== oldBuffer, 'the memory has a new buffer object');
    for (let i = 0; i < early.length; i++) assert.equal(early[i], i);
    big.forEach((t, i) => { assert.equal(t[0], i); assert.equal(t[t.length - 1], -i); });
    // Old-generation views are still zero-copy operands.
    const out = k.alloc(1000);
    k.axpy(2, early, out);
    assert.equal(out[999], 1998);
    k.binary('add', early, 1, big[39]!.subarray(0, 1000), 1, out, false);
    assert.equal(out[0], 39);
    // Past the budget: plain arrays, still correct.
    const over: Float32Array[] = [];
    for (let i = 0; i < 80; i++) over.push(k.alloc(262144));
    assert.ok(k.stats().fallbacks > 0, 'budget exhausted -> fallback arrays');
    const plain = over[over.length - 1]!;
    assert.ok(!k.heap.owns(plain.buffer));
    plain.fill(1);
    const s = k.alloc(1);
    k.reduce('sum', plain, 1, plain.length, 1, s);
    assert.equal(s[0], 262144);
  });

  it('non-shared memory (browsers without cross-origin isolation): fixed size, fallback when full', () => {
    const k = createWasmBackendSync({ shared: false, maxMemoryMiB: 32 });
    assert.equal(k.stats().shared, false);
    const a = k.alloc(1000), b = k.alloc(1000), c = k.alloc(1000);
    a.fill(2); b.fill(3);
    k.binary('mul', a, 1, b, 1, c, false);
    assert.equal(c[999], 6);
    const before = k.stats().memoryBytes;
    const many: Float32Array[] = [];
    for (let i = 0; i < 40; i++) many.push(k.alloc(262144));
    assert.equal(k.stats().memoryBytes, before, 'never grows');
    assert.ok(k.stats().fallbacks > 0);
    k.gemm(false, false, 2, 2, 2, 1, many[39]!, 2, many[38]!, 2, 0, c, 2);
    assert.equal(a[0], 2, 'earlier tensors intact');
  });

  it('reclaims storage of collected tensors through the FinalizationRegistry', async () => {
    const { setFlagsFromString } = await import('node:v8');
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const k = createWasmBackendSync({ maxMemoryMiB: 64 });
    const round = (): void => { for (let i = 0; i < 50; i++) k.alloc(10000)[0] = 1; };
    round();
    const top = k.stats().topBytes;
    for (let attempt = 0; attempt < 10 && k.stats().frees < 50; attempt++) {
      gc();
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.ok(k.stats().frees >= 50, `blocks reclaimed (${k.stats().frees})`);
    round();
    assert.equal(k.stats().topBytes, top, 'reused, not bumped');
    // Reused blocks come back zero-filled.
    assert.ok(k.alloc(10000).every((v) => v === 0));
  });

  it('both builds (relaxed and plain SIMD) agree with the reference', () => {
    const plain = createWasmBackendSync({ relaxed: false, maxMemoryMiB: 64 });
    assert.equal(plain.variant, 'simd');
    const r = rng(9);
    for (const tA of [false, true]) for (const tB of [false, true]) {
      both('gemm simd build', () => ({ f32: [randArray(r, 40 * 50), randArray(r, 50 * 30), randArray(r, 40 * 30)] }), { rtol: 1e-5, atol: 1e-4 },
        (K, [A, B, C]) => K.gemm(tA, tB, 40, 30, 50, 1, A!, tA ? 40 : 50, B!, tB ? 50 : 30, 0.5, C!, 30), plain);
    }
    both('tanh simd build', () => ({ f32: [randArray(r, 101, -5, 5), new Float32Array(101)] }), DEFAULT_TOL, (K, [x, y]) => K.unary('tanh', x!, y!), plain);
  });
});

describe('wasm backend: worker threads', () => {
  it('split GEMMs (rows and columns, all transposes) are bit-identical to one thread', async () => {
    const par = createWasmBackendSync({ threads: 2, maxMemoryMiB: 256 });
    const one = createWasmBackendSync({ threads: 1, maxMemoryMiB: 256 });
    try {
      const r = rng(11);
      // Start the worker: lazily created at the first big product, ready ~50 ms later.
      const warm = par.alloc(256 * 256);
      for (let i = 0; i < 100 && par.threads().workersReady === 0; i++) {
        par.gemm(false, false, 256, 256, 256, 1, warm, 256, warm, 256, 0, par.alloc(256 * 256), 256);
        await new Promise((res) => setTimeout(res, 20));
      }
      assert.equal(par.threads().workersReady, 1, 'worker started');
      for (const [M, N, K] of [[300, 40, 700], [33, 1031, 250], [1, 9000, 600], [700, 1, 9000], [129, 130, 131]] as const) {
        for (const tA of [false, true]) for (const tB of [false, true]) {
          const a = randArray(r, M * K), b = randArray(r, K * N), c = randArray(r, M * N);
          const run = (k: WasmKernels): Float32Array => {
            const A = k.alloc(a.length), B = k.alloc(b.length), C = k.alloc(c.length);
            A.set(a); B.set(b); C.set(c);
            k.gemm(tA, tB, M, N, K, 0.75, A, tA ? M : K, B, tB ? K : N, -0.5, C, N);
            return C;
          };
          const cp = run(par), c1 = run(one);
          assert.ok(cp.every((v, i) => Object.is(v, c1[i])), `${M}x${N}x${K} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`);
          const ref = Float32Array.from(c);
          jsKernels.gemm(tA, tB, M, N, K, 0.75, a, tA ? M : K, b, tB ? K : N, -0.5, ref, N);
          assertClose(cp, ref, { rtol: 1e-5, atol: 2e-6 * K }, 'threaded gemm vs reference');
        }
      }
    } finally {
      par.close();
    }
  });
});
