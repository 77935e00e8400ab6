import { ctcCallInRange } from '../js/ctc.js';
import { CallCounter } from '../call-counts.js';
import { jsKernels } from '../js.js';
import { checkPackedB } from '../js/gemm.js';
import { BINARY_CODES, UNARY_CODES } from '../op-codes.js';
import type { CallCounts, KernelName, Kernels, PackedB } from '../types.js';
import type { WasmExports } from './exports.js';
import { WasmHeap, type HeapStats } from './heap.js';
import { env, type LoadedModule, type Variant, type WasmOptions } from './loader.js';
import { extent, IN, indicesFit, isCount, Marshal, OUT } from './marshal.js';
import { GemmPool, PAR_MIN_FLOPS, PAR_MIN_GEMV_ELEMS, PAR_MIN_ROW_ELEMS, type RowKernel } from './threads.js';

/**
 * The WebAssembly SIMD backend: the JS reference with every hot kernel overridden by the
 * AssemblyScript module (assembly/, one file per area as in src/kernels/js/).
 *
 * Dispatch. Each call turns its arrays into pointers (marshal.ts):
 * - fast path: a Float32Array view into the module's memory (what `alloc` returns) is passed
 *   by its byteOffset, zero-copy;
 * - slow path: any other Float32Array (user-made, or allocated after the wasm budget ran out)
 *   is copied into scratch memory and, if the kernel writes it, copied back afterwards;
 * - anything else (Float64Array storage of the gradient checks), an array shorter than the
 *   sizes imply, or out-of-range indices: the call is refused and goes to the JS reference
 *   backend, which has the reference semantics for those cases. The wasm code never touches
 *   memory outside the extents checked here, so a bad call cannot corrupt other tensors.
 *
 * Every override is one `glue` entry: a function from the kernel's arguments to the wasm
 * export's arguments (or null to refuse). `calls()` counts what was served and refused.
 */

export interface WasmKernels extends Kernels {
  /** Which compiled build is running: relaxed-SIMD FMA or plain SIMD. */
  readonly variant: Variant;
  readonly heap: WasmHeap;
  stats(): HeapStats;
  /** Threads a large GEMM may use (1 = calling thread only), workers running, and products split across them so far. */
  threads(): { max: number; workersReady: number; splitGemms: number };
  /** Calls served by wasm and refused (run by the reference), by kernel. */
  calls(): CallCounts;
  /** Stops worker threads (they never keep a Node process alive, so this is optional). */
  close(): void;
}

function defaultThreads(): number {
  const fromEnv = Number(env('RECUR_THREADS'));
  if (fromEnv >= 1) return Math.floor(fromEnv);
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { getBuiltinModule?: (id: string) => unknown } };
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  const cores = os?.availableParallelism?.() ?? g.navigator?.hardwareConcurrency ?? 1;
  // Two threads: what the split and thresholds are tuned for (docs/kernels.md).
  return Math.max(1, Math.min(cores, 2));
}

/** gemm's transB for op(B) already packed into panels (assembly/gemm.ts packBPanels). */
const PACKED_B = 2;

/** A PackedB with its panels in wasm memory (ptr -1: not packed, products use B itself). */
interface WasmPackedB extends PackedB {
  ptr: number;
  panels: Float32Array | null;
}

/** Kernels whose wasm export has the kernel's name. */
type Direct = KernelName & keyof WasmExports;
type Args<N extends KernelName> = Parameters<Kernels[N]>;
type Exported<N extends Direct> = Parameters<NonNullable<WasmExports[N]>>;

