import { ctcCallInRange } from '../ctc-js.js';
import { checkPackedB, jsKernels } from '../js.js';
import type { AdagradParams, AdamParams, BinaryOp, Kernels, PackedB, ReduceOp, RmspropParams, UnaryOp } from '../types.js';
import type { WasmExports } from './exports.js';
import { WasmHeap, type HeapStats } from './heap.js';
import { env, type LoadedModule, type Variant, type WasmOptions } from './loader.js';
import { GemmPool, PAR_MIN_FLOPS, PAR_MIN_GEMV_ELEMS, PAR_MIN_ROW_ELEMS, type RowKernel } from './threads.js';

/**
 * The WebAssembly SIMD backend: every method of `Kernels`, in the AssemblyScript module.
 *
 * Dispatch. Each call turns its arrays into pointers:
 * - fast path: a Float32Array view into the module's memory (what `alloc` returns) is passed
 *   by its byteOffset, zero-copy;
 * - slow path: any other Float32Array (user-made, or allocated after the wasm budget ran out)
 *   is copied into scratch memory and, if the kernel writes it, copied back afterwards;
 * - anything else (Float64Array storage of the gradient checks), an array shorter than the
 *   sizes imply, or out-of-range indices: the call goes to the JS reference backend, which has
 *   the reference semantics for those cases. The wasm code never touches memory outside the
 *   extents checked here, so a bad call cannot corrupt other tensors.
 */

export interface WasmKernels extends Kernels {
  /** Which compiled build is running: relaxed-SIMD FMA or plain SIMD. */
  readonly variant: Variant;
  readonly heap: WasmHeap;
  stats(): HeapStats;
  /** Threads a large GEMM may use (1 = calling thread only), workers running, and products split across them so far. */
  threads(): { max: number; workersReady: number; splitGemms: number };
  /** Calls of the CTC kernels the wasm code served (not handed to the JS reference). */
  served(): { ctcForward: number; ctcBackward: number };
  /** Stops worker threads (they never keep a Node process alive, so this is optional). */
  close(): void;
}

function defaultThreads(): number {
  const fromEnv = Number(env('RECUR_THREADS'));
  if (fromEnv >= 1) return Math.floor(fromEnv);
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { getBuiltinModule?: (id: string) => unknown } };
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  const cores = os?.availableParallelism?.() ?? g.navigator?.hardwareConcurrency ?? 1;
  // Two threads: measured here (2 cores). More would need tuning of the split and threshold.
  return Math.max(1, Math.min(cores, 2));
}

const UNARY: Record<UnaryOp, number> = { neg: 0, exp: 1, log: 2, tanh: 3, sigmoid: 4, relu: 5, sqrt: 6, square: 7, abs: 8 };
const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 };

/** gemm's transB for op(B) already packed into panels (assembly/gemm.ts packBPanels). */
const PACKED_B = 2;

/** A PackedB with its panels in wasm memory (ptr -1: not packed, products use B itself). */
interface WasmPackedB extends PackedB {
  ptr: number;
  panels: Float32Array | null;
}

const IN = false;
const OUT = true;

/** Array types the marshal can place in wasm memory. */
type Marshalled = Float32Array | Int32Array | Int16Array | Int8Array;

interface Pending {
  arr: Marshalled;
  ptr: number;
  n: number;
}

/** A view of n elements at ptr in buf, of a's element type. */
function viewLike(a: Marshalled, buf: ArrayBufferLike, ptr: number, n: number): Marshalled {
  if (a instanceof Float32Array) return new Float32Array(buf, ptr, n);
  if (a instanceof Int32Array) return new Int32Array(buf, ptr, n);
  if (a instanceof Int16Array) return new Int16Array(buf, ptr, n);
  return new Int8Array(buf, ptr, n);
}

/** Turns arrays into pointers for one kernel call; see the file comment. Not re-entrant. */
class Marshal {
  /** Set when the call must go to the reference backend instead. */
  failed = false;
  private readonly heap: WasmHeap;
  private scratch = 0;
  private scratchCap = 0;
  private used = 0;
  private highWater = 0;
  private readonly extra: Array<[number, number]> = [];
  private readonly pending: Pending[] = [];

  constructor(heap: WasmHeap) {
    this.heap = heap;
  }

  begin(): void {
    this.failed = false;
    this.used = 0;
    this.pending.length = 0;
  }

  /** Pointer for a Float32Array whose first `need` elements the kernel may touch. */
  f(a: Float32Array, need: number, out: boolean): number {
    if (this.heap.owns(a.buffer)) {
      if (need <= a.length) return a.byteOffset;
      this.failed = true;
      return 0;
    }
    return this.slow(a, need, out);
  }

