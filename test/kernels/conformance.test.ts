/**
 * Every compiled backend against the JS reference, kernel by kernel: one suite, run on the wasm
 * backend and on both builds of the native addon (AVX2+FMA and baseline; skipped, with a
 * message, when the addon is not built).
 *
 * Every kernel runs on random inputs of awkward sizes (1, 3, 4, 7, 9, 17, 33, 1031: not
 * multiples of the 4- or 8-lane chunks or of the GEMM tiles), with its arrays (a) from the
 * backend's alloc, (b) as subarray views at odd offsets into it, (c) as plain Float32Arrays
 * (wasm: the copy path), and for a sample of native cases (d) as views into the WebAssembly
 * backend's memory.
 *
 * Each call is also checked against the backend's own count of the calls it served and refused
 * (calls()): a case must be served by the backend, unless it is one the reference must handle
 * (Float64Array storage, short arrays, out-of-range indices), which must be refused. So a
 * backend that handed everything to the reference fails here. Products with a prepared op(B)
 * must count as served gemmPackedB calls (on native: its packed kernel, not OpenBLAS's gemm),
 * and run there with two threads, so the big ones are split with the native worker thread.
 *
 * Tolerances: elementwise arithmetic matches the reference to 1e-5 relative (most of it is
 * bit-exact: f32 add/mul/div/sqrt round like the reference's double-then-store); exp, log,
 * tanh, sigmoid use polynomial approximations, checked at 1e-5 relative + 1e-6 absolute here
 * and by a dense sweep (<= 3.2e-7 absolute for tanh/sigmoid, a few ulp for exp/log); GEMM and
 * other sums at 1e-5 relative to the magnitude of the terms (|A|·|B|), since summation order
 * differs from the reference's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsKernels } from '../../src/kernels/js.js';
import type { BinaryOp, CallCounts, Kernels, UnaryOp } from '../../src/kernels/types.js';
import { createNativeBackend, loadNativeAddon, nativeUnavailableReason } from '../../src/kernels/native/index.js';
import { createWasmBackendSync } from '../../src/kernels/wasm/index.js';
import { backendIndependent } from '../helpers/backend-independent.js';
import { assertClose, compareWithReference, DEFAULT_TOL, place, PLACEMENTS, randArray, rng, type Tol } from './helpers.js';

type Counted = Kernels & { calls(): CallCounts };

/** What a case expects of the backend's call counts: every call served, at least one refused, or not counted (not overridden). */
type Expect = 'served' | 'refused' | 'uncounted';

interface Target {
  name: string;
  k: Counted;
  skip: string | false;
  /** Runs before the target's cases (selects the build of the C kernels). */
  setUp?: () => void;
  tearDown?: () => void;
  /** The same kernels on another backend's storage, for a sample of cases. */
  foreign?: () => Counted;
  /** Long sums accumulated in double: checked against the float64 sum, not the float32 reference. */
  sumsInDouble: boolean;
  /** BLAS refuses leading dimensions smaller than the row width (the reference then runs). */
  refusesOverlappingRows: boolean;
  /**
   * bger skips rows whose x is 0, as the reference does, so a NaN in y stays out of them (the
   * wasm kernel multiplies them: 0·NaN = NaN).
   */
  bgerSkipsZeroRows: boolean;
  /** Why the GEMM cases are skipped for this target. */
  gemmSkip: string | false;
  /**
   * Native: sets two threads for the packed products (the worker path) and returns what restores
   * the count; and how many packed products were split with the worker so far.
   */
  packedThreads?: { twoThreads(): () => void; splits(): number };
}

const wasm = createWasmBackendSync();
const native = createNativeBackend();
const addon = loadNativeAddon();
const NO_NATIVE = native ? false : `native addon not built (${nativeUnavailableReason()}): run \`npm run build:native\` (needs libopenblas-dev)`;
if (NO_NATIVE) console.log(`# conformance.test.ts: native targets skipped: ${NO_NATIVE}`);

// CI (.ci/run) sets RECUR_REQUIRE_NATIVE=1 where it built the addon: there a missing addon fails.
it('the native addon is loaded where CI requires it', { skip: process.env.RECUR_REQUIRE_NATIVE === '1' ? false : 'RECUR_REQUIRE_NATIVE is not set' }, () => {
  assert.ok(native, `RECUR_REQUIRE_NATIVE=1 but ${NO_NATIVE}`);
});
const hasAvx2 = !!addon && addon.setVariant('avx2');

