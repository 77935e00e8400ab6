/**
 * The native (N-API + OpenBLAS) backend against the JS reference, kernel by kernel.
 *
 * Skipped, with a message, when the addon is not built (`npm run build:native`).
 *
 * Every kernel runs on random inputs of awkward sizes (1, 3, 7, 9, 17, 33, 1031: not multiples
 * of the 8-lane chunks), with its arrays (a) from the backend's alloc (64-byte aligned), (b) as
 * subarray views at odd offsets, (c) as plain Float32Arrays, and for a sample of kernels (d) as
 * views into the WebAssembly backend's shared memory. Both builds of the C kernels (AVX2+FMA and
 * baseline) run the whole comparison. GEMM covers all transpose combinations, the sgemv paths
 * (M = 1, N = 1, with strided vectors), alpha/beta including beta = 0 over a C full of NaN,
 * accumulation, padded leading dimensions, sub-views and leading dimensions BLAS refuses.
 *
 * Tolerances as in wasm.test.ts: 1e-5 relative for arithmetic; polynomial exp/log/tanh/sigmoid
 * checked at 1e-5 relative + 1e-6 absolute and by a dense sweep; GEMM and sums at 1e-5 relative
 * to the magnitude of the terms.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { jsKernels } from '../../src/kernels/js.js';
import type { BinaryOp, Kernels, UnaryOp } from '../../src/kernels/types.js';
import { createNativeBackend, loadNativeAddon, nativeUnavailableReason, type NativeKernels } from '../../src/kernels/native/index.js';
import { createWasmBackendSync } from '../../src/kernels/wasm/index.js';
import { assertClose, compareWithReference, DEFAULT_TOL, place, PLACEMENTS, randArray, rng, type Placement, type Tol } from './helpers.js';

const nk: NativeKernels | null = createNativeBackend();
const addon = loadNativeAddon();
const SKIP = nk ? false : `native addon not built (${nativeUnavailableReason()}): run \`npm run build:native\` (needs libopenblas-dev)`;
if (SKIP) console.log(`# native.test.ts skipped: ${SKIP}`);

const SIZES = [1, 3, 7, 9, 17, 33, 1031];
const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'sqrt', 'square', 'abs'];
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min'];

/** The backend under test; for the 'wasm' placement, native kernels on wasm-memory storage. */
let K: Kernels = jsKernels;
let onWasm: Kernels = jsKernels;

function both(name: string, make: () => { f32: Float32Array[]; i32?: Int32Array[] }, tol: Tol,
  run: (k: Kernels, f: Float32Array[], i: Int32Array[]) => number | void, wasmToo = false): void {
  const places: Placement[] = [...PLACEMENTS];
  for (const where of places) compareWithReference(K, name, make(), where, tol, run);
  if (wasmToo) compareWithReference(onWasm, `${name} [wasm memory]`, make(), 'heap', tol, run);
}

/** Inputs with the special values every kernel must treat as the reference does. */
function withSpecials(a: Float32Array): Float32Array {
  const s = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 88.5, -88.5, 100, -100, 0.3];
  for (let i = 0; i < a.length && i < s.length; i++) a[(i * 7) % a.length] = s[i]!;
  return a;
}

const bLo = (op: BinaryOp): number => (op === 'div' ? 0.5 : -1);

describe('native backend: loading and storage', { skip: SKIP }, () => {
  it('loads, reports its build and OpenBLAS', () => {
    assert.equal(nk!.name, 'native');
    assert.ok(['avx2', 'base'].includes(nk!.variant));
    const info = nk!.info();
    assert.match(info.blasConfig, /OpenBLAS/);
    assert.ok(info.threads >= 1);
  });

  it('alloc returns zero-filled, 64-byte aligned storage of any size', () => {
    for (const n of [1, 2, 3, 15, 16, 17, 100, 1031, 262144]) {
      const a = nk!.alloc(n);
      assert.equal(a.length, n);
      assert.ok(a instanceof Float32Array);
      assert.equal(addon!.addressMod64(a), 0, `alloc(${n}) aligned`);
      assert.ok(a.every((v) => v === 0), `alloc(${n}) zeroed`);
    }
    assert.equal(nk!.alloc(0).length, 0);
  });

  it('free returns the block to the pool at once and empties the array; anything else is ignored', () => {
    const n = 100_003;
    const a = nk!.alloc(n);
    a.fill(7);
    const view = a.subarray(5, 10);
    const { frees, freedBytes, liveBytes } = nk!.stats();
    nk!.free(view); // not the array alloc returned
    nk!.free(new Float32Array(n));
    assert.equal(nk!.stats().frees, frees, 'a subarray or a plain array is not freed');
    assert.equal(a.length, n);
    const before = nk!.poolStats();
    nk!.free(a);
    assert.equal(nk!.stats().frees, frees + 1);
    assert.equal(nk!.stats().freedBytes - freedBytes, liveBytes - nk!.stats().liveBytes, 'its bytes count as freed, not live');
    assert.ok(nk!.stats().freedBytes - freedBytes >= n * 4);
    assert.ok(nk!.poolStats().pooledBytes >= before.pooledBytes + n * 4, 'the block is in the pool');
    assert.equal(a.length, 0, 'the freed array is detached: it cannot touch the reused block');
    assert.equal(view.length, 0, 'so are views of it');
    nk!.free(a);
    assert.equal(nk!.stats().frees, frees + 1, 'freeing twice is ignored');
    const hits = nk!.poolStats().hits;
    const b = nk!.alloc(n);
    assert.equal(nk!.poolStats().hits, hits + 1, 'the next alloc of its class reuses it');
    assert.ok(b.every((v) => v === 0), 'zero-filled');
  });

  it('collected arrays return their block to the pool, and a reused block is zero-filled', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const n = 100_003;
    const dirty = (): void => {
      nk!.alloc(n).fill(7);
    };
    // Blocks come back when V8 frees the collected buffers, a turn or two after the GC.
    const collect = async (): Promise<void> => {
      for (let i = 0; i < 4; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
    };
    dirty();
    await collect();
    const before = nk!.poolStats();
    assert.ok(before.pooledBytes >= n * 4, `pool holds the collected block (${before.pooledBytes} bytes)`);
    const b = nk!.alloc(n);
    const after = nk!.poolStats();
    assert.equal(after.hits, before.hits + 1, 'served from the pool');
    assert.ok(b.every((v) => v === 0), 'a reused block is zeroed');
    assert.equal(addon!.addressMod64(b), 0);
    // A cap of 0 empties the pool and keeps nothing later collected.
    nk!.setPoolCap(0);
    assert.equal(nk!.poolStats().pooledBytes, 0);
    dirty();
    await collect();
    assert.equal(nk!.poolStats().pooledBytes, 0);
    nk!.setPoolCap(before.capBytes);
    assert.throws(() => nk!.setPoolCap(-1), /setPoolCap: expected a byte count >= 0, got -1/);
  });

  it('setThreads changes the OpenBLAS thread count and rejects nonsense', () => {
    const before = nk!.info().threads;
    nk!.setThreads(1);
    assert.equal(nk!.info().threads, 1);
    nk!.setThreads(before);
    assert.equal(nk!.info().threads, before);
    assert.throws(() => nk!.setThreads(0), RangeError);
    assert.throws(() => nk!.setThreads(1.5), RangeError);
  });
});