  /** Like f, for optional arrays: 0 (absent) for null. */
  opt(a: Float32Array | null, need: number, out: boolean): number {
    return a ? this.f(a, need, out) : 0;
  }

  /** Pointer for an Int32Array (indices are always JS arrays: copy). */
  i32(a: Int32Array, need: number, out: boolean): number {
    return this.slow(a, need, out);
  }

  /**
   * Pointer for an int8/int16 array: zero-copy when it is a view into the heap (quantised
   * weights live in blocks from `alloc`, see src/kernels/quantize.ts), else copied in.
   */
  small(a: Int8Array | Int16Array, need: number, out: boolean): number {
    if (this.heap.owns(a.buffer)) {
      // Views of heap blocks are aligned to their element size by construction; check anyway.
      if (need <= a.length && a.byteOffset % a.BYTES_PER_ELEMENT === 0) return a.byteOffset;
      this.failed = true;
      return 0;
    }
    return this.slow(a, need, out);
  }

  private slow(a: Marshalled, need: number, out: boolean): number {
    if (this.failed) return 0;
    const typed = a instanceof Float32Array || a instanceof Int32Array || a instanceof Int16Array || a instanceof Int8Array;
    if (!typed || !(need <= a.length) || !(need >= 0)) {
      this.failed = true;
      return 0;
    }
    const bytes = Math.max(16, Math.ceil((need * a.BYTES_PER_ELEMENT) / 16) * 16);
    const ptr = this.take(bytes);
    if (ptr < 0) {
      this.failed = true;
      return 0;
    }
    // Copy in even for outputs: a kernel may leave gaps (strided C) or accumulate.
    if (need > 0) viewLike(a, this.heap.buf, ptr, need).set(a.subarray(0, need) as never);
    if (out && need > 0) this.pending.push({ arr: a, ptr, n: need });
    return ptr;
  }

  private take(bytes: number): number {
    if (this.used + bytes <= this.scratchCap) {
      const p = this.scratch + this.used;
      this.used += bytes;
      return p;
    }
    // Does not fit: a one-off block for this call; the scratch grows to the high-water mark after.
    this.highWater = Math.max(this.highWater, this.used + bytes);
    const p = this.heap.allocRaw(bytes);
    if (p >= 0) this.extra.push([p, bytes]);
    return p;
  }

  /** Copies outputs back and releases per-call blocks. Call after the kernel ran (or failed). */
  end(): void {
    if (!this.failed) {
      for (const { arr, ptr, n } of this.pending) {
        arr.set(viewLike(arr, this.heap.buf, ptr, n) as never);
      }
    }
    this.pending.length = 0;
    if (this.extra.length) {
      for (const [p, b] of this.extra) this.heap.freeRaw(p, b);
      this.extra.length = 0;
      if (this.highWater > this.scratchCap) {
        if (this.scratchCap) this.heap.freeRaw(this.scratch, this.scratchCap);
        const cap = Math.ceil(this.highWater / 65536) * 65536;
        const p = this.heap.allocRaw(cap);
        this.scratch = p < 0 ? 0 : p;
        this.scratchCap = p < 0 ? 0 : cap;
      }
    }
  }
}

function isCount(...xs: number[]): boolean {
  for (const x of xs) if (!(Number.isInteger(x) && x >= 0 && x < 2 ** 31)) return false;
  return true;
}