const TARGETS: Target[] = [
  { name: 'wasm', k: wasm, skip: false, sumsInDouble: false, refusesOverlappingRows: false, bgerSkipsZeroRows: false, gemmSkip: false },
];
for (const variant of ['avx2', 'base'] as const) {
  const skip = NO_NATIVE || (variant === 'avx2' && !hasAvx2 ? 'this CPU has no AVX2+FMA' : false);
  let onWasm: Counted | null = null;
  TARGETS.push({
    name: `native (${variant} build)`,
    k: (native ?? wasm) as Counted,
    skip,
    setUp: () => assert.ok(addon!.setVariant(variant)),
    tearDown: () => { if (hasAvx2) addon!.setVariant('avx2'); },
    foreign: () => (onWasm ??= { ...native!, alloc: (n: number) => wasm.alloc(n) } as Counted),
    sumsInDouble: true,
    refusesOverlappingRows: true,
    bgerSkipsZeroRows: true,
    // GEMM is OpenBLAS whichever build of the C kernels runs: tested once, with the first build.
    // (Products with a prepared op(B) are not: they run packed.h, in both builds.)
    gemmSkip: variant === 'base' && hasAvx2 ? 'GEMM does not depend on the build (tested with avx2)' : false,
    packedThreads: {
      twoThreads() {
        const was = native!.info().threads;
        native!.setThreads(2);
        return () => native!.setThreads(was);
      },
      splits: () => native!.info().packedSplits ?? 0,
    },
  });
}

const SIZES = [1, 3, 4, 7, 9, 17, 33, 1031];
const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'sqrt', 'square', 'abs'];
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min'];

/** Inputs with the special values every kernel must treat as the reference does. */
function withSpecials(a: Float32Array): Float32Array {
  const s = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 88.5, -88.5, 100, -100, 0.3];
  for (let i = 0; i < a.length && i < s.length; i++) a[(i * 7) % a.length] = s[i]!;
  return a;
}

const bLo = (op: BinaryOp): number => (op === 'div' ? 0.5 : -1);

function totals(c: CallCounts): { served: number; refused: number } {
  let served = 0, refused = 0;
  for (const v of Object.values(c)) { served += v!.served; refused += v!.refused; }
  return { served, refused };
}

/** Runs `run` on k and on the reference and compares them, then checks k's call counts against `expect`. */
function checked(k: Counted, name: string, make: () => { f32: Float32Array[]; i32?: Int32Array[] }, where: (typeof PLACEMENTS)[number],
  tol: Tol, run: (k: Kernels, f: Float32Array[], i: Int32Array[]) => number | void, expect: Expect): void {
  const was = totals(k.calls());
  compareWithReference(k, name, make(), where, tol, run);
  const now = totals(k.calls());
  const served = now.served - was.served, refused = now.refused - was.refused;
  const what = `${name} (${where}): ${served} calls served, ${refused} refused`;
  if (expect === 'served') assert.ok(served > 0 && refused === 0, `${what}; expected every call served`);
  else if (expect === 'refused') assert.ok(refused > 0, `${what}; expected the reference to run it`);
  else assert.ok(served === 0 && refused === 0, `${what}; expected no counted kernel`);
}