export function createWasmKernels(mod: LoadedModule, opts: WasmOptions = {}): WasmKernels {
  const w: WasmExports = mod.exports;
  const maxThreads = opts.threads ?? defaultThreads();
  // Workers start lazily, at the first GEMM big enough to be split: programs that never run
  // one never pay for a thread.
  let pool: GemmPool | null = null;
  let poolTried = false;
  const heap = new WasmHeap(mod.memory, mod.shared, w.heapBase(), mod.maxBytes, (ptr, n) => w.fillF32(ptr, 0, n));
  const m = new Marshal(heap);
  const js = jsKernels;
  const counter = new CallCounter();
  let work = 0, workBytes = 0;

  /**
   * An override that marshals its arrays in `call`, which returns the wasm call to run, or null
   * to refuse the call (it then runs on `ref`, by default the reference).
   */
  function glueCall<N extends KernelName>(name: N, call: (...a: Args<N>) => (() => ReturnType<Kernels[N]>) | null,
    ref: (...a: Args<N>) => ReturnType<Kernels[N]> = js[name] as never): Kernels[N] {
    const count = counter.cell(name);
    const glued = (...a: Args<N>): ReturnType<Kernels[N]> => {
      m.begin();
      const run = call(...a);
      if (run === null || m.failed) {
        m.end();
        count.refused++;
        return ref(...a);
      }
      const r = run();
      m.end();
      count.served++;
      return r;
    };
    return glued as unknown as Kernels[N];
  }

  /** An override whose wasm export has the kernel's name: `args` maps the arguments (null refuses). */
  function glue<N extends Direct>(name: N, args: (...a: Args<N>) => Exported<N> | null): Kernels[N] {
    const fn = w[name] as ((...x: Exported<N>) => ReturnType<Kernels[N]>) | undefined;
    // A build from before this export existed: the reference serves it.
    if (!fn) return js[name];
    return glueCall(name, (...a: Args<N>) => {
      const x = args(...a);
      return x === null ? null : () => fn(...x);
    });
  }

  /** A marshalled product on the calling thread, or split with the worker when it is big enough. */
  function product(transA: boolean, tB: number, M: number, N: number, K: number, alpha: number, pa: number, lda: number,
    pb: number, ldb: number, beta: number, pc: number, ldc: number, pw: number): void {
    const gemv = M === 1 || N === 1;
    const big = maxThreads > 1 && (2 * M * N * K >= PAR_MIN_FLOPS || (gemv && M * N * K >= PAR_MIN_GEMV_ELEMS));
    if (big && !poolTried) {
      poolTried = true;
      pool = GemmPool.create(mod.module, w, heap, maxThreads);
    }
    if (!(big && pool?.gemm(transA, tB, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, ldc, pw))) {
      w.gemm(transA ? 1 : 0, tB, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, ldc, pw);
    }
  }

  /** A row kernel on the calling thread, or split with the worker when it is big enough. */
  function splitRows(fn: RowKernel, rows: number, H: number, args: (r0: number, r1: number) => number[]): void {
    if (maxThreads > 1 && rows * H >= PAR_MIN_ROW_ELEMS && pool?.rows(fn, rows, args)) return;
    (w[fn] as (...xs: number[]) => void)(...args(0, rows));
  }

  /** GEMM packing workspace, kept between calls (one allocation, grown when a call needs more). */
  function workspace(bytes: number): number {
    if (bytes > workBytes) {
      if (workBytes) heap.freeRaw(work, workBytes);
      const p = heap.allocRaw(bytes);
      work = p < 0 ? 0 : p;
      workBytes = p < 0 ? 0 : bytes;
      if (p < 0) return -1;
    }
    return work;
  }

  const k: WasmKernels = {
    ...js,
    name: 'wasm',
    variant: mod.variant,
    heap,
    stats: () => heap.stats(),
    threads: () => ({ max: maxThreads, workersReady: pool?.readyCount() ?? 0, splitGemms: pool?.splits ?? 0 }),
    calls: () => counter.snapshot(),
    close: () => { pool?.close(); pool = null; },

    // ---- memory ----
    alloc: (n) => heap.alloc(n),
    empty: (n) => heap.alloc(n, false),
    free: (a) => heap.free(a),
    // TypedArray.fill on shared memory is slow (docs/kernels.md); memset in wasm is not. Short
    // arrays stay in JS, where the call costs less.
    fill(x, value) {
      if (x.length >= 256 && heap.owns(x.buffer)) w.fillF32(x.byteOffset, value, x.length);
      else x.fill(value);
    },
    gatherRows: glue('gatherRows', (table, d, idx, out) => {
      const r = idx.length;
      if (!isCount(d) || !indicesFit(idx, d, table.length)) return null;
      return [m.f(table, table.length, IN), d, m.i32(idx, r, IN), r, m.f(out, r * d, OUT)];
    }),
    scatterAddRows: glue('scatterAddRows', (src, d, idx, table) => {
      const r = idx.length;
      if (!isCount(d) || !indicesFit(idx, d, table.length)) return null;
      return [m.f(src, r * d, IN), d, m.i32(idx, r, IN), r, m.f(table, table.length, OUT)];
    }),
    copyBlocks: glueCall('copyBlocks', (src, sOff, sStride, dst, dOff, dStride, len, count, accumulate) => {
      if (!isCount(sOff, sStride, dOff, dStride, len, count)) return null;
      const empty = len === 0 || count === 0;
      const ps = m.f(src, empty ? 0 : sOff + extent(count, len, sStride), IN);
      const pd = m.f(dst, empty ? 0 : dOff + extent(count, len, dStride), OUT);
      return () => { if (!empty) w.copyBlocks(ps + 4 * sOff, sStride, pd + 4 * dOff, dStride, len, count, accumulate ? 1 : 0); };
    }),
    swapAxes: glue('swapAxes', (x, outer, A, mid, B, inner, out, accumulate) => {
      const n = outer * A * mid * B * inner;
      if (!isCount(outer, A, mid, B, inner, n)) return null;
      return [m.f(x, n, IN), outer, A, mid, B, inner, m.f(out, n, OUT), accumulate ? 1 : 0];
    }),

    // ---- elementwise ----
    axpy: glue('axpy', (alpha, x, y) => { const n = x.length; return [alpha, m.f(x, n, IN), m.f(y, n, OUT), n]; }),
    scale: glue('scale', (alpha, x, out) => { const n = x.length; return [alpha, m.f(x, n, IN), m.f(out, n, OUT), n]; }),
    clamp: glue('clamp', (x, lo, hi, out) => { const n = x.length; return [m.f(x, n, IN), lo, hi, m.f(out, n, OUT), n]; }),
    unary: glue('unary', (op, x, out) => { const n = out.length; return [UNARY_CODES[op], m.f(x, n, IN), m.f(out, n, OUT), n]; }),
    unaryBackward: glue('unaryBackward', (op, x, y, gy, gx) => {
      const n = gx.length;
      return [UNARY_CODES[op], m.f(x, n, IN), m.f(y, n, IN), m.f(gy, n, IN), m.f(gx, n, OUT), n];
    }),
    binary: glue('binary', (op, a, aRepeat, b, bRepeat, out, accumulate) => {
      const n = out.length, na = a.length, nb = b.length;
      // Empty operands against a non-empty output read `undefined` (NaN) in the reference.
      if (!isCount(aRepeat, bRepeat) || aRepeat === 0 || bRepeat === 0 || (n > 0 && (na === 0 || nb === 0))) return null;
      return [BINARY_CODES[op], m.f(a, na, IN), na, aRepeat, m.f(b, nb, IN), nb, bRepeat, m.f(out, n, OUT), n, accumulate ? 1 : 0];
    }),
    sumToBroadcast: glue('sumToBroadcast', (g, repeat, out, alpha) => {
      const n = g.length, mo = out.length;
      if (!isCount(repeat) || repeat === 0 || (n > 0 && mo === 0)) return null;
      return [m.f(g, n, IN), n, repeat, m.f(out, mo, OUT), mo, alpha];
    }),
    where: glue('where', (cond, a, b, out) => {
      const n = out.length;
      return [m.f(cond, n, IN), m.f(a, n, IN), m.f(b, n, IN), m.f(out, n, OUT), n];
    }),
    whereBackward: glue('whereBackward', (cond, gy, gx, pick) => {
      const n = gx.length;
      return [m.f(cond, n, IN), m.f(gy, n, IN), m.f(gx, n, OUT), n, pick ? 1 : 0];
    }),

    // ---- reduce ----
    reduce: glueCall('reduce', (op, x, outer, len, inner, out, argmax) => {
      if (!isCount(outer, len, inner)) return null;
      const px = m.f(x, outer * len * inner, IN), po = m.f(out, outer * inner, OUT);
      if (op === 'sum') return () => w.reduceSum(px, outer, len, inner, po);
      const pi = argmax ? m.i32(argmax, outer * inner, OUT) : 0;
      return () => w.reduceMax(px, outer, len, inner, po, pi);
    }),
    broadcastAxis: glue('broadcastAxis', (gy, outer, len, inner, gx, alpha) => {
      if (!isCount(outer, len, inner)) return null;
      return [m.f(gy, outer * inner, IN), outer, len, inner, m.f(gx, outer * len * inner, OUT), alpha];
    }),
    scatterArgmax: glue('scatterArgmax', (gy, argmax, outer, len, inner, gx) => {
      const n = outer * inner;
      if (!(isCount(outer, len, inner) && n <= argmax.length)) return null;
      for (let i = 0; i < n; i++) { const a = argmax[i]!; if (!(a >= 0 && a < len)) return null; }
      return [m.f(gy, n, IN), m.i32(argmax, n, IN), outer, len, inner, m.f(gx, outer * len * inner, OUT)];
    }),
    sumSquares: glue('sumSquares', (x) => [m.f(x, x.length, IN), x.length]),
    maxAbs: glue('maxAbs', (x) => [m.f(x, x.length, IN), x.length]),

    // ---- softmax ----
    softmax: glue('softmax', (x, rows, n, out, log) => {
      if (!isCount(rows, n)) return null;
      return [m.f(x, rows * n, IN), rows, n, m.f(out, rows * n, OUT), log ? 1 : 0];
    }),
    softmaxBackward: glue('softmaxBackward', (y, gy, rows, n, gx, log) => {
      if (!isCount(rows, n)) return null;
      return [m.f(y, rows * n, IN), m.f(gy, rows * n, IN), rows, n, m.f(gx, rows * n, OUT), log ? 1 : 0];
    }),

    // ---- norm ----
    layerNorm: glue('layerNorm', (x, rows, n, gamma, beta, eps, out, mean, rstd) => {
      if (!isCount(rows, n)) return null;
      return [m.f(x, rows * n, IN), rows, n, m.opt(gamma, n, IN), m.opt(beta, n, IN), eps,
        m.f(out, rows * n, OUT), m.f(mean, rows, OUT), m.f(rstd, rows, OUT)];
    }),
    layerNormBackward: glue('layerNormBackward', (x, gy, rows, n, gamma, mean, rstd, gx, gGamma, gBeta) => {
      if (!isCount(rows, n)) return null;
      return [m.f(x, rows * n, IN), m.f(gy, rows * n, IN), rows, n, m.opt(gamma, n, IN), m.f(mean, rows, IN), m.f(rstd, rows, IN),
        m.opt(gx, rows * n, OUT), m.opt(gGamma, n, OUT), m.opt(gBeta, n, OUT)];
    }),

    // ---- optim: scalar factors in f64 exactly as the reference computes them ----
    adamStep: glue('adamStep', (p, g, mm, v, vmax, o) => {
      const n = p.length;
      const bc1 = 1 - Math.pow(o.beta1, o.step);
      const bc2sqrt = Math.sqrt(1 - Math.pow(o.beta2, o.step));
      const decay = o.decoupled ? 1 - o.lr * o.weightDecay : 1;
      const l2 = o.decoupled ? 0 : o.weightDecay;
      return [m.f(p, n, OUT), m.f(g, n, IN), m.f(mm, n, OUT), m.f(v, n, OUT), m.opt(vmax, n, OUT), n,
        o.beta1, o.beta2, o.lr / bc1, bc2sqrt, o.eps, decay, l2];
    }),
    rmspropStep: glue('rmspropStep', (p, g, sq, ga, buf, o) => {
      const n = p.length;
      return [m.f(p, n, OUT), m.f(g, n, IN), m.f(sq, n, OUT), m.opt(ga, n, OUT), m.opt(buf, n, OUT), n,
        o.lr, o.alpha, o.eps, o.weightDecay, o.momentum];
    }),
    adagradStep: glue('adagradStep', (p, g, sum, o) => {
      const n = p.length;
      return [m.f(p, n, OUT), m.f(g, n, IN), m.f(sum, n, OUT), n, o.lr / (1 + (o.step - 1) * o.lrDecay), o.weightDecay, o.eps];
    }),

    // ---- gemm ----
    gemm: glueCall('gemm', (transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) => {
      if (!isCount(M, N, K, lda, ldb, ldc)) return null;
      const kk = alpha === 0 ? 0 : K;
      const pa = m.f(A, transA ? extent(kk, M, lda) : extent(M, kk, lda), IN);
      const pb = m.f(B, transB ? extent(N, kk, ldb) : extent(kk, N, ldb), IN);
      const pc = m.f(C, extent(M, N, ldc), OUT);
      const pw = m.failed ? -1 : workspace(w.gemmWorkBytes(M, N, K));
      if (pw < 0) return null;
      return () => product(transA, transB ? 1 : 0, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, ldc, pw);
    }),
    packB(transB, K, N, B, ldb) {
      const p: WasmPackedB = { transB, K, N, B, ldb, ptr: -1, panels: null };
      // A one-column product is a matrix-vector product: it reads B as it is.
      if (!isCount(K, N, ldb) || K === 0 || N <= 1) return p;
      // Tensor storage, not a raw block: if freePackedB is never reached (an exception in
      // between), the collector still takes the panels back.
      const panels = heap.alloc(Math.ceil(N / 16) * 16 * K);
      if (!heap.owns(panels.buffer)) return p;
      m.begin();
      const pb = m.f(B, transB ? extent(N, K, ldb) : extent(K, N, ldb), IN);
      if (!m.failed) {
        w.packBPanels(transB ? 1 : 0, pb, ldb, K, N, panels.byteOffset);
        p.ptr = panels.byteOffset;
        p.panels = panels;
      }
      m.end();
      return p;
    },
    // Refused: the product of op(B) as it is, by gemm.
    gemmPackedB: glueCall('gemmPackedB', (transA, M, N, K, alpha, A, lda, packed, beta, C, ldc) => {
      const p = packed as WasmPackedB;
      checkPackedB(p, N, K);
      // Not packed, or one row (which streams B once without packing: gemm's matrix-vector path).
      if (p.ptr < 0 || M === 1) return () => k.gemm(transA, p.transB, M, N, K, alpha, A, lda, p.B, p.ldb, beta, C, ldc);
      if (!isCount(M, lda, ldc)) return null;
      const pa = m.f(A, transA ? extent(K, M, lda) : extent(M, K, lda), IN), pc = m.f(C, extent(M, N, ldc), OUT);
      const pw = m.failed ? -1 : workspace(w.gemmWorkBytes(M, N, K));
      if (pw < 0) return null;
      return () => product(transA, PACKED_B, M, N, K, alpha, pa, lda, p.ptr, K, beta, pc, ldc, pw);
    }, (transA, M, N, K, alpha, A, lda, p, beta, C, ldc) => k.gemm(transA, p.transB, M, N, K, alpha, A, lda, p.B, p.ldb, beta, C, ldc)),
    freePackedB(packed) {
      const p = packed as WasmPackedB;
      if (p.panels) heap.free(p.panels);
      p.ptr = -1;
      p.panels = null;
    },

    // ---- rnn (contract in ../rnn-types.ts) ----
    // Sizes: S = rows*H for state arrays, rows*G for gate arrays (G = H, 4H or 3H). The split
    // kernels advance their pointers by whole rows: gateRow and stateRow are a row's bytes.
    rnnGatesForward: glue('rnnGatesForward', (act, rows, H, xg, hg, h) => {
      const S = rows * H;
      if (!isCount(rows, H, S)) return null;
      return [act === 'relu' ? 1 : 0, rows, H, m.f(xg, S, IN), m.f(hg, S, IN), m.f(h, S, OUT)];
    }),
    rnnGatesBackward: glue('rnnGatesBackward', (act, rows, H, h, dh, dpre) => {
      const S = rows * H;
      if (!isCount(rows, H, S)) return null;
      return [act === 'relu' ? 1 : 0, rows, H, m.f(h, S, IN), m.f(dh, S, IN), m.f(dpre, S, OUT)];
    }),
    lstmGatesForward: glueCall('lstmGatesForward', (rows, H, xg, hg, cPrev, gates, c, mm) => {
      const S = rows * H, Gs = 4 * S;
      if (!isCount(rows, H, Gs)) return null;
      const a = m.f(xg, Gs, IN), b = m.f(hg, Gs, IN), cp = m.f(cPrev, S, IN);
      const pg = m.f(gates, Gs, OUT), pc = m.f(c, S, OUT), pm = m.f(mm, S, OUT);
      const gateRow = 16 * H, stateRow = 4 * H;
      return () => splitRows('lstmGatesForward', rows, H, (r0, r1) => [r1 - r0, H, a + r0 * gateRow, b + r0 * gateRow,
        cp + r0 * stateRow, pg + r0 * gateRow, pc + r0 * stateRow, pm + r0 * stateRow]);
    }),
    lstmGatesBackward: glueCall('lstmGatesBackward', (rows, H, gates, cPrev, c, dm, dc, dGates, dcPrev) => {
      const S = rows * H, Gs = 4 * S;
      if (!isCount(rows, H, Gs)) return null;
      const pg = m.f(gates, Gs, IN), cp = m.f(cPrev, S, IN), pc = m.f(c, S, IN), pdm = m.f(dm, S, IN), pdc = m.f(dc, S, IN);
      const pdg = m.f(dGates, Gs, OUT), pdp = m.f(dcPrev, S, OUT);
      const gateRow = 16 * H, stateRow = 4 * H;
      return () => splitRows('lstmGatesBackward', rows, H, (r0, r1) => [r1 - r0, H, pg + r0 * gateRow, cp + r0 * stateRow,
        pc + r0 * stateRow, pdm + r0 * stateRow, pdc + r0 * stateRow, pdg + r0 * gateRow, pdp + r0 * stateRow]);
    }),
    gruGatesForward: glueCall('gruGatesForward', (rows, H, xg, hg, bhn, hPrev, gates, hn, h) => {
      const S = rows * H, Gs = 3 * S;
      if (!isCount(rows, H, Gs)) return null;
      const a = m.f(xg, Gs, IN), b = m.f(hg, Gs, IN), pb = m.opt(bhn, H, IN), hp = m.f(hPrev, S, IN);
      const pg = m.f(gates, Gs, OUT), phn = m.f(hn, S, OUT), ph = m.f(h, S, OUT);
      const gateRow = 12 * H, stateRow = 4 * H;
      return () => splitRows('gruGatesForward', rows, H, (r0, r1) => [r1 - r0, H, a + r0 * gateRow, b + r0 * gateRow, pb,
        hp + r0 * stateRow, pg + r0 * gateRow, phn + r0 * stateRow, ph + r0 * stateRow]);
    }),
    gruGatesBackward: glueCall('gruGatesBackward', (rows, H, gates, hn, hPrev, dh, dGx, dGh, dhPrev) => {
      const S = rows * H, Gs = 3 * S;
      if (!isCount(rows, H, Gs)) return null;
      const pg = m.f(gates, Gs, IN), phn = m.f(hn, S, IN), hp = m.f(hPrev, S, IN), pdh = m.f(dh, S, IN);
      const px = m.f(dGx, Gs, OUT), pgh = m.f(dGh, Gs, OUT), pdp = m.f(dhPrev, S, OUT);
      const gateRow = 12 * H, stateRow = 4 * H;
      return () => splitRows('gruGatesBackward', rows, H, (r0, r1) => [r1 - r0, H, pg + r0 * gateRow, phn + r0 * stateRow,
        hp + r0 * stateRow, pdh + r0 * stateRow, px + r0 * gateRow, pgh + r0 * gateRow, pdp + r0 * stateRow]);
    }),
    gruResetBeforeGates: glue('gruResetBeforeGates', (rows, H, xg, hg, hPrev, gates, rh) => {
      const S = rows * H, Gs = 3 * S;
      if (!isCount(rows, H, Gs)) return null;
      return [rows, H, m.f(xg, Gs, IN), m.f(hg, Gs, IN), m.f(hPrev, S, IN), m.f(gates, Gs, OUT), m.f(rh, S, OUT)];
    }),
    gruResetBeforeOutput: glue('gruResetBeforeOutput', (rows, H, xg, hg, hPrev, gates, h) => {
      const S = rows * H, Gs = 3 * S;
      if (!isCount(rows, H, Gs)) return null;
      return [rows, H, m.f(xg, Gs, IN), m.f(hg, Gs, IN), m.f(hPrev, S, IN), m.f(gates, Gs, OUT), m.f(h, S, OUT)];
    }),
    gruResetBeforeOutputBackward: glue('gruResetBeforeOutputBackward', (rows, H, gates, hPrev, dh, dG, dhPrev) => {
      const S = rows * H, Gs = 3 * S;
      if (!isCount(rows, H, Gs)) return null;
      return [rows, H, m.f(gates, Gs, IN), m.f(hPrev, S, IN), m.f(dh, S, IN), m.f(dG, Gs, OUT), m.f(dhPrev, S, OUT)];
    }),
    gruResetBeforeGatesBackward: glue('gruResetBeforeGatesBackward', (rows, H, gates, hPrev, drh, dG, dhPrev) => {
      const S = rows * H, Gs = 3 * S;
      if (!isCount(rows, H, Gs)) return null;
      return [rows, H, m.f(gates, Gs, IN), m.f(hPrev, S, IN), m.f(drh, S, IN), m.f(dG, Gs, OUT), m.f(dhPrev, S, OUT)];
    }),

    // ---- crf: sequential O(B·T·K²) loops with small K; the reference runs on the wasm memory
    // views directly (they are ordinary Float32Arrays), so there is no wasm version.

    // ---- ctc: assembly/ctc.ts; lengths and labels are checked here so that no index leaves the arrays ----
    ctcForward: glue('ctcForward', (T, B, C, S, lp, targets, il, tl, blank, alpha, nll) => {
      if (!ctcCallInRange(T, B, C, S, targets, il, tl, blank)) return null;
      return [T, B, C, S, m.f(lp, T * B * C, IN), m.i32(targets, B * S, IN), m.i32(il, B, IN), m.i32(tl, B, IN), blank,
        m.f(alpha, B * T * (2 * S + 2), OUT), m.f(nll, B, OUT)];
    }),
    ctcBackward: glue('ctcBackward', (T, B, C, S, lp, targets, il, tl, blank, alpha, nll, gNll, zeroInfinity, beta, gLp) => {
      if (!ctcCallInRange(T, B, C, S, targets, il, tl, blank)) return null;
      const n = B * T * (2 * S + 2);
      return [T, B, C, S, m.f(lp, T * B * C, IN), m.i32(targets, B * S, IN), m.i32(il, B, IN), m.i32(tl, B, IN), blank,
        m.f(alpha, n, IN), m.f(nll, B, IN), m.f(gNll, B, IN), zeroInfinity ? 1 : 0, m.f(beta, n, OUT), m.f(gLp, T * B * C, OUT)];
    }),

    // ---- batched (attention) ----
    bmv: glue('bmv', (trans, batch, M, N, A, x, y, accumulate) => {
      const S = batch * M * N, nx = batch * (trans ? M : N), ny = batch * (trans ? N : M);
      if (!isCount(batch, M, N, S)) return null;
      return [trans ? 1 : 0, batch, M, N, m.f(A, S, IN), m.f(x, nx, IN), m.f(y, ny, OUT), accumulate ? 1 : 0];
    }),
    bger: glue('bger', (batch, M, N, x, y, A) => {
      const S = batch * M * N;
      if (!isCount(batch, M, N, S)) return null;
      return [batch, M, N, m.f(x, batch * M, IN), m.f(y, batch * N, IN), m.f(A, S, OUT)];
    }),

    // ---- qgemv: the int16 activations go to the GEMM workspace (qgemv never runs inside a GEMM) ----
    qgemv: glue('qgemv', (N, K, W, scale, x, beta, y) => {
      if (!w.qgemvWorkBytes || !isCount(N, K, N * K)) return null;
      const pw = m.small(W, N * K, IN), ps = m.f(scale, N, IN), px = m.f(x, K, IN), py = m.f(y, N, OUT);
      const pq = m.failed ? -1 : workspace(w.qgemvWorkBytes(K));
      if (pq < 0) return null;
      return [N, K, pw, ps, px, beta, py, pq];
    }),
  };
  return k;
}