/** Number of elements a (possibly transposed) rows x cols matrix with leading dimension ld spans. */
function extent(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

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
  let work = 0, workBytes = 0;
  const served = { ctcForward: 0, ctcBackward: 0 };

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
    name: 'wasm',
    variant: mod.variant,
    heap,
    stats: () => heap.stats(),
    threads: () => ({ max: maxThreads, workersReady: pool?.readyCount() ?? 0, splitGemms: pool?.splits ?? 0 }),
    close: () => { pool?.close(); pool = null; },
    served: () => ({ ...served }),

    alloc: (n) => heap.alloc(n),
    free: (a) => heap.free(a),

    // TypedArray.fill on shared memory is ~7x slower than memset; the wasm one is not (short
    // arrays stay in JS, where the call costs less).
    fill(x, value) {
      if (x.length >= 256 && heap.owns(x.buffer)) w.fillF32(x.byteOffset, value, x.length);
      else x.fill(value);
    },

    copy(src, dst) {
      dst.set(src);
    },

    axpy(alpha, x, y) {
      const n = x.length;
      m.begin();
      const px = m.f(x, n, IN), py = m.f(y, n, OUT);
      if (m.failed) { m.end(); return js.axpy(alpha, x, y); }
      w.axpy(alpha, px, py, n);
      m.end();
    },

    scale(alpha, x, out) {
      const n = x.length;
      m.begin();
      const px = m.f(x, n, IN), po = m.f(out, n, OUT);
      if (m.failed) { m.end(); return js.scale(alpha, x, out); }
      w.scale(alpha, px, po, n);
      m.end();
    },

    clamp(x, lo, hi, out) {
      const n = x.length;
      m.begin();
      const px = m.f(x, n, IN), po = m.f(out, n, OUT);
      if (m.failed) { m.end(); return js.clamp(x, lo, hi, out); }
      w.clamp(px, lo, hi, po, n);
      m.end();
    },

    unary(op, x, out) {
      const n = out.length;
      m.begin();
      const px = m.f(x, n, IN), po = m.f(out, n, OUT);
      if (m.failed) { m.end(); return js.unary(op, x, out); }
      w.unary(UNARY[op], px, po, n);
      m.end();
    },

    unaryBackward(op, x, y, gy, gx) {
      const n = gx.length;
      m.begin();
      const px = m.f(x, n, IN), py = m.f(y, n, IN), pg = m.f(gy, n, IN), pgx = m.f(gx, n, OUT);
      if (m.failed) { m.end(); return js.unaryBackward(op, x, y, gy, gx); }
      w.unaryBackward(UNARY[op], px, py, pg, pgx, n);
      m.end();
    },

    binary(op, a, aRepeat, b, bRepeat, out, accumulate) {
      const n = out.length, na = a.length, nb = b.length;
      m.begin();
      const pa = m.f(a, na, IN), pb = m.f(b, nb, IN), po = m.f(out, n, OUT);
      // Empty operands against a non-empty output read `undefined` (NaN) in the reference.
      if (m.failed || !isCount(aRepeat, bRepeat) || aRepeat === 0 || bRepeat === 0 || (n > 0 && (na === 0 || nb === 0))) {
        m.end();
        return js.binary(op, a, aRepeat, b, bRepeat, out, accumulate);
      }
      w.binary(BINARY[op], pa, na, aRepeat, pb, nb, bRepeat, po, n, accumulate ? 1 : 0);
      m.end();
    },

    sumToBroadcast(g, repeat, out, alpha) {
      const n = g.length, mo = out.length;
      m.begin();
      const pg = m.f(g, n, IN), po = m.f(out, mo, OUT);
      if (m.failed || !isCount(repeat) || repeat === 0 || (n > 0 && mo === 0)) {
        m.end();
        return js.sumToBroadcast(g, repeat, out, alpha);
      }
      w.sumToBroadcast(pg, n, repeat, po, mo, alpha);
      m.end();
    },

    gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      const fallback = (): void => js.gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      if (!isCount(M, N, K, lda, ldb, ldc)) return fallback();
      const kk = alpha === 0 ? 0 : K;
      const needA = transA ? extent(kk, M, lda) : extent(M, kk, lda);
      const needB = transB ? extent(N, kk, ldb) : extent(kk, N, ldb);
      m.begin();
      const pa = m.f(A, needA, IN), pb = m.f(B, needB, IN), pc = m.f(C, extent(M, N, ldc), OUT);
      const pw = m.failed ? -1 : workspace(w.gemmWorkBytes(M, N, K));
      if (m.failed || pw < 0) { m.end(); return fallback(); }
      product(transA, transB ? 1 : 0, M, N, K, alpha, pa, lda, pb, ldb, beta, pc, ldc, pw);
      m.end();
    },

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

    gemmPackedB(transA, M, N, K, alpha, A, lda, packed, beta, C, ldc) {
      const p = packed as WasmPackedB;
      checkPackedB(p, N, K);
      // One-row products stream B once without packing (gemm's matrix-vector path).
      if (p.ptr < 0 || M === 1 || !isCount(M, lda, ldc)) return k.gemm(transA, p.transB, M, N, K, alpha, A, lda, p.B, p.ldb, beta, C, ldc);
      m.begin();
      const pa = m.f(A, transA ? extent(K, M, lda) : extent(M, K, lda), IN), pc = m.f(C, extent(M, N, ldc), OUT);
      const pw = m.failed ? -1 : workspace(w.gemmWorkBytes(M, N, K));
      if (m.failed || pw < 0) {
        m.end();
        return k.gemm(transA, p.transB, M, N, K, alpha, A, lda, p.B, p.ldb, beta, C, ldc);
      }
      product(transA, PACKED_B, M, N, K, alpha, pa, lda, p.ptr, K, beta, pc, ldc, pw);
      m.end();
    },

    freePackedB(packed) {
      const p = packed as WasmPackedB;
      if (p.panels) heap.free(p.panels);
      p.ptr = -1;
      p.panels = null;
    },

    reduce(op: ReduceOp, x, outer, len, inner, out, argmax) {
      if (!isCount(outer, len, inner)) return js.reduce(op, x, outer, len, inner, out, argmax);
      m.begin();
      const px = m.f(x, outer * len * inner, IN), po = m.f(out, outer * inner, OUT);
      const pi = op === 'max' && argmax ? m.i32(argmax, outer * inner, OUT) : 0;
      if (m.failed) { m.end(); return js.reduce(op, x, outer, len, inner, out, argmax); }
      if (op === 'sum') w.reduceSum(px, outer, len, inner, po);
      else w.reduceMax(px, outer, len, inner, po, pi);
      m.end();
    },

    broadcastAxis(gy, outer, len, inner, gx, alpha) {
      if (!isCount(outer, len, inner)) return js.broadcastAxis(gy, outer, len, inner, gx, alpha);
      m.begin();
      const pg = m.f(gy, outer * inner, IN), px = m.f(gx, outer * len * inner, OUT);
      if (m.failed) { m.end(); return js.broadcastAxis(gy, outer, len, inner, gx, alpha); }
      w.broadcastAxis(pg, outer, len, inner, px, alpha);
      m.end();
    },

    scatterArgmax(gy, argmax, outer, len, inner, gx) {
      const n = outer * inner;
      let ok = isCount(outer, len, inner) && n <= argmax.length;
      for (let i = 0; ok && i < n; i++) { const a = argmax[i]!; if (!(a >= 0 && a < len)) ok = false; }
      if (!ok) return js.scatterArgmax(gy, argmax, outer, len, inner, gx);
      m.begin();
      const pg = m.f(gy, n, IN), pa = m.i32(argmax, n, IN), px = m.f(gx, outer * len * inner, OUT);
      if (m.failed) { m.end(); return js.scatterArgmax(gy, argmax, outer, len, inner, gx); }
      w.scatterArgmax(pg, pa, outer, len, inner, px);
      m.end();
    },

    sumSquares(x) {
      m.begin();
      const px = m.f(x, x.length, IN);
      if (m.failed) { m.end(); return js.sumSquares(x); }
      const s = w.sumSquares(px, x.length);
      m.end();
      return s;
    },

    maxAbs(x) {
      m.begin();
      const px = m.f(x, x.length, IN);
      if (m.failed) { m.end(); return js.maxAbs(x); }
      const s = w.maxAbs(px, x.length);
      m.end();
      return s;
    },

    softmax(x, rows, n, out, log) {
      if (!isCount(rows, n)) return js.softmax(x, rows, n, out, log);
      m.begin();
      const px = m.f(x, rows * n, IN), po = m.f(out, rows * n, OUT);
      if (m.failed) { m.end(); return js.softmax(x, rows, n, out, log); }
      w.softmax(px, rows, n, po, log ? 1 : 0);
      m.end();
    },

    softmaxBackward(y, gy, rows, n, gx, log) {
      if (!isCount(rows, n)) return js.softmaxBackward(y, gy, rows, n, gx, log);
      m.begin();
      const py = m.f(y, rows * n, IN), pg = m.f(gy, rows * n, IN), px = m.f(gx, rows * n, OUT);
      if (m.failed) { m.end(); return js.softmaxBackward(y, gy, rows, n, gx, log); }
      w.softmaxBackward(py, pg, rows, n, px, log ? 1 : 0);
      m.end();
    },

    gatherRows(table, d, idx, out) {
      const r = idx.length;
      if (!isCount(d) || !indicesFit(idx, d, table.length)) return js.gatherRows(table, d, idx, out);
      m.begin();
      const pt = m.f(table, table.length, IN), pi = m.i32(idx, r, IN), po = m.f(out, r * d, OUT);
      if (m.failed) { m.end(); return js.gatherRows(table, d, idx, out); }
      w.gatherRows(pt, d, pi, r, po);
      m.end();
    },

    scatterAddRows(src, d, idx, table) {
      const r = idx.length;
      if (!isCount(d) || !indicesFit(idx, d, table.length)) return js.scatterAddRows(src, d, idx, table);
      m.begin();
      const ps = m.f(src, r * d, IN), pi = m.i32(idx, r, IN), pt = m.f(table, table.length, OUT);
      if (m.failed) { m.end(); return js.scatterAddRows(src, d, idx, table); }
      w.scatterAddRows(ps, d, pi, r, pt);
      m.end();
    },

    copyBlocks(src, sOff, sStride, dst, dOff, dStride, len, count, accumulate) {
      const fallback = (): void => js.copyBlocks(src, sOff, sStride, dst, dOff, dStride, len, count, accumulate);
      if (!isCount(sOff, sStride, dOff, dStride, len, count)) return fallback();
      const empty = len === 0 || count === 0;
      m.begin();
      const ps = m.f(src, empty ? 0 : sOff + extent(count, len, sStride), IN);
      const pd = m.f(dst, empty ? 0 : dOff + extent(count, len, dStride), OUT);
      if (m.failed) { m.end(); return fallback(); }
      if (!empty) w.copyBlocks(ps + 4 * sOff, sStride, pd + 4 * dOff, dStride, len, count, accumulate ? 1 : 0);
      m.end();
    },

    swapAxes(x, outer, A, mid, B, inner, out, accumulate) {
      const n = outer * A * mid * B * inner;
      if (!isCount(outer, A, mid, B, inner, n)) return js.swapAxes(x, outer, A, mid, B, inner, out, accumulate);
      m.begin();
      const px = m.f(x, n, IN), po = m.f(out, n, OUT);
      if (m.failed) { m.end(); return js.swapAxes(x, outer, A, mid, B, inner, out, accumulate); }
      w.swapAxes(px, outer, A, mid, B, inner, po, accumulate ? 1 : 0);
      m.end();
    },

    where(cond, a, b, out) {
      const n = out.length;
      m.begin();
      const pc = m.f(cond, n, IN), pa = m.f(a, n, IN), pb = m.f(b, n, IN), po = m.f(out, n, OUT);
      if (m.failed) { m.end(); return js.where(cond, a, b, out); }
      w.where(pc, pa, pb, po, n);
      m.end();
    },

    whereBackward(cond, gy, gx, pick) {
      const n = gx.length;
      m.begin();
      const pc = m.f(cond, n, IN), pg = m.f(gy, n, IN), px = m.f(gx, n, OUT);
      if (m.failed) { m.end(); return js.whereBackward(cond, gy, gx, pick); }
      w.whereBackward(pc, pg, px, n, pick ? 1 : 0);
      m.end();
    },

    layerNorm(x, rows, n, gamma, beta, eps, out, mean, rstd) {
      if (!isCount(rows, n)) return js.layerNorm(x, rows, n, gamma, beta, eps, out, mean, rstd);
      m.begin();
      const px = m.f(x, rows * n, IN), pgm = m.opt(gamma, n, IN), pbt = m.opt(beta, n, IN);
      const po = m.f(out, rows * n, OUT), pm = m.f(mean, rows, OUT), pr = m.f(rstd, rows, OUT);
      if (m.failed) { m.end(); return js.layerNorm(x, rows, n, gamma, beta, eps, out, mean, rstd); }
      w.layerNorm(px, rows, n, pgm, pbt, eps, po, pm, pr);
      m.end();
    },

    layerNormBackward(x, gy, rows, n, gamma, mean, rstd, gx, gGamma, gBeta) {
      const fallback = (): void => js.layerNormBackward(x, gy, rows, n, gamma, mean, rstd, gx, gGamma, gBeta);
      if (!isCount(rows, n)) return fallback();
      m.begin();
      const px = m.f(x, rows * n, IN), pg = m.f(gy, rows * n, IN), pgm = m.opt(gamma, n, IN);
      const pm = m.f(mean, rows, IN), pr = m.f(rstd, rows, IN);
      const pgx = m.opt(gx, rows * n, OUT), pgg = m.opt(gGamma, n, OUT), pgb = m.opt(gBeta, n, OUT);
      if (m.failed) { m.end(); return fallback(); }
      w.layerNormBackward(px, pg, rows, n, pgm, pm, pr, pgx, pgg, pgb);
      m.end();
    },

    adamStep(p, g, mm, v, vmax, o: AdamParams) {
      const n = p.length;
      m.begin();
      const pp = m.f(p, n, OUT), pg = m.f(g, n, IN), pm = m.f(mm, n, OUT), pv = m.f(v, n, OUT);
      const px = m.opt(vmax, n, OUT);
      if (m.failed) { m.end(); return js.adamStep(p, g, mm, v, vmax, o); }
      // Scalar factors in f64 exactly as the reference computes them.
      const bc1 = 1 - Math.pow(o.beta1, o.step);
      const bc2sqrt = Math.sqrt(1 - Math.pow(o.beta2, o.step));
      const decay = o.decoupled ? 1 - o.lr * o.weightDecay : 1;
      const l2 = o.decoupled ? 0 : o.weightDecay;
      w.adamStep(pp, pg, pm, pv, px, n, o.beta1, o.beta2, o.lr / bc1, bc2sqrt, o.eps, decay, l2);
      m.end();
    },

    rmspropStep(p, g, sq, ga, buf, o: RmspropParams) {
      const n = p.length;
      m.begin();
      const pp = m.f(p, n, OUT), pg = m.f(g, n, IN), ps = m.f(sq, n, OUT), pa = m.opt(ga, n, OUT), pb = m.opt(buf, n, OUT);
      if (m.failed) { m.end(); return js.rmspropStep(p, g, sq, ga, buf, o); }
      w.rmspropStep(pp, pg, ps, pa, pb, n, o.lr, o.alpha, o.eps, o.weightDecay, o.momentum);
      m.end();
    },

    adagradStep(p, g, sum, o: AdagradParams) {
      const n = p.length;
      m.begin();
      const pp = m.f(p, n, OUT), pg = m.f(g, n, IN), ps = m.f(sum, n, OUT);
      if (m.failed) { m.end(); return js.adagradStep(p, g, sum, o); }
      w.adagradStep(pp, pg, ps, n, o.lr / (1 + (o.step - 1) * o.lrDecay), o.weightDecay, o.eps);
      m.end();
    },

    // ---- Fused recurrent gates (contract in ../rnn-types.ts) --------------------------------
    // Sizes: S = rows*H for state arrays, rows*G for gate arrays (G = H, 4H or 3H).

    rnnGatesForward(act, rows, H, xg, hg, h) {
      const S = rows * H;
      if (!isCount(rows, H, S)) return js.rnnGatesForward(act, rows, H, xg, hg, h);
      m.begin();
      const a = m.f(xg, S, IN), b = m.f(hg, S, IN), c = m.f(h, S, OUT);
      if (m.failed) { m.end(); return js.rnnGatesForward(act, rows, H, xg, hg, h); }
      w.rnnGatesForward(act === 'relu' ? 1 : 0, rows, H, a, b, c);
      m.end();
    },

    rnnGatesBackward(act, rows, H, h, dh, dpre) {
      const S = rows * H;
      if (!isCount(rows, H, S)) return js.rnnGatesBackward(act, rows, H, h, dh, dpre);
      m.begin();
      const a = m.f(h, S, IN), b = m.f(dh, S, IN), c = m.f(dpre, S, OUT);
      if (m.failed) { m.end(); return js.rnnGatesBackward(act, rows, H, h, dh, dpre); }
      w.rnnGatesBackward(act === 'relu' ? 1 : 0, rows, H, a, b, c);
      m.end();
    },

    lstmGatesForward(rows, H, xg, hg, cPrev, gates, c, mm) {
      const S = rows * H, Gs = 4 * S;
      const fallback = (): void => js.lstmGatesForward(rows, H, xg, hg, cPrev, gates, c, mm);
      if (!isCount(rows, H, Gs)) return fallback();
      m.begin();
      const a = m.f(xg, Gs, IN), b = m.f(hg, Gs, IN), cp = m.f(cPrev, S, IN);
      const pg = m.f(gates, Gs, OUT), pc = m.f(c, S, OUT), pm = m.f(mm, S, OUT);
      if (m.failed) { m.end(); return fallback(); }
      const G4 = 16 * H, H4 = 4 * H;
      splitRows('lstmGatesForward', rows, H, (r0, r1) => [r1 - r0, H, a + r0 * G4, b + r0 * G4, cp + r0 * H4, pg + r0 * G4, pc + r0 * H4, pm + r0 * H4]);
      m.end();
    },

    lstmGatesBackward(rows, H, gates, cPrev, c, dm, dc, dGates, dcPrev) {
      const S = rows * H, Gs = 4 * S;
      const fallback = (): void => js.lstmGatesBackward(rows, H, gates, cPrev, c, dm, dc, dGates, dcPrev);
      if (!isCount(rows, H, Gs)) return fallback();
      m.begin();
      const pg = m.f(gates, Gs, IN), cp = m.f(cPrev, S, IN), pc = m.f(c, S, IN), pdm = m.f(dm, S, IN), pdc = m.f(dc, S, IN);
      const pdg = m.f(dGates, Gs, OUT), pdp = m.f(dcPrev, S, OUT);
      if (m.failed) { m.end(); return fallback(); }
      const G4 = 16 * H, H4 = 4 * H;
      splitRows('lstmGatesBackward', rows, H, (r0, r1) => [r1 - r0, H, pg + r0 * G4, cp + r0 * H4, pc + r0 * H4, pdm + r0 * H4,
        pdc + r0 * H4, pdg + r0 * G4, pdp + r0 * H4]);
      m.end();
    },

    gruGatesForward(rows, H, xg, hg, bhn, hPrev, gates, hn, h) {
      const S = rows * H, Gs = 3 * S;
      const fallback = (): void => js.gruGatesForward(rows, H, xg, hg, bhn, hPrev, gates, hn, h);
      if (!isCount(rows, H, Gs)) return fallback();
      m.begin();
      const a = m.f(xg, Gs, IN), b = m.f(hg, Gs, IN), pb = m.opt(bhn, H, IN), hp = m.f(hPrev, S, IN);
      const pg = m.f(gates, Gs, OUT), phn = m.f(hn, S, OUT), ph = m.f(h, S, OUT);
      if (m.failed) { m.end(); return fallback(); }
      const G4 = 12 * H, H4 = 4 * H;
      splitRows('gruGatesForward', rows, H, (r0, r1) => [r1 - r0, H, a + r0 * G4, b + r0 * G4, pb, hp + r0 * H4, pg + r0 * G4,
        phn + r0 * H4, ph + r0 * H4]);
      m.end();
    },

    gruGatesBackward(rows, H, gates, hn, hPrev, dh, dGx, dGh, dhPrev) {
      const S = rows * H, Gs = 3 * S;
      const fallback = (): void => js.gruGatesBackward(rows, H, gates, hn, hPrev, dh, dGx, dGh, dhPrev);
      if (!isCount(rows, H, Gs)) return fallback();
      m.begin();
      const pg = m.f(gates, Gs, IN), phn = m.f(hn, S, IN), hp = m.f(hPrev, S, IN), pdh = m.f(dh, S, IN);
      const px = m.f(dGx, Gs, OUT), pgh = m.f(dGh, Gs, OUT), pdp = m.f(dhPrev, S, OUT);
      if (m.failed) { m.end(); return fallback(); }
      const G4 = 12 * H, H4 = 4 * H;
      splitRows('gruGatesBackward', rows, H, (r0, r1) => [r1 - r0, H, pg + r0 * G4, phn + r0 * H4, hp + r0 * H4, pdh + r0 * H4,
        px + r0 * G4, pgh + r0 * G4, pdp + r0 * H4]);
      m.end();
    },

    gruResetBeforeGates(rows, H, xg, hg, hPrev, gates, rh) {
      const S = rows * H, Gs = 3 * S;
      const fallback = (): void => js.gruResetBeforeGates(rows, H, xg, hg, hPrev, gates, rh);
      if (!isCount(rows, H, Gs)) return fallback();
      m.begin();
      const a = m.f(xg, Gs, IN), b = m.f(hg, Gs, IN), hp = m.f(hPrev, S, IN), pg = m.f(gates, Gs, OUT), pr = m.f(rh, S, OUT);
      if (m.failed) { m.end(); return fallback(); }
      w.gruResetBeforeGates(rows, H, a, b, hp, pg, pr);
      m.end();
    },

    gruResetBeforeOutput(rows, H, xg, hg, hPrev, gates, h) {
      const S = rows * H, Gs = 3 * S;
      const fallback = (): void => js.gruResetBeforeOutput(rows, H, xg, hg, hPrev, gates, h);
      if (!isCount(rows, H, Gs)) return fallback();
      m.begin();
      const a = m.f(xg, Gs, IN), b = m.f(hg, Gs, IN), hp = m.f(hPrev, S, IN), pg = m.f(gates, Gs, OUT), ph = m.f(h, S, OUT);
      if (m.failed) { m.end(); return fallback(); }
      w.gruResetBeforeOutput(rows, H, a, b, hp, pg, ph);
      m.end();
    },

    gruResetBeforeOutputBackward(rows, H, gates, hPrev, dh, dG, dhPrev) {
      const S = rows * H, Gs = 3 * S;
      const fallback = (): void => js.gruResetBeforeOutputBackward(rows, H, gates, hPrev, dh, dG, dhPrev);
      if (!isCount(rows, H, Gs)) return fallback();
      m.begin();
      const pg = m.f(gates, Gs, IN), hp = m.f(hPrev, S, IN), pdh = m.f(dh, S, IN), pdg = m.f(dG, Gs, OUT), pdp = m.f(dhPrev, S, OUT);
      if (m.failed) { m.end(); return fallback(); }
      w.gruResetBeforeOutputBackward(rows, H, pg, hp, pdh, pdg, pdp);
      m.end();
    },

    gruResetBeforeGatesBackward(rows, H, gates, hPrev, drh, dG, dhPrev) {
      const S = rows * H, Gs = 3 * S;
      const fallback = (): void => js.gruResetBeforeGatesBackward(rows, H, gates, hPrev, drh, dG, dhPrev);
      if (!isCount(rows, H, Gs)) return fallback();
      m.begin();
      const pg = m.f(gates, Gs, IN), hp = m.f(hPrev, S, IN), pdr = m.f(drh, S, IN), pdg = m.f(dG, Gs, OUT), pdp = m.f(dhPrev, S, OUT);
      if (m.failed) { m.end(); return fallback(); }
      w.gruResetBeforeGatesBackward(rows, H, pg, hp, pdr, pdg, pdp);
      m.end();
    },

    // ---- Linear-chain CRF (added with src/nn/crf.ts) ---------------------------------------
    // Sequential O(B·T·K²) loops with small K: the reference code runs directly on the wasm
    // memory views (they are ordinary Float32Arrays), so no copying and no wasm version.
    crfForward: (...a) => js.crfForward(...a),
    crfBackward: (...a) => js.crfBackward(...a),
    crfViterbi: (...a) => js.crfViterbi(...a),

    // ---- Attention: batched matrix-vector products (added with src/nn/attention.ts) ---------
    // O(batch·M·N) loops over contiguous rows: the reference code runs on the views directly.
    bmv(trans, batch, M, N, A, x, y, accumulate) {
      const S = batch * M * N, nx = batch * (trans ? M : N), ny = batch * (trans ? N : M);
      if (!w.bmv || !isCount(batch, M, N, S)) return js.bmv(trans, batch, M, N, A, x, y, accumulate);
      m.begin();
      const pa = m.f(A, S, IN), px = m.f(x, nx, IN), py = m.f(y, ny, OUT);
      if (m.failed) { m.end(); return js.bmv(trans, batch, M, N, A, x, y, accumulate); }
      w.bmv(trans ? 1 : 0, batch, M, N, pa, px, py, accumulate ? 1 : 0);
      m.end();
    },
    bger(batch, M, N, x, y, A) {
      const S = batch * M * N;
      if (!w.bger || !isCount(batch, M, N, S)) return js.bger(batch, M, N, x, y, A);
      m.begin();
      const px = m.f(x, batch * M, IN), py = m.f(y, batch * N, IN), pa = m.f(A, S, OUT);
      if (m.failed) { m.end(); return js.bger(batch, M, N, x, y, A); }
      w.bger(batch, M, N, px, py, pa);
      m.end();
    },

    // ---- CTC forward-backward (contract in ../ctc-types.ts; assembly/ctc.ts) -----------------
    ctcForward(T, B, C, S, lp, targets, il, tl, blank, alpha, nll) {
      const fallback = (): void => js.ctcForward(T, B, C, S, lp, targets, il, tl, blank, alpha, nll);
      if (!w.ctcForward || !ctcCallInRange(T, B, C, S, targets, il, tl, blank)) return fallback();
      m.begin();
      const pl = m.f(lp, T * B * C, IN), pt = m.i32(targets, B * S, IN), pil = m.i32(il, B, IN), ptl = m.i32(tl, B, IN);
      const pa = m.f(alpha, B * T * (2 * S + 2), OUT), pn = m.f(nll, B, OUT);
      if (m.failed) { m.end(); return fallback(); }
      w.ctcForward(T, B, C, S, pl, pt, pil, ptl, blank, pa, pn);
      m.end();
      served.ctcForward++;
    },
    ctcBackward(T, B, C, S, lp, targets, il, tl, blank, alpha, nll, gNll, zeroInfinity, beta, gLp) {
      const fallback = (): void => js.ctcBackward(T, B, C, S, lp, targets, il, tl, blank, alpha, nll, gNll, zeroInfinity, beta, gLp);
      if (!w.ctcBackward || !ctcCallInRange(T, B, C, S, targets, il, tl, blank)) return fallback();
      const n = B * T * (2 * S + 2);
      m.begin();
      const pl = m.f(lp, T * B * C, IN), pt = m.i32(targets, B * S, IN), pil = m.i32(il, B, IN), ptl = m.i32(tl, B, IN);
      const pa = m.f(alpha, n, IN), pn = m.f(nll, B, IN), pg = m.f(gNll, B, IN), pb = m.f(beta, n, OUT), pd = m.f(gLp, T * B * C, OUT);
      if (m.failed) { m.end(); return fallback(); }
      w.ctcBackward(T, B, C, S, pl, pt, pil, ptl, blank, pa, pn, pg, zeroInfinity ? 1 : 0, pb, pd);
      m.end();
      served.ctcBackward++;
    },

    // ---- Int8 matrix-vector product (contract in ../types.ts; assembly/gemv-q.ts) -----------
    // The int16 activations go to the GEMM workspace (qgemv never runs inside a GEMM). No
    // closure here: generation calls this a few times per token and should not allocate.
    qgemv(N, K, W, scale, x, beta, y) {
      if (!w.qgemv || !w.qgemvWorkBytes || !isCount(N, K, N * K)) return js.qgemv(N, K, W, scale, x, beta, y);
      m.begin();
      const pw = m.small(W, N * K, IN), ps = m.f(scale, N, IN), px = m.f(x, K, IN), py = m.f(y, N, OUT);
      const pq = m.failed ? -1 : workspace(w.qgemvWorkBytes(K));
      if (m.failed || pq < 0) {
        m.end();
        return js.qgemv(N, K, W, scale, x, beta, y);
      }
      w.qgemv(N, K, pw, ps, px, beta, py, pq);
      m.end();
    },
  };
  return k;
}

/** Every index selects a whole row of width d inside a table of `size` elements. */
function indicesFit(idx: Int32Array, d: number, size: number): boolean {
  const rows = d === 0 ? Infinity : Math.floor(size / d);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    if (!(r >= 0 && r < rows)) return false;
  }
  return true;
}