function conformance(T: Target): void {
  const tag = T.name;
  // The targets are built here whatever RECUR_BACKEND says: one backend pass runs them.
  const skip = T.skip || backendIndependent.skip;

  /** A case in every placement; `sample` also runs it on the foreign storage. */
  function both(name: string, make: () => { f32: Float32Array[]; i32?: Int32Array[] }, tol: Tol,
    run: (k: Kernels, f: Float32Array[], i: Int32Array[]) => number | void, sample = false, expect: Expect = 'served'): void {
    for (const where of PLACEMENTS) checked(T.k, name, make, where, tol, run, expect);
    if (sample && T.foreign) checked(T.foreign(), `${name} [wasm memory]`, make, 'heap', tol, run, expect);
  }

  describe(tag, { skip }, () => {
  before(() => { if (!skip) T.setUp?.(); });
  after(() => { if (!skip) T.tearDown?.(); });

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
        both('fill/copy', () => ({ f32: [randArray(r, n), randArray(r, n)] }), DEFAULT_TOL, (k, [x, y]) => { k.copy(x!, y!); k.fill(x!, 0.25); }, false, 'uncounted');
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
          for (const [rows, d] of [[1, 1], [3, 5], [17, 33], [2, 1031], [5, 4], [5, 8], [4, 9]] as const) {
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
        (k, [a, b, o]) => k.binary('add', a!, 1, b!, 1, o!, false), false, 'refused');
      both('binary empty output', () => ({ f32: [randArray(r, 3), randArray(r, 3), new Float32Array(0)] }), DEFAULT_TOL,
        (k, [a, b, o]) => k.binary('mul', a!, 1, b!, 1, o!, true));
    });

    it('sumToBroadcast', () => {
      for (const [rows, d] of [[1, 1], [3, 5], [17, 33], [64, 1031], [1000, 3], [9, 8]] as const) {
        const n = rows * d;
        both('sumToBroadcast trailing', () => ({ f32: [randArray(r, n), randArray(r, d)] }), T.sumsInDouble ? { rtol: 1e-5, atol: 1e-5 } : DEFAULT_TOL,
          (k, [g, o]) => k.sumToBroadcast(g!, 1, o!, 0.5));
        // A float32 sum of d terms in another order than the reference's, whose own error is up to
        // 8.6e-5 at d = 1031 (against the float64 sum): at GEMM's tolerance for d-term sums.
        both('sumToBroadcast axis', () => ({ f32: [randArray(r, n), randArray(r, rows)] }),
          T.sumsInDouble ? { rtol: 1e-5, atol: 1e-5 } : { rtol: 1e-5, atol: 2e-6 * Math.max(1, d) }, (k, [g, o]) => k.sumToBroadcast(g!, d, o!, 1));
        if (!T.sumsInDouble) {
          both('sumToBroadcast scalar', () => ({ f32: [randArray(r, n), randArray(r, 1)] }), { rtol: 1e-5, atol: 1e-4 }, (k, [g, o]) => k.sumToBroadcast(g!, n, o!, 1));
          continue;
        }
        // One long sum: the reference accumulates it in float32 (error ~1e-3 at n = 66k), the
        // addon in double; so this case is checked against the float64 sum.
        for (const where of PLACEMENTS) {
          const g = randArray(r, n), o = randArray(r, 1);
          const exact = Float64Array.from(o);
          jsKernels.sumToBroadcast(Float64Array.from(g) as unknown as Float32Array, n, exact as unknown as Float32Array, 1);
          const gg = place(T.k, g, where), oo = place(T.k, o, where);
          const was = totals(T.k.calls()).served;
          T.k.sumToBroadcast(gg, n, oo, 1);
          assert.equal(totals(T.k.calls()).served, was + 1, 'sumToBroadcast scalar served');
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
        (k, [g, gx], [am]) => k.scatterArgmax(g!, am!, 1, 3, 2, gx!), false, 'refused');
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
        (k, [t, o], [ix]) => k.gatherRows(t!, 3, ix!, o!), false, 'refused');
      both('scatterAddRows bad', () => ({ f32: [randArray(r, 6), randArray(r, 12)], i32: [Int32Array.of(-1, 2)] }), DEFAULT_TOL,
        (k, [s, t], [ix]) => k.scatterAddRows(s!, 3, ix!, t!), false, 'refused');
    });

    it('copyBlocks (slice / concat) and swapAxes (transpose), overwrite and accumulate', () => {
      for (const acc of [false, true]) {
        for (const [count, len, sStride, dStride, sOff, dOff] of [[1, 1, 1, 1, 0, 0], [3, 5, 7, 5, 2, 0], [17, 33, 40, 66, 1, 33], [4, 1031, 1031, 2062, 0, 1031], [2, 0, 3, 3, 1, 1]] as const) {
          both('copyBlocks', () => ({ f32: [randArray(r, sOff + count * sStride + len), randArray(r, dOff + count * dStride + len)] }), DEFAULT_TOL,
            (k, [s, d]) => k.copyBlocks(s!, sOff, sStride, d!, dOff, dStride, len, count, acc));
        }
        for (const [outer, A, mid, B, inner] of [[1, 1, 1, 1, 1], [1, 3, 1, 5, 1], [2, 17, 3, 33, 1], [1, 33, 1, 17, 2], [2, 3, 2, 4, 5], [1, 64, 1, 100, 1], [3, 5, 1, 7, 16], [1, 130, 2, 67, 1], [2, 37, 1, 41, 3], [1, 1024, 1, 32, 1], [2, 3, 1, 4, 9]] as const) {
          const n = outer * A * mid * B * inner;
          both('swapAxes', () => ({ f32: [randArray(r, n), randArray(r, n)] }), DEFAULT_TOL,
            (k, [x, o]) => k.swapAxes(x!, outer, A, mid, B, inner, o!, acc));
        }
      }
      // Extent past the end of the array: the reference's behaviour (it writes nothing out of range).
      both('copyBlocks short dst', () => ({ f32: [randArray(r, 20), randArray(r, 5)] }), DEFAULT_TOL,
        (k, [s, d]) => k.copyBlocks(s!, 0, 4, d!, 0, 4, 4, 2, false), false, 'refused');
    });
  });

  describe(`${tag}: GEMM`, { skip: skip || T.gemmSkip }, () => {
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
      both('gemm subview C', () => ({ f32: [randArray(r, 3 * 20), randArray(r, 20 * 7), randArray(r, 2 * 3 * 7)] }), gemmTol(20),
        (k, [A, B, C]) => k.gemm(false, false, 3, 7, 20, 1, A!, 20, B!, 7, 0, C!.subarray(21), 7));
      // The GRU's split W_hn block: B at an offset of 2H rows, C a column block with ldc = 3H.
      const H = 9;
      both('gemm column block', () => ({ f32: [randArray(r, 4 * H), randArray(r, 3 * H * H), randArray(r, 4 * 3 * H)] }), gemmTol(H),
        (k, [A, B, C]) => k.gemm(false, true, 4, H, H, 1, A!, H, B!.subarray(2 * H * H), H, 0, C!.subarray(2 * H), 3 * H));
    });

    it('overlapping rows (ld < row width; BLAS refuses them) and short arrays (refused) give the reference result', () => {
      // lda = 2 < K = 3 (rows overlap): legal for the reference, refused by cblas_sgemm.
      const overlap: Expect = T.refusesOverlappingRows ? 'refused' : 'served';
      both('gemm overlapping rows', () => ({ f32: [randArray(r, 12), randArray(r, 12), randArray(r, 16)] }), gemmTol(3),
        (k, [A, B, C]) => k.gemm(false, false, 4, 4, 3, 1, A!, 2, B!, 4, 0, C!, 4), false, overlap);
      both('gemm ldc = 0', () => ({ f32: [randArray(r, 6), randArray(r, 6), randArray(r, 2)] }), gemmTol(3),
        (k, [A, B, C]) => k.gemm(false, false, 2, 1, 3, 1, A!, 3, B!, 1, 1, C!, 0), false, overlap);
      const A = T.k.alloc(4), B = T.k.alloc(4), C = T.k.alloc(4);
      A.fill(1); B.fill(1);
      const refused = totals(T.k.calls()).refused;
      T.k.gemm(false, false, 2, 2, 3, 1, A, 3, B, 2, 0, C, 2); // A needs 6 elements, has 4
      assert.equal(totals(T.k.calls()).refused, refused + 1, 'short gemm refused');
      const A2 = new Float32Array(4).fill(1), B2 = new Float32Array(4).fill(1), C2 = new Float32Array(4);
      jsKernels.gemm(false, false, 2, 2, 3, 1, A2, 3, B2, 2, 0, C2, 2);
      assertClose(C, C2, DEFAULT_TOL, 'short gemm');
    });

    it('is deterministic: the same call twice gives the same bits', () => {
      const A = T.k.alloc(64 * 300), B = T.k.alloc(300 * 200), C1 = T.k.alloc(64 * 200), C2 = T.k.alloc(64 * 200);
      A.set(randArray(r, A.length));
      B.set(randArray(r, B.length));
      T.k.gemm(false, true, 64, 200, 300, 1, A, 300, B, 300, 0, C1, 200);
      T.k.gemm(false, true, 64, 200, 300, 1, A, 300, B, 300, 0, C2, 200);
      assert.deepEqual(C1, C2);
    });
  });

  describe(`${tag}: long memory-bound calls (native: cut into ranges on two threads)`, { skip }, () => {
    const r = rng(11);
    let restore: (() => void) | undefined;
    before(() => { if (!skip) restore = T.packedThreads?.twoThreads(); });
    after(() => restore?.());
    const N = 300_001;
    const own = (a: Float32Array): Float32Array => { const o = T.k.alloc(a.length); o.set(a); return o; };

    it('binary (in place too), axpy and copyBlocks past the threshold give the reference\'s values', () => {
      const splits = T.packedThreads?.splits() ?? 0;
      for (const op of ['mul', 'add'] as const) for (const acc of [false, true]) {
        const a = randArray(r, N), b = randArray(r, N), o = randArray(r, N);
        const want = Float32Array.from(o);
        jsKernels.binary(op, a, 1, b, 1, want, acc);
        const got = own(o);
        T.k.binary(op, own(a), 1, own(b), 1, got, acc);
        // (Accumulating, the reference rounds once from doubles.)
        if (acc) assertClose(got, want, DEFAULT_TOL, `binary ${op} acc`);
        else assert.ok(got.every((v, i) => Object.is(v, want[i])), `binary ${op}`);
        const inPlace = own(a), wantIn = Float32Array.from(a);
        jsKernels.binary(op, wantIn, 1, b, 1, wantIn, false);
        T.k.binary(op, inPlace, 1, own(b), 1, inPlace, false);
        assert.ok(inPlace.every((v, i) => Object.is(v, wantIn[i])), `binary ${op} in place`);
      }
      const x = randArray(r, N), y = randArray(r, N), wantY = Float32Array.from(y), gotY = own(y);
      jsKernels.axpy(0.75, x, wantY);
      T.k.axpy(0.75, own(x), gotY);
      assertClose(gotY, wantY, DEFAULT_TOL, 'axpy');
      for (const acc of [false, true]) {
        const src = randArray(r, 3001 * 128), dst = randArray(r, 3001 * 100), want = Float32Array.from(dst), got = own(dst);
        jsKernels.copyBlocks(src, 5, 128, want, 0, 100, 100, 3001, acc);
        T.k.copyBlocks(own(src), 5, 128, got, 0, 100, 100, 3001, acc);
        if (acc) assertClose(got, want, DEFAULT_TOL, 'copyBlocks acc');
        else assert.ok(got.every((v, i) => Object.is(v, want[i])), 'copyBlocks');
      }
      // Overlapping source and destination (blocks moved one block along): the reference's
      // order, block after block, on one thread.
      const buf = randArray(r, 2001 * 100), wantBuf = Float32Array.from(buf), gotBuf = own(buf);
      jsKernels.copyBlocks(wantBuf, 0, 100, wantBuf, 100, 100, 100, 2000, false);
      T.k.copyBlocks(gotBuf, 0, 100, gotBuf, 100, 100, 100, 2000, false);
      assert.ok(gotBuf.every((v, i) => Object.is(v, wantBuf[i])), 'copyBlocks overlapping');
      if (T.packedThreads) assert.ok(T.packedThreads.splits() >= splits + 7, `${T.packedThreads.splits() - splits} calls split between two threads`);
    });
  });

  describe(`${tag}: GEMM with a prepared op(B) (packB, gemmPackedB)`, { skip }, () => {
    const r = rng(8);
    const gemmTol = (k: number): Tol => ({ rtol: 1e-5, atol: 2e-6 * Math.max(1, k) });
    let restore: (() => void) | undefined;
    // Native: two threads, so products past the split threshold run on the worker too.
    before(() => { if (!skip) restore = T.packedThreads?.twoThreads(); });
    after(() => restore?.());

    /**
     * One product through packB / gemmPackedB / freePackedB against the reference gemm, arrays
     * placed per `where` and given back at once (a synchronous loop never lets the collector
     * reclaim backend storage). The backend must serve it as a packed product: its gemmPackedB
     * count goes up by one and nothing is refused, so a backend that handed these products to
     * the reference, or (native) to OpenBLAS's gemm, fails here.
     */
    function packedCase(tA: boolean, tB: boolean, M: number, N: number, Kd: number, alpha: number, beta: number,
      pad: number, where: (typeof PLACEMENTS)[number]): void {
      const lda = (tA ? M : Kd) + pad, ldb = (tB ? Kd : N) + pad, ldc = N + pad;
      const what = `packed ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${M}x${N}x${Kd} a=${alpha} b=${beta} pad=${pad} (${where})`;
      const a = randArray(r, Math.max(1, (tA ? Kd : M) * lda)), b = randArray(r, Math.max(1, (tB ? N : Kd) * ldb));
      const c = randArray(r, Math.max(1, M * ldc));
      if (beta === 0) c.fill(NaN); // beta = 0 must not read C
      const want = Float32Array.from(c);
      jsKernels.gemm(tA, tB, M, N, Kd, alpha, a, lda, b, ldb, beta, want, ldc);
      const owned: Float32Array[] = [];
      const put = (v: Float32Array): Float32Array => {
        if (where === 'plain') return Float32Array.from(v);
        const base = T.k.alloc(v.length + (where === 'offset' ? 3 : 0));
        owned.push(base);
        const x = where === 'offset' ? base.subarray(3) : base;
        x.set(v);
        return x;
      };
      const A = put(a), B = put(b), C = put(c);
      const was = T.k.calls(), wasTotals = totals(was);
      const p = T.k.packB(tB, Kd, N, B, ldb);
      T.k.gemmPackedB(tA, M, N, Kd, alpha, A, lda, p, beta, C, ldc);
      T.k.freePackedB(p);
      const now = T.k.calls();
      const served = (now.gemmPackedB?.served ?? 0) - (was.gemmPackedB?.served ?? 0);
      const refused = totals(now).refused - wasTotals.refused;
      assert.ok(served === 1 && refused === 0, `${what}: ${served} packed products served, ${refused} calls refused; expected one served`);
      assertClose(C, want, gemmTol(Kd), what);
      assert.ok(B.every((v, i) => Object.is(v, b[i])), `${what}: B unchanged`);
      for (const o of owned) T.k.free(o);
    }

    it('every transpose over M in {1, 2, 5, 6, 7, 13, 32, 64}, N in {1, 15, 16, 17, 100, 1024}, K in {1, 7, 256, 1024}', () => {
      const splits = T.packedThreads?.splits() ?? 0;
      // alpha in {1, 0.5} x beta in {0 (C all NaN), 1, 0.25}, padded leading dimensions and the
      // placements cycle over the grid, so each meets every shape class.
      const AB = [[1, 0], [0.5, 1], [1, 0.25], [0.5, 0], [1, 1], [0.5, 0.25]] as const;
      let n = 0;
      for (const tB of [true, false]) for (const tA of [false, true]) {
        for (const M of [1, 2, 5, 6, 7, 13, 32, 64]) for (const N of [1, 15, 16, 17, 100, 1024]) for (const Kd of [1, 7, 256, 1024]) {
          const [alpha, beta] = AB[n % 6]!;
          packedCase(tA, tB, M, N, Kd, alpha, beta, [0, 3, 1][Math.floor(n / 6) % 3]!, PLACEMENTS[Math.floor(n / 18) % 3]!);
          n++;
        }
      }
      // K beyond one block of the native kernel (1024): three blocks of 684, 684 and 682.
      for (const tB of [true, false]) for (const [M, N] of [[7, 17], [64, 100]] as const) {
        packedCase(false, tB, M, N, 2050, 1, 0.25, 1, PLACEMENTS[0]!);
      }
      // The big ones went to the worker too (and the rest stayed on the caller).
      if (T.packedThreads) assert.ok(T.packedThreads.splits() > splits, 'no packed product was split between two threads');
    });

    it('the recurrent layers\' products (fused.ts): h·W_hhᵀ and dh += dG·W_hh over a shrinking batch', () => {
      for (const [H, gates] of [[256, 4], [256, 3], [64, 4], [33, 1]] as const) {
        const G = gates * H;
        for (const b of [64, 32, 31, 3, 1]) {
          packedCase(false, true, b, G, H, 1, 0, 0, 'heap');   // hg = h_prev · W_hhᵀ, packB(true, H, G, W_hh, H)
          packedCase(false, false, b, H, G, 1, 1, 0, 'heap');  // dh_prev += dG · W_hh, packB(false, G, H, W_hh, H)
        }
      }
    });

    it('alpha = 0 and K = 0 scale C only; M = 0 and N = 0 touch nothing', () => {
      for (const [alpha, Kd, beta] of [[0, 5, 0.5], [0, 5, 0], [1, 0, 0.25], [1, 0, 0]] as const) {
        for (const tA of [false, true]) for (const tB of [false, true]) {
          const what = `packed a=${alpha} K=${Kd} b=${beta}`;
          const A = T.k.alloc(Math.max(1, 7 * Kd)), B = T.k.alloc(Math.max(1, 9 * Kd)), C = T.k.alloc(7 * 9);
          A.fill(NaN); // alpha = 0: A is not read
          B.set(randArray(r, B.length));
          C.set(randArray(r, C.length));
          const want = Float32Array.from(C);
          jsKernels.gemm(tA, tB, 7, 9, Kd, alpha, Float32Array.from(A), tA ? 7 : Kd, Float32Array.from(B), tB ? Kd : 9, beta, want, 9);
          const p = T.k.packB(tB, Kd, 9, B, tB ? Kd : 9);
          T.k.gemmPackedB(tA, 7, 9, Kd, alpha, A, tA ? 7 : Kd, p, beta, C, 9);
          T.k.freePackedB(p);
          assertClose(C, want, DEFAULT_TOL, what);
        }
      }
      for (const [M, N] of [[0, 9], [7, 0]] as const) {
        const C = T.k.alloc(10).fill(3);
        const p = T.k.packB(false, 4, N, T.k.alloc(4 * 9), 9);
        T.k.gemmPackedB(false, M, N, 4, 1, T.k.alloc(7 * 4), 4, p, 0, C, 9);
        T.k.freePackedB(p);
        assert.ok(C.every((v) => v === 3), `packed ${M}x${N}: C untouched`);
      }
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

    it('backward kernels overwrite their outputs and run in place on the state gradient', () => {
      // Outputs start as NaN: a kernel that added to them instead of writing leaves NaN behind.
      const nan = (n: number): Float32Array => new Float32Array(n).fill(NaN);
      const written = (what: string, ...xs: Float32Array[]): void => {
        for (const x of xs) assert.ok(x.every(Number.isFinite), `${what}: an output kept its old NaN`);
      };
      for (const [rows, H] of DIMS) {
        const S = rows * H;
        for (const act of ['tanh', 'relu'] as const) {
          both(`rnnGatesBackward ${act} over NaN`, () => ({ f32: [randArray(r, S), randArray(r, S), nan(S)] }), tol,
            (k, [h, dh, dp]) => { k.rnnGatesBackward(act, rows, H, h!, dh!, dp!); written('rnnGatesBackward', dp!); });
        }
        both('lstmGatesBackward in place (dcPrev = dc) over NaN', () => ({ f32: [randArray(r, 4 * S, 0, 1), randArray(r, S), randArray(r, S),
          randArray(r, S), randArray(r, S), nan(4 * S)] }), tol,
        (k, [g, cp, c, dm, dc, dG]) => { k.lstmGatesBackward(rows, H, g!, cp!, c!, dm!, dc!, dG!, dc!); written('lstmGatesBackward', dG!, dc!); });
        both('gruGatesBackward in place (dhPrev = dh) over NaN', () => ({ f32: [randArray(r, 3 * S, 0, 1), randArray(r, S), randArray(r, S),
          randArray(r, S), nan(3 * S), nan(3 * S)] }), tol,
        (k, [g, hn, hp, dh, dgx, dgh]) => { k.gruGatesBackward(rows, H, g!, hn!, hp!, dh!, dgx!, dgh!, dh!); written('gruGatesBackward', dgx!, dgh!, dh!); });
        // Step 2 writes dG's z and n blocks and dhPrev; step 1 writes the r block and adds to dhPrev.
        both('gruResetBefore backward, both steps, in place over NaN', () => ({ f32: [randArray(r, 3 * S, 0, 1), randArray(r, S), randArray(r, S),
          randArray(r, S), nan(3 * S)] }), tol,
        (k, [g, hp, dh, drh, dG]) => {
          k.gruResetBeforeOutputBackward(rows, H, g!, hp!, dh!, dG!, dh!);
          k.gruResetBeforeGatesBackward(rows, H, g!, hp!, drh!, dG!, dh!);
          written('gruResetBefore backward', dG!, dh!);
        });
      }
    });

    it('arrays shorter than rows·H go to the reference', () => {
      both('lstmGatesForward short', () => ({ f32: [randArray(r, 16), randArray(r, 16), randArray(r, 4), randArray(r, 16), randArray(r, 3), randArray(r, 4)] }), tol,
        (k, [xg, hg, cp, gates, c, m]) => k.lstmGatesForward(2, 2, xg!, hg!, cp!, gates!, c!, m!), false, 'refused');
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
        if (T.bgerSkipsZeroRows) {
          both('bger', () => { const x = randArray(r, batch * M); if (x.length > 1) x[1] = 0; const y = randArray(r, batch * N); if (y.length > 2) y[2] = NaN; return { f32: [x, y, randArray(r, batch * M * N)] }; },
            DEFAULT_TOL, (k, [x, y, A]) => k.bger(batch, M, N, x!, y!, A!));
        } else {
          both('bger', () => ({ f32: [randArray(r, batch * M), randArray(r, batch * N), randArray(r, batch * M * N)] }), tol,
            (k, [x, y, A]) => k.bger(batch, M, N, x!, y!, A!));
        }
      }
      both('bmv short -> reference', () => ({ f32: [randArray(r, 5), randArray(r, 3), randArray(r, 2)] }), DEFAULT_TOL,
        (k, [A, x, y]) => k.bmv(false, 1, 2, 3, A!, x!, y!, false), false, 'refused');
    });
  });

  describe(`${tag}: approximations`, { skip }, () => {
    it('exp/log within a few ulp, tanh/sigmoid within 3.2e-7 absolute, over a dense sweep', () => {
      const n = 200001;
      const x = T.k.alloc(n), y = T.k.alloc(n);
      const worst: Record<string, number> = {};
      for (const [op, lo, hi] of [['tanh', -12, 12], ['sigmoid', -20, 20], ['exp', -100, 88], ['log', 1e-30, 1e4]] as const) {
        for (let i = 0; i < n; i++) x[i] = op === 'log' ? Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * i / (n - 1)) : lo + (hi - lo) * i / (n - 1);
        T.k.unary(op, x, y);
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
      const x = T.k.alloc(5), y = T.k.alloc(5);
      x.set([1e-6, -1e-4, 1e-3, 0.1, -0.6]);
      T.k.unary('tanh', x, y);
      for (let i = 0; i < 5; i++) assert.ok(Math.abs(y[i]! / Math.tanh(x[i]!) - 1) < 3e-7, `tanh(${x[i]})`);
      const s = Float32Array.of(1e-40, 1e-45, 0, -0, -1, Infinity, -Infinity, NaN);
      const out = new Float32Array(s.length);
      T.k.unary('log', s, out);
      const want = Array.from(s, (v) => Math.log(v));
      for (let i = 0; i < s.length; i++) {
        if (Number.isFinite(want[i]!)) assert.ok(Math.abs(out[i]! / want[i]! - 1) < 3e-7, `log(${s[i]}) = ${out[i]}, want ${want[i]}`);
        else assert.ok(Object.is(out[i], Math.fround(want[i]!)) || (Number.isNaN(out[i]!) && Number.isNaN(want[i]!)), `log(${s[i]}) = ${out[i]}`);
      }
    });
  });
  describe(`${tag}: random draws`, { skip }, () => {
    it('bernoulliScaled: the mask bits and final state of the reference, for every keep', () => {
      // wasm runs the reference itself (uncounted); native draws in C and must serve every call.
      const own = T.name.startsWith('native');
      // 32768 and more: eight chunks of 4096 side by side (native/src/random.h), then the rest one at a time.
      for (const n of [0, 1, 7, 33, 1031, 32_767, 32_768, 100_003, 3 * 32_768]) for (const keep of [0, 1e-9, 0.1, 0.5, 0.9, 1, 1.5, NaN]) {
        const seed = Uint32Array.of(0x9e3779b9, 12345 + n, 0xdeadbeef, 7);
        const want = new Float32Array(n), wantState = Uint32Array.from(seed);
        jsKernels.bernoulliScaled(wantState, keep, want);
        const got = T.k.alloc(n), state = Uint32Array.from(seed);
        const was = totals(T.k.calls());
        T.k.bernoulliScaled(state, keep, got);
        const now = totals(T.k.calls());
        const what = `bernoulliScaled n=${n} keep=${keep}`;
        assert.deepEqual([now.served - was.served, now.refused - was.refused], own ? [1, 0] : [0, 0], `${what}: calls served, refused`);
        assert.ok(got.every((v, i) => Object.is(v, want[i])), `${what}: mask bits`);
        assert.deepEqual(Array.from(state), Array.from(wantState), `${what}: state`);
      }
    });
  });
  describe(`${tag}: refusals`, { skip }, () => {
    it('Float64Array storage (gradient checks) is refused and runs on the reference, exactly', () => {
      const x = Float64Array.from([0.1, 0.2, 0.3]) as unknown as Float32Array;
      const y = Float64Array.from([1, 2, 3]) as unknown as Float32Array;
      const was = totals(T.k.calls());
      T.k.axpy(0.5, x, y);
      assert.deepEqual(Array.from(y), [1.05, 2.1, 3.15]);
      const C = new Float64Array(1) as unknown as Float32Array;
      T.k.gemm(false, false, 1, 1, 3, 1, x, 3, y, 1, 0, C, 1);
      assert.equal(C[0], 0.1 * 1.05 + 0.2 * 2.1 + 0.3 * 3.15);
      assert.equal(T.k.sumSquares(x), 0.1 * 0.1 + 0.2 * 0.2 + 0.3 * 0.3);
      const now = totals(T.k.calls());
      assert.deepEqual([now.served - was.served, now.refused - was.refused], [0, 3], 'all three calls refused');
    });
  });
  });
}

for (const T of TARGETS) conformance(T);