function kernelSuite(variant: 'avx2' | 'base'): void {
  const hasAvx2 = !!addon && addon.setVariant('avx2');
  const skip = SKIP || (variant === 'avx2' && !hasAvx2 ? 'this CPU has no AVX2+FMA' : false);
  const tag = `native backend (${variant} build)`;
  let wasmHeap: Kernels | null = null;
  describe(tag, { skip }, () => {
  before(() => {
    if (skip) return;
    assert.ok(addon!.setVariant(variant));
    K = nk!;
    wasmHeap ??= createWasmBackendSync({ maxMemoryMiB: 256 });
    onWasm = { ...nk!, alloc: (n: number) => wasmHeap!.alloc(n) } as Kernels;
  });
  after(() => {
    if (!skip && hasAvx2) addon!.setVariant('avx2');
  });

  describe(`${tag}: elementwise`, { skip }, () => {
    const r = rng(1);
    it('axpy, scale, clamp (incl. aliasing out = x)', () => {
      for (const n of SIZES) {
        both('axpy', () => ({ f32: [randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (k, [x, y]) => k.axpy(-0.37, x!, y!), true);
        both('axpy1', () => ({ f32: [randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (k, [x, y]) => k.axpy(1, x!, y!));
        both('scale', () => ({ f32: [withSpecials(randArray(r, n)), randArray(r, n)] }), DEFAULT_TOL, (k, [x, o]) => k.scale(2.5, x!, o!));
        both('scale in place', () => ({ f32: [randArray(r, n)] }), DEFAULT_TOL, (k, [x]) => k.scale(-3, x!, x!));
        both('clamp', () => ({ f32: [withSpecials(randArray(r, n, -2, 2)), randArray(r, n)] }), DEFAULT_TOL, (k, [x, o]) => k.clamp(x!, -0.5, 0.75, o!));
        both('clamp in place', () => ({ f32: [randArray(r, n, -2, 2)] }), DEFAULT_TOL, (k, [x]) => k.clamp(x!, -0.5, 0.75, x!));
        both('fill/copy', () => ({ f32: [randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (k, [x, y]) => { k.copy(x!, y!); k.fill(x!, 0.25); });
      }
    });

    it('unary ops and their backward, with special values', () => {
      for (const op of UNARY) {
        for (const n of SIZES) {
          const lo = op === 'log' || op === 'sqrt' ? 0.01 : -6, hi = 6;
          both(`unary ${op}`, () => ({ f32: [withSpecials(randArray(r, n, lo, hi)), randArray(r, n)] }), DEFAULT_TOL,
            (k, [x, o]) => k.unary(op, x!, o!), n === 33);
          both(`unary ${op} in place`, () => ({ f32: [randArray(r, n, lo, hi)] }), DEFAULT_TOL, (k, [x]) => k.unary(op, x!, x!));
          both(`unaryBackward ${op}`, () => {
            const x = randArray(r, n, lo, hi);
            const y = new Float32Array(n);
            jsKernels.unary(op, x, y);
            return { f32: [x, y, randArray(r, n), randArray(r, n)] };
          }, DEFAULT_TOL, (k, [x, y, gy, gx]) => k.unaryBackward(op, x!, y!, gy!, gx!));
        }
      }
    });

    it('binary ops: equal shapes, trailing broadcast, size-1 axis broadcast, scalars, accumulate', () => {
      for (const op of BINARY) {
        for (const acc of [false, true]) {
          for (const n of SIZES) {
            both(`${op} equal`, () => ({ f32: [withSpecials(randArray(r, n)), randArray(r, n, bLo(op), 2), randArray(r, n)] }), DEFAULT_TOL,
              (k, [a, b, o]) => k.binary(op, a!, 1, b!, 1, o!, acc), n === 17);
          }
          for (const [rows, d] of [[1, 1], [3, 5], [17, 33], [2, 1031], [5, 8], [4, 9]] as const) {
            const n = rows * d;
            both(`${op} trailing`, () => ({ f32: [randArray(r, n), randArray(r, d, bLo(op), 2), randArray(r, n)] }), DEFAULT_TOL,
              (k, [a, b, o]) => k.binary(op, a!, 1, b!, 1, o!, acc));
            both(`${op} trailing (a small)`, () => ({ f32: [randArray(r, d), randArray(r, n, bLo(op), 2), randArray(r, n)] }), DEFAULT_TOL,
              (k, [a, b, o]) => k.binary(op, a!, 1, b!, 1, o!, acc));
            both(`${op} size-1 axis`, () => ({ f32: [randArray(r, n), randArray(r, rows, bLo(op), 2), randArray(r, n)] }), DEFAULT_TOL,
              (k, [a, b, o]) => k.binary(op, a!, 1, b!, d, o!, acc));
            both(`${op} size-1 axis (a)`, () => ({ f32: [randArray(r, rows), randArray(r, n, bLo(op), 2), randArray(r, n)] }), DEFAULT_TOL,
              (k, [a, b, o]) => k.binary(op, a!, d, b!, 1, o!, acc));
            both(`${op} scalar`, () => ({ f32: [randArray(r, n), randArray(r, 1, bLo(op), 2), randArray(r, n)] }), DEFAULT_TOL,
              (k, [a, b, o]) => k.binary(op, a!, 1, b!, 1, o!, acc));
            both(`${op} scalar-scalar`, () => ({ f32: [randArray(r, 1), randArray(r, 1, bLo(op), 2), randArray(r, n)] }), DEFAULT_TOL,
              (k, [a, b, o]) => k.binary(op, a!, 1, b!, 1, o!, acc));
            both(`${op} repeat+wrap`, () => ({ f32: [randArray(r, 2 * n), randArray(r, rows, bLo(op), 2), randArray(r, 2 * n)] }), DEFAULT_TOL,
              (k, [a, b, o]) => k.binary(op, a!, 1, b!, d, o!, acc));
          }
        }
        both(`${op} in place`, () => ({ f32: [randArray(r, 51), randArray(r, 17, bLo(op), 2)] }), DEFAULT_TOL,
          (k, [a, b]) => k.binary(op, a!, 1, b!, 1, a!, false));
        both(`${op} in place (b)`, () => ({ f32: [randArray(r, 17), randArray(r, 51, bLo(op), 2)] }), DEFAULT_TOL,
          (k, [a, b]) => k.binary(op, a!, 1, b!, 1, b!, true));
      }
      // Degenerate calls the addon refuses: the reference semantics (NaN from an empty operand).
      both('binary empty operand', () => ({ f32: [new Float32Array(0), randArray(r, 3), randArray(r, 3)] }), DEFAULT_TOL,
        (k, [a, b, o]) => k.binary('add', a!, 1, b!, 1, o!, false));
      both('binary empty output', () => ({ f32: [randArray(r, 3), randArray(r, 3), new Float32Array(0)] }), DEFAULT_TOL,
        (k, [a, b, o]) => k.binary('mul', a!, 1, b!, 1, o!, true));
    });

    it('sumToBroadcast', () => {
      for (const [rows, d] of [[1, 1], [3, 5], [17, 33], [64, 1031], [1000, 3], [9, 8]] as const) {
        const n = rows * d;
        both('sumToBroadcast trailing', () => ({ f32: [randArray(r, n), randArray(r, d)] }), { rtol: 1e-5, atol: 1e-5 }, (k, [g, o]) => k.sumToBroadcast(g!, 1, o!, 0.5));
        both('sumToBroadcast axis', () => ({ f32: [randArray(r, n), randArray(r, rows)] }), { rtol: 1e-5, atol: 1e-5 }, (k, [g, o]) => k.sumToBroadcast(g!, d, o!, 1));
        // One long sum: the reference accumulates it in float32 (error ~1e-3 at n = 66k), the
        // addon in double; so this case is checked against the float64 sum.
        for (const where of PLACEMENTS) {
          const g = randArray(r, n), o = randArray(r, 1);
          const exact = Float64Array.from(o);
          jsKernels.sumToBroadcast(Float64Array.from(g) as unknown as Float32Array, n, exact as unknown as Float32Array, 1);
          const gg = place(K, g, where), oo = place(K, o, where);
          K.sumToBroadcast(gg, n, oo, 1);
          assertClose(oo, [Math.fround(exact[0]!)], { rtol: 1e-6, atol: 1e-6 }, `sumToBroadcast scalar (${where})`);
        }
      }
    });

    it('where and whereBackward', () => {
      for (const n of SIZES) {
        const cond = (): Float32Array => { const c = randArray(r, n); for (let i = 0; i < n; i++) c[i] = c[i]! > 0 ? 1 : (i % 3 === 0 ? -0 : 0); if (n > 2) c[2] = NaN; return c; };
        both('where', () => ({ f32: [cond(), randArray(r, n), randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (k, [c, a, b, o]) => k.where(c!, a!, b!, o!));
        for (const pick of [true, false]) {
          both('whereBackward', () => ({ f32: [cond(), randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (k, [c, g, gx]) => k.whereBackward(c!, g!, gx!, pick));
        }
      }
    });
  });

  describe(`${tag}: reductions, softmax, layer norm`, { skip }, () => {
    const r = rng(2);
    const SHAPES = [[1, 1, 1], [1, 17, 1], [3, 5, 1], [2, 1031, 1], [3, 4, 5], [2, 33, 17], [1, 3, 1031], [5, 1, 3], [2, 7, 8], [3, 0, 4]] as const;

    it('reduce sum / max (with argmax, NaN and ties) and their adjoints', () => {
      for (const [outer, len, inner] of SHAPES) {
        const n = outer * len * inner;
        both('reduce sum', () => ({ f32: [randArray(r, n), randArray(r, outer * inner)] }), { rtol: 1e-5, atol: 1e-5 },
          (k, [x, o]) => k.reduce('sum', x!, outer, len, inner, o!), true);
        const maxCase = (): { f32: Float32Array[]; i32: Int32Array[] } => {
          const x = randArray(r, n);
          for (let i = 0; i < n; i += 5) x[i] = 0.5;
          if (n > 7) x[7] = NaN;
          if (n > 3) x[3] = -0;
          return { f32: [x, randArray(r, outer * inner)], i32: [new Int32Array(outer * inner)] };
        };
        both('reduce max', maxCase, DEFAULT_TOL, (k, [x, o], [am]) => k.reduce('max', x!, outer, len, inner, o!, am));
        both('reduce max no argmax', maxCase, DEFAULT_TOL, (k, [x, o]) => k.reduce('max', x!, outer, len, inner, o!));
        both('broadcastAxis', () => ({ f32: [randArray(r, outer * inner), randArray(r, n)] }), DEFAULT_TOL,
          (k, [g, gx]) => k.broadcastAxis(g!, outer, len, inner, gx!, 0.25));
        if (len > 0) {
          both('scatterArgmax', () => {
            const am = new Int32Array(outer * inner);
            for (let i = 0; i < am.length; i++) am[i] = Math.floor(r() * len);
            return { f32: [randArray(r, outer * inner), randArray(r, n)], i32: [am] };
          }, DEFAULT_TOL, (k, [g, gx], [am]) => k.scatterArgmax(g!, am!, outer, len, inner, gx!));
        }
      }
      both('reduce max -inf', () => ({ f32: [new Float32Array(9).fill(-Infinity), new Float32Array(1)], i32: [new Int32Array(1)] }), DEFAULT_TOL,
        (k, [x, o], [am]) => k.reduce('max', x!, 1, 9, 1, o!, am));
      both('reduce max NaN late', () => { const x = randArray(r, 40); x[37] = NaN; return { f32: [x, new Float32Array(1)], i32: [new Int32Array(1)] }; },
        DEFAULT_TOL, (k, [x, o], [am]) => k.reduce('max', x!, 1, 40, 1, o!, am));
      both('scatterArgmax out of range -> reference', () => ({ f32: [randArray(r, 2), randArray(r, 6)], i32: [Int32Array.of(0, 5)] }), DEFAULT_TOL,
        (k, [g, gx], [am]) => k.scatterArgmax(g!, am!, 1, 3, 2, gx!));
    });

    it('sumSquares and maxAbs', () => {
      for (const n of [...SIZES, 100000]) {
        both('sumSquares', () => ({ f32: [randArray(r, n)] }), { rtol: 1e-9, atol: 0 }, (k, [x]) => k.sumSquares(x!));
        both('maxAbs', () => ({ f32: [randArray(r, n)] }), { rtol: 0, atol: 0 }, (k, [x]) => k.maxAbs(x!));
      }
      both('maxAbs NaN', () => ({ f32: [Float32Array.of(1, NaN, -3, 2, 5)] }), DEFAULT_TOL, (k, [x]) => k.maxAbs(x!));
      both('maxAbs NaN in a vector lane', () => { const x = randArray(r, 40); x[20] = NaN; return { f32: [x] }; }, DEFAULT_TOL, (k, [x]) => k.maxAbs(x!));
      both('maxAbs empty', () => ({ f32: [new Float32Array(0)] }), DEFAULT_TOL, (k, [x]) => k.maxAbs(x!));
      both('sumSquares empty', () => ({ f32: [new Float32Array(0)] }), DEFAULT_TOL, (k, [x]) => k.sumSquares(x!));
    });

    it('softmax / log-softmax and backward', () => {
      for (const [rows, n] of [[1, 1], [1, 3], [3, 17], [2, 33], [4, 1031], [7, 5], [2, 8], [3, 9]] as const) {
        for (const log of [false, true]) {
          both('softmax', () => {
            const x = randArray(r, rows * n, -10, 10);
            if (rows * n > 4) x[4] = -Infinity;
            return { f32: [x, randArray(r, rows * n)] };
          }, { rtol: 1e-5, atol: 1e-6 }, (k, [x, o]) => k.softmax(x!, rows, n, o!, log), true);
          both('softmaxBackward', () => {
            const x = randArray(r, rows * n, -5, 5), y = new Float32Array(rows * n);
            jsKernels.softmax(x, rows, n, y, log);
            return { f32: [y, randArray(r, rows * n), randArray(r, rows * n)] };
          }, { rtol: 1e-5, atol: 1e-5 }, (k, [y, g, gx]) => k.softmaxBackward(y!, g!, rows, n, gx!, log));
        }
      }
      both('softmax NaN row', () => { const x = randArray(r, 20); x[13] = NaN; return { f32: [x, randArray(r, 20)] }; }, DEFAULT_TOL,
        (k, [x, o]) => k.softmax(x!, 2, 10, o!, false));
    });

    it('layerNorm and backward, with and without affine parameters', () => {
      for (const [rows, n] of [[1, 1], [1, 3], [3, 17], [2, 33], [4, 1031], [5, 4], [2, 8]] as const) {
        for (const affine of [true, false]) {
          const lnTol = { rtol: 1e-4, atol: 1e-5 };
          both('layerNorm', () => ({ f32: [randArray(r, rows * n, -3, 5), randArray(r, n), randArray(r, n), randArray(r, rows * n), randArray(r, rows), randArray(r, rows)] }),
            lnTol, (k, [x, g, b, o, m, s]) => k.layerNorm(x!, rows, n, affine ? g! : null, affine ? b! : null, 1e-5, o!, m!, s!));
          both('layerNormBackward', () => {
            const x = randArray(r, rows * n, -3, 5), g = randArray(r, n), b = randArray(r, n);
            const o = new Float32Array(rows * n), m = new Float32Array(rows), s = new Float32Array(rows);
            jsKernels.layerNorm(x, rows, n, g, b, 1e-5, o, m, s);
            return { f32: [x, randArray(r, rows * n), g, m, s, randArray(r, rows * n), randArray(r, n), randArray(r, n)] };
          }, lnTol, (k, [x, gy, g, m, s, gx, gg, gb]) => k.layerNormBackward(x!, gy!, rows, n, affine ? g! : null, m!, s!, gx!, affine ? gg! : null, affine ? gb! : null));
          both('layerNormBackward no gx', () => {
            const x = randArray(r, rows * n), g = randArray(r, n), b = randArray(r, n);
            const o = new Float32Array(rows * n), m = new Float32Array(rows), s = new Float32Array(rows);
            jsKernels.layerNorm(x, rows, n, g, b, 1e-5, o, m, s);
            return { f32: [x, randArray(r, rows * n), g, m, s, randArray(r, n), randArray(r, n)] };
          }, lnTol, (k, [x, gy, g, m, s, gg, gb]) => k.layerNormBackward(x!, gy!, rows, n, g!, m!, s!, null, gg!, gb!));
        }
      }
    });
  });

  describe(`${tag}: indexing and copies`, { skip }, () => {
    const r = rng(3);
    it('gatherRows / scatterAddRows with repeated indices', () => {
      for (const [rows, d, count] of [[5, 1, 7], [10, 3, 4], [50, 33, 100], [3, 1031, 5], [4, 8, 9]] as const) {
        const idx = (): Int32Array => { const a = new Int32Array(count); for (let i = 0; i < count; i++) a[i] = i % 3 === 0 ? 1 : Math.floor(r() * rows); return a; };
        both('gatherRows', () => ({ f32: [randArray(r, rows * d), randArray(r, count * d)], i32: [idx()] }), { rtol: 0, atol: 0 },
          (k, [t, o], [ix]) => k.gatherRows(t!, d, ix!, o!), true);
        both('scatterAddRows', () => ({ f32: [randArray(r, count * d), randArray(r, rows * d)], i32: [idx()] }), DEFAULT_TOL,
          (k, [s, t], [ix]) => k.scatterAddRows(s!, d, ix!, t!));
      }
    });

    it('out-of-range indices behave like the reference (no memory corruption)', () => {
      both('gatherRows bad', () => ({ f32: [randArray(r, 12), randArray(r, 6)], i32: [Int32Array.of(0, 7)] }), DEFAULT_TOL,
        (k, [t, o], [ix]) => k.gatherRows(t!, 3, ix!, o!));
      both('scatterAddRows bad', () => ({ f32: [randArray(r, 6), randArray(r, 12)], i32: [Int32Array.of(-1, 2)] }), DEFAULT_TOL,
        (k, [s, t], [ix]) => k.scatterAddRows(s!, 3, ix!, t!));
    });

    it('copyBlocks (slice / concat) and swapAxes (transpose), overwrite and accumulate', () => {
      for (const acc of [false, true]) {
        for (const [count, len, sStride, dStride, sOff, dOff] of [[1, 1, 1, 1, 0, 0], [3, 5, 7, 5, 2, 0], [17, 33, 40, 66, 1, 33], [4, 1031, 1031, 2062, 0, 1031], [2, 0, 3, 3, 1, 1]] as const) {
          both('copyBlocks', () => ({ f32: [randArray(r, sOff + count * sStride + len), randArray(r, dOff + count * dStride + len)] }), DEFAULT_TOL,
            (k, [s, d]) => k.copyBlocks(s!, sOff, sStride, d!, dOff, dStride, len, count, acc));
        }
        for (const [outer, A, mid, B, inner] of [[1, 1, 1, 1, 1], [1, 3, 1, 5, 1], [2, 17, 3, 33, 1], [1, 33, 1, 17, 2], [2, 3, 2, 4, 5], [1, 64, 1, 100, 1], [3, 5, 1, 7, 16], [2, 3, 1, 4, 9]] as const) {
          const n = outer * A * mid * B * inner;
          both('swapAxes', () => ({ f32: [randArray(r, n), randArray(r, n)] }), DEFAULT_TOL,
            (k, [x, o]) => k.swapAxes(x!, outer, A, mid, B, inner, o!, acc));
        }
      }
      // Extent past the end of the array: the reference's behaviour (it writes nothing out of range).
      both('copyBlocks short dst', () => ({ f32: [randArray(r, 20), randArray(r, 5)] }), DEFAULT_TOL,
        (k, [s, d]) => k.copyBlocks(s!, 0, 4, d!, 0, 4, 4, 2, false));
    });
  });

  // GEMM is OpenBLAS whichever build of the C kernels runs: tested once, with the first build.
  describe(`${tag}: GEMM (OpenBLAS)`, { skip: skip || (variant === 'base' && hasAvx2 ? 'GEMM does not depend on the build (tested with avx2)' : false) }, () => {
    const r = rng(4);
    /** Each output is a K-term dot product of values in [-1, 1]. */
    const gemmTol = (k: number): Tol => ({ rtol: 1e-5, atol: 2e-6 * Math.max(1, k) });

    function gemmCase(tA: boolean, tB: boolean, M: number, N: number, Kd: number, alpha: number, beta: number, pad: number, wasmToo = false): void {
      const lda = (tA ? M : Kd) + pad, ldb = (tB ? Kd : N) + pad, ldc = N + pad;
      const aRows = tA ? Kd : M, bRows = tB ? N : Kd;
      both(`gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${M}x${N}x${Kd} a=${alpha} b=${beta} pad=${pad}`, () => {
        const C = randArray(r, Math.max(1, M * ldc));
        if (beta === 0) C.fill(NaN); // beta = 0 must not read C
        return { f32: [randArray(r, Math.max(1, aRows * lda)), randArray(r, Math.max(1, bRows * ldb)), C] };
      }, gemmTol(Kd), (k, [A, B, C]) => k.gemm(tA, tB, M, N, Kd, alpha, A!, lda, B!, ldb, beta, C!, ldc), wasmToo);
    }

    it('all four transpose combinations over awkward sizes (sgemm, and sgemv for M = 1 / N = 1)', () => {
      const dims = [[1, 1, 1], [1, 17, 33], [17, 1, 33], [2, 3, 4], [3, 17, 5], [33, 33, 33], [65, 18, 257], [1, 1030, 70], [130, 1031, 3], [5, 40, 600], [1, 1, 50], [40, 1, 1], [1, 40, 1]];
      for (const [M, N, Kd] of dims) {
        for (const tA of [false, true]) for (const tB of [false, true]) gemmCase(tA, tB, M!, N!, Kd!, 1, 0, 0, M === 33);
      }
    });

    it('alpha/beta variants (beta = 0 over NaN, accumulate with beta = 1), padded leading dimensions, K = 0', () => {
      for (const tA of [false, true]) for (const tB of [false, true]) {
        for (const [alpha, beta] of [[0.5, 1], [-1.5, -0.7], [1, 0], [0, 0.5], [0, 0], [2, 1]]) {
          gemmCase(tA, tB, 19, 37, 23, alpha!, beta!, 3);
          gemmCase(tA, tB, 1, 37, 23, alpha!, beta!, 2); // sgemv, strided x when transA
          gemmCase(tA, tB, 19, 1, 23, alpha!, beta!, 1); // sgemv, strided b and C column
          gemmCase(tA, tB, 1, 1, 23, alpha!, beta!, 5);
        }
        gemmCase(tA, tB, 5, 7, 0, 1, 0.5, 0);
        gemmCase(tA, tB, 5, 7, 0, 1, 0, 0);
        gemmCase(tA, tB, 1, 7, 0, 1, 0, 0);
      }
    });

    it('the shapes of the recurrent layers (per-step h·W_hhᵀ, all-steps input projection, weight gradients)', () => {
      for (const [b, H] of [[32, 64], [1, 64], [3, 20]] as const) {
        const G = 4 * H, I = 24;
        gemmCase(false, true, b, G, H, 1, 0, 0);       // hg = h_prev · W_hhᵀ
        gemmCase(false, false, b, H, G, 1, 1, 0);      // dh_prev += dG · W_hh
        gemmCase(true, false, G, H, b * 5, 1, 1, 0);   // dW_hh += dGᵀ · h
        gemmCase(false, true, b * 5, G, I, 1, 1, 0);   // xg = x · W_ihᵀ (+ bias already there)
      }
    });

    it('a bigger, multi-threaded product', () => {
      gemmCase(false, false, 131, 1041, 300, 1, 1, 0);
      gemmCase(true, true, 131, 1041, 300, 0.5, 0, 1);
      gemmCase(false, true, 256, 512, 256, 1, 0, 0);
    });

    it('sub-views: C inside a larger matrix, A and B at odd offsets (as batched matmul and the GRU use)', () => {
      both('gemm subviews', () => ({ f32: [randArray(r, 3 * 20 + 1), randArray(r, 20 * 7 + 3), randArray(r, 2 * 3 * 7)] }), gemmTol(20),
        (k, [A, B, C]) => k.gemm(false, false, 3, 7, 20, 1, A!.subarray(1), 20, B!.subarray(3), 7, 0, C!.subarray(21), 7));
      // The GRU's split W_hn block: B at an offset of 2H rows, C a column block with ldc = 3H.
      const H = 9;
      both('gemm column block', () => ({ f32: [randArray(r, 4 * H), randArray(r, 3 * H * H), randArray(r, 4 * 3 * H)] }), gemmTol(H),
        (k, [A, B, C]) => k.gemm(false, true, 4, H, H, 1, A!, H, B!.subarray(2 * H * H), H, 0, C!.subarray(2 * H), 3 * H));
    });

    it('leading dimensions BLAS refuses (ld < row width) and short arrays go to the reference', () => {
      // lda = 2 < K = 3 (rows overlap): legal for the reference, refused by cblas_sgemm.
      both('gemm overlapping rows', () => ({ f32: [randArray(r, 12), randArray(r, 12), randArray(r, 16)] }), gemmTol(3),
        (k, [A, B, C]) => k.gemm(false, false, 4, 4, 3, 1, A!, 2, B!, 4, 0, C!, 4));
      both('gemm ldc = 0', () => ({ f32: [randArray(r, 6), randArray(r, 6), randArray(r, 2)] }), gemmTol(3),
        (k, [A, B, C]) => k.gemm(false, false, 2, 1, 3, 1, A!, 3, B!, 1, 1, C!, 0));
      const A = nk!.alloc(4), B = nk!.alloc(4), C = nk!.alloc(4);
      A.fill(1); B.fill(1);
      nk!.gemm(false, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2); // A needs 6 elements, has 4
      const A2 = new Float32Array(4).fill(1), B2 = new Float32Array(4).fill(1), C2 = new Float32Array(4);
      jsKernels.gemm(false, false, 2, 2, 3, 1, A2, 3, B2, 2, 0, C2, 2);
      assertClose(C, C2, DEFAULT_TOL, 'short gemm');
    });

    it('is deterministic: the same call twice gives the same bits', () => {
      const A = nk!.alloc(64 * 300), B = nk!.alloc(300 * 200), C1 = nk!.alloc(64 * 200), C2 = nk!.alloc(64 * 200);
      A.set(randArray(r, A.length));
      B.set(randArray(r, B.length));
      nk!.gemm(false, true, 64, 200, 300, 1, A, 300, B, 300, 0, C1, 200);
      nk!.gemm(false, true, 64, 200, 300, 1, A, 300, B, 300, 0, C2, 200);
      assert.deepEqual(C1, C2);
    });
  });

  describe(`${tag}: optimisers`, { skip }, () => {
    const r = rng(5);
    it('adamStep (Adam, AdamW, amsgrad)', () => {
      for (const n of SIZES) {
        for (const [decoupled, amsgrad, wd] of [[false, false, 0], [false, true, 0.01], [true, false, 0.1], [true, true, 0.1]] as const) {
          both('adamStep', () => ({ f32: [randArray(r, n), randArray(r, n), randArray(r, n, -0.1, 0.1), randArray(r, n, 0, 0.1), randArray(r, n, 0, 0.1)] }),
            { rtol: 1e-5, atol: 1e-6 },
            (k, [p, g, m, v, vmax]) => k.adamStep(p!, g!, m!, v!, amsgrad ? vmax! : null,
              { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, decoupled, amsgrad, step: 3 }));
        }
      }
    });

    it('rmspropStep (plain, centered, momentum) and adagradStep', () => {
      for (const n of SIZES) {
        for (const [centered, mom, wd] of [[false, 0, 0], [true, 0, 0.1], [false, 0.9, 0], [true, 0.9, 0.01]] as const) {
          both('rmspropStep', () => ({ f32: [randArray(r, n), randArray(r, n), randArray(r, n, 0.5, 1), randArray(r, n, -0.1, 0.1), randArray(r, n)] }),
            { rtol: 1e-5, atol: 1e-6 },
            (k, [p, g, sq, ga, buf]) => k.rmspropStep(p!, g!, sq!, centered ? ga! : null, mom ? buf! : null,
              { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: wd, momentum: mom }));
        }
        for (const wd of [0, 0.1]) {
          both('adagradStep', () => ({ f32: [randArray(r, n), randArray(r, n), randArray(r, n, 0, 1)] }), { rtol: 1e-5, atol: 1e-6 },
            (k, [p, g, s]) => k.adagradStep(p!, g!, s!, { lr: 0.1, lrDecay: 0.01, weightDecay: wd, eps: 1e-10, step: 4 }));
        }
      }
    });
  });

  describe(`${tag}: fused recurrent gates`, { skip }, () => {
    const r = rng(6);
    const tol = { rtol: 1e-5, atol: 1e-6 };
    const DIMS = [[1, 1], [1, 3], [3, 5], [2, 17], [4, 33], [1, 130], [2, 8], [3, 16]] as const;

    it('RNN tanh/relu forward and backward', () => {
      for (const [rows, H] of DIMS) {
        const S = rows * H;
        for (const act of ['tanh', 'relu'] as const) {
          both(`rnnGatesForward ${act}`, () => ({ f32: [randArray(r, S, -3, 3), randArray(r, S), randArray(r, S)] }), tol,
            (k, [xg, hg, h]) => k.rnnGatesForward(act, rows, H, xg!, hg!, h!));
          both(`rnnGatesBackward ${act}`, () => {
            const h = randArray(r, S);
            if (act === 'relu') for (let i = 0; i < S; i += 3) h[i] = 0;
            return { f32: [h, randArray(r, S), randArray(r, S)] };
          }, tol, (k, [h, dh, dp]) => k.rnnGatesBackward(act, rows, H, h!, dh!, dp!));
        }
      }
    });

    it('LSTM forward (also with gates aliasing xg) and backward', () => {
      for (const [rows, H] of DIMS) {
        const S = rows * H, G = 4 * S;
        both('lstmGatesForward', () => ({ f32: [randArray(r, G, -4, 4), randArray(r, G), randArray(r, S), randArray(r, G), randArray(r, S), randArray(r, S)] }), tol,
          (k, [xg, hg, cp, gates, c, m]) => k.lstmGatesForward(rows, H, xg!, hg!, cp!, gates!, c!, m!), H === 17);
        both('lstmGatesForward aliased', () => ({ f32: [randArray(r, G, -4, 4), randArray(r, G), randArray(r, S), randArray(r, S), randArray(r, S)] }), tol,
          (k, [xg, hg, cp, c, m]) => k.lstmGatesForward(rows, H, xg!, hg!, cp!, xg!, c!, m!));
        both('lstmGatesBackward', () => ({ f32: [randArray(r, G, 0, 1), randArray(r, S), randArray(r, S), randArray(r, S), randArray(r, S), randArray(r, G), randArray(r, S)] }), tol,
          (k, [g, cp, c, dm, dc, dG, dcp]) => k.lstmGatesBackward(rows, H, g!, cp!, c!, dm!, dc!, dG!, dcp!), H === 17);
      }
      // Step views as the layers pass them: rows of a [T, B, G] workspace at a step offset.
      both('lstmGatesForward step views', () => ({ f32: [randArray(r, 3 * 2 * 4 * 9, -4, 4), randArray(r, 2 * 4 * 9), randArray(r, 3 * 2 * 9), randArray(r, 3 * 2 * 9), randArray(r, 3 * 2 * 9)] }), tol,
        (k, [xg, hg, cs, c2, m]) => k.lstmGatesForward(2, 9, xg!.subarray(72), hg!, cs!.subarray(18), xg!.subarray(72), c2!.subarray(36), m!.subarray(36)));
    });

    it('GRU (reset after) forward with and without b_hn, and backward', () => {
      for (const [rows, H] of DIMS) {
        const S = rows * H, G = 3 * S;
        for (const bias of [true, false]) {
          both('gruGatesForward', () => ({ f32: [randArray(r, G, -3, 3), randArray(r, G), randArray(r, H), randArray(r, S), randArray(r, G), randArray(r, S), randArray(r, S)] }), tol,
            (k, [xg, hg, b, hp, gates, hn, h]) => k.gruGatesForward(rows, H, xg!, hg!, bias ? b! : null, hp!, gates!, hn!, h!));
        }
        both('gruGatesForward aliased', () => ({ f32: [randArray(r, G, -3, 3), randArray(r, G), randArray(r, H), randArray(r, S), randArray(r, S), randArray(r, S)] }), tol,
          (k, [xg, hg, b, hp, hn, h]) => k.gruGatesForward(rows, H, xg!, hg!, b!, hp!, xg!, hn!, h!));
        both('gruGatesBackward', () => ({ f32: [randArray(r, G, 0, 1), randArray(r, S), randArray(r, S), randArray(r, S), randArray(r, G), randArray(r, G), randArray(r, S)] }), tol,
          (k, [g, hn, hp, dh, dgx, dgh, dhp]) => k.gruGatesBackward(rows, H, g!, hn!, hp!, dh!, dgx!, dgh!, dhp!));
      }
    });

    it('GRU (reset before, Keras 2) both steps and their backward', () => {
      for (const [rows, H] of DIMS) {
        const S = rows * H, G = 3 * S;
        both('gruResetBeforeGates', () => ({ f32: [randArray(r, G, -3, 3), randArray(r, G), randArray(r, S), randArray(r, G), randArray(r, S)] }), tol,
          (k, [xg, hg, hp, gates, rh]) => k.gruResetBeforeGates(rows, H, xg!, hg!, hp!, gates!, rh!));
        both('gruResetBeforeOutput', () => ({ f32: [randArray(r, G, -3, 3), randArray(r, G), randArray(r, S), randArray(r, G, 0, 1), randArray(r, S)] }), tol,
          (k, [xg, hg, hp, gates, h]) => k.gruResetBeforeOutput(rows, H, xg!, hg!, hp!, gates!, h!));
        both('gruResetBeforeOutputBackward', () => ({ f32: [randArray(r, G, 0, 1), randArray(r, S), randArray(r, S), randArray(r, G), randArray(r, S)] }), tol,
          (k, [g, hp, dh, dG, dhp]) => k.gruResetBeforeOutputBackward(rows, H, g!, hp!, dh!, dG!, dhp!));
        both('gruResetBeforeGatesBackward', () => ({ f32: [randArray(r, G, 0, 1), randArray(r, S), randArray(r, S), randArray(r, G), randArray(r, S)] }), tol,
          (k, [g, hp, drh, dG, dhp]) => k.gruResetBeforeGatesBackward(rows, H, g!, hp!, drh!, dG!, dhp!));
      }
    });

    it('arrays shorter than rows·H go to the reference', () => {
      both('lstmGatesForward short', () => ({ f32: [randArray(r, 16), randArray(r, 16), randArray(r, 4), randArray(r, 16), randArray(r, 3), randArray(r, 4)] }), tol,
        (k, [xg, hg, cp, gates, c, m]) => k.lstmGatesForward(2, 2, xg!, hg!, cp!, gates!, c!, m!));
    });
  });

  describe(`${tag}: attention (bmv, bger)`, { skip }, () => {
    const r = rng(7);
    it('bmv both ways, overwrite and accumulate, and bger', () => {
      for (const [batch, M, N] of [[1, 1, 1], [2, 3, 5], [3, 17, 33], [4, 9, 8], [2, 30, 256], [1, 1, 1031], [0, 3, 4]] as const) {
        const tol = { rtol: 1e-5, atol: 2e-6 * Math.max(M, N) };
        for (const trans of [false, true]) for (const acc of [false, true]) {
          both(`bmv ${trans ? 'T' : 'N'} acc=${acc}`, () => ({ f32: [randArray(r, batch * M * N), randArray(r, batch * (trans ? M : N)), randArray(r, batch * (trans ? N : M))] }), tol,
            (k, [A, x, y]) => k.bmv(trans, batch, M, N, A!, x!, y!, acc), M === 17);
        }
        both('bger', () => { const x = randArray(r, batch * M); if (x.length > 1) x[1] = 0; const y = randArray(r, batch * N); if (y.length > 2) y[2] = NaN; return { f32: [x, y, randArray(r, batch * M * N)] }; },
          DEFAULT_TOL, (k, [x, y, A]) => k.bger(batch, M, N, x!, y!, A!));
      }
      both('bmv short -> reference', () => ({ f32: [randArray(r, 5), randArray(r, 3), randArray(r, 2)] }), DEFAULT_TOL,
        (k, [A, x, y]) => k.bmv(false, 1, 2, 3, A!, x!, y!, false));
    });
  });

  describe(`${tag}: approximations`, { skip }, () => {
    it('exp/log within a few ulp, tanh/sigmoid within 3.2e-7 absolute, over a dense sweep', () => {
      const n = 200001;
      const x = nk!.alloc(n), y = nk!.alloc(n);
      const worst: Record<string, number> = {};
      for (const [op, lo, hi] of [['tanh', -12, 12], ['sigmoid', -20, 20], ['exp', -100, 88], ['log', 1e-30, 1e4]] as const) {
        for (let i = 0; i < n; i++) x[i] = op === 'log' ? Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * i / (n - 1)) : lo + (hi - lo) * i / (n - 1);
        nk!.unary(op, x, y);
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

    it('tanh keeps full relative accuracy near 0; log of denormals, 0, negatives, infinities', () => {
      const x = nk!.alloc(5), y = nk!.alloc(5);
      x.set([1e-6, -1e-4, 1e-3, 0.1, -0.6]);
      nk!.unary('tanh', x, y);
      for (let i = 0; i < 5; i++) assert.ok(Math.abs(y[i]! / Math.tanh(x[i]!) - 1) < 3e-7, `tanh(${x[i]})`);
      const s = Float32Array.of(1e-40, 1e-45, 0, -0, -1, Infinity, -Infinity, NaN);
      const out = new Float32Array(s.length);
      nk!.unary('log', s, out);
      const want = Array.from(s, (v) => Math.log(v));
      for (let i = 0; i < s.length; i++) {
        if (Number.isFinite(want[i]!)) assert.ok(Math.abs(out[i]! / want[i]! - 1) < 3e-7, `log(${s[i]}) = ${out[i]}, want ${want[i]}`);
        else assert.ok(Object.is(out[i], Math.fround(want[i]!)) || (Number.isNaN(out[i]!) && Number.isNaN(want[i]!)), `log(${s[i]}) = ${out[i]}`);
      }
    });
  });
  });
}

kernelSuite('avx2');
kernelSuite('base');

describe('native backend: storage and dispatch', { skip: SKIP }, () => {
  it('Float64Array storage (gradient checks) is delegated to the reference, exactly', () => {
    const x = Float64Array.from([0.1, 0.2, 0.3]) as unknown as Float32Array;
    const y = Float64Array.from([1, 2, 3]) as unknown as Float32Array;
    nk!.axpy(0.5, x, y);
    assert.deepEqual(Array.from(y), [1.05, 2.1, 3.15]);
    const C = new Float64Array(1) as unknown as Float32Array;
    nk!.gemm(false, false, 1, 1, 3, 1, x, 3, y, 1, 0, C, 1);
    assert.equal(C[0], 0.1 * 1.05 + 0.2 * 2.1 + 0.3 * 3.15);
    assert.equal(nk!.sumSquares(x), 0.1 * 0.1 + 0.2 * 0.2 + 0.3 * 0.3);
  });

  it('non-integer or negative sizes go to the reference', () => {
    const a = nk!.alloc(6).fill(1), o = nk!.alloc(6), o2 = new Float32Array(6);
    nk!.softmax(a, 2.5, 2, o, false);
    jsKernels.softmax(Float32Array.from(a), 2.5, 2, o2, false);
    assert.deepEqual(o, o2);
    assert.doesNotThrow(() => nk!.reduce('sum', a, -1, 2, 3, o));
  });

  it('RECUR_BACKEND=native selects it (recur info reports it), RECUR_THREADS sets the threads', () => {
    const code = "import('./src/kernels/index.ts').then((m) => { const k = m.kernels(); console.log(JSON.stringify([m.backendName(), m.availableBackends(), k.info().threads])); })";
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
      env: { ...process.env, RECUR_BACKEND: 'native', RECUR_THREADS: '1' }, encoding: 'utf8',
    });
    assert.equal(res.status, 0, res.stderr);
    const [name, avail, threads] = JSON.parse(res.stdout.trim()) as [string, string[], number];
    assert.equal(name, 'native');
    assert.ok(avail.includes('wasm') && avail.includes('js'));
    assert.equal(threads, 1);
  });

  it('an unknown RECUR_BACKEND is a clear error', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/kernels/index.ts')"], {
      env: { ...process.env, RECUR_BACKEND: 'cuda' }, encoding: 'utf8',
    });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /RECUR_BACKEND='cuda' is not a backend \(use js, wasm or native\)/);
  });
});
