import { checkPackedB, jsKernels, unpackedB } from '../js.js';
import type { AdagradParams, AdamParams, BinaryOp, Kernels, ReduceOp, RmspropParams, UnaryOp } from '../types.js';
import type { NativeAddon } from './addon.js';

/**
 * The native backend: every method of `Kernels`, in C (native/src).
 *
 * - GEMM: the system OpenBLAS (cblas_sgemm; M = 1 or N = 1 products through cblas_sgemv).
 * - Everything else (but the CRF kernels, which run the JS reference in place): C loops vectorised on 8 float lanes, in an AVX2+FMA build picked at load
 *   time when the CPU has it, else a baseline build (env RECUR_NATIVE_ISA=base forces it).
 * - Storage: `alloc` returns zero-filled Float32Arrays starting on a 64-byte boundary, over
 *   blocks of the addon's storage pool: when V8 collects an array its block goes back to the
 *   pool (per size class, up to a cap) instead of to the OS, so the next step reuses memory
 *   that is already mapped rather than faulting in fresh pages. No size budget.
 *
 * Any Float32Array is a valid operand (user arrays, subarray views at any offset, even views
 * into the WebAssembly backend's memory): the addon reads their memory in place, no copies.
 * The addon validates each call (types, integer sizes, every extent, every index) and refuses
 * what it cannot do safely — Float64Array storage of the gradient checks, arrays shorter than
 * the sizes imply, out-of-range indices, leading dimensions BLAS rejects — and those calls run
 * on the JS reference (jsKernels), which defines the semantics in those cases.
 *
 * Threads: OpenBLAS runs GEMMs on RECUR_THREADS threads (default: 2, or fewer cores; a set
 * OPENBLAS_NUM_THREADS / OMP_NUM_THREADS is respected when RECUR_THREADS is not set).
 */
export interface NativeKernels extends Kernels {
  /** Which build of the C kernels runs: 'avx2' (AVX2+FMA) or 'base'. */
  readonly variant: string;
  /** OpenBLAS threads, build and the core it detected. */
  info(): { variant: string; threads: number; blasConfig: string; blasCore: string };
  /** Sets the number of OpenBLAS threads (process-wide). */
  setThreads(n: number): void;
  /** Bytes in arrays from `alloc` not yet garbage-collected, and allocation counts (what reclaimMemory() reads). */
  stats(): { liveBytes: number; allocatedBytes: number; freedBytes: number; allocs: number; frees: number };
  /** The storage pool: bytes kept for reuse, its cap, allocations served from it / from malloc. */
  poolStats(): { pooledBytes: number; capBytes: number; hits: number; misses: number };
  /** The most the pool keeps for reuse, in bytes (default 512 MiB, env RECUR_NATIVE_POOL_MB); 0 frees it and keeps nothing. */
  setPoolCap(bytes: number): void;
  /** Calls of the CTC kernels the C code served (not handed to the JS reference). */
  served(): { ctcForward: number; ctcBackward: number };
}

const UNARY: Record<UnaryOp, number> = { neg: 0, exp: 1, log: 2, tanh: 3, sigmoid: 4, relu: 5, sqrt: 6, square: 7, abs: 8 };
const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 };

export function createNativeKernels(N: NativeAddon): NativeKernels {
  const js = jsKernels;
  // Storage is V8 ArrayBuffers, freed whenever V8 collects them; counting what is still live
  // lets reclaimMemory() force that collection on the same growth rule as the wasm heap, instead
  // of leaving the high-water mark to V8's external-memory heuristics.
  let liveBytes = 0, allocatedBytes = 0, freedBytes = 0, allocs = 0, frees = 0;
  const registry = new FinalizationRegistry<number>((bytes) => {
    liveBytes -= bytes;
    frees++;
  });
  const served = { ctcForward: 0, ctcBackward: 0 };
  const k: NativeKernels = {
    name: 'native',
    served: () => ({ ...served }),
    get variant() {
      return N.info().variant;
    },
    info: () => N.info(),
    setThreads(n) {
      if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`setThreads: expected a positive integer, got ${n}`);
      N.setThreads(n);
    },

    alloc(n) {
      if (n === 0) return new Float32Array(0);
      const a = N.alloc(n);
      // The buffer, not the view: a subarray keeps the buffer (and its memory) alive.
      const bytes = a.buffer.byteLength;
      liveBytes += bytes;
      allocatedBytes += bytes;
      allocs++;
      // The array is the unregister token: only the very array alloc returned can be freed.
      registry.register(a.buffer, bytes, a);
      return a;
    },
    free(a) {
      if (!registry.unregister(a)) return;
      const bytes = a.buffer.byteLength;
      if (!N.free(a)) throw new Error('recur native free: the addon did not take back an array alloc made');
      liveBytes -= bytes;
      freedBytes += bytes;
      frees++;
    },
    stats: () => ({ liveBytes, allocatedBytes, freedBytes, allocs, frees }),
    poolStats: () => N.poolStats(),
    setPoolCap(bytes) {
      if (!(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`setPoolCap: expected a byte count >= 0, got ${bytes}`);
      N.setPoolCap(bytes);
    },

    // Typed-array methods are already memset/memcpy speed.
    fill(x, value) {
      x.fill(value);
    },

    copy(src, dst) {
      dst.set(src);
    },

    axpy(alpha, x, y) {
      if (N.axpy(alpha, x, y)) js.axpy(alpha, x, y);
    },

    scale(alpha, x, out) {
      if (N.scale(alpha, x, out)) js.scale(alpha, x, out);
    },

    clamp(x, lo, hi, out) {
      if (N.clamp(x, lo, hi, out)) js.clamp(x, lo, hi, out);
    },

    unary(op, x, out) {
      if (N.unary(UNARY[op], x, out)) js.unary(op, x, out);
    },

    unaryBackward(op, x, y, gy, gx) {
      if (N.unaryBackward(UNARY[op], x, y, gy, gx)) js.unaryBackward(op, x, y, gy, gx);
    },

    binary(op, a, aRepeat, b, bRepeat, out, accumulate) {
      if (N.binary(BINARY[op], a, aRepeat, b, bRepeat, out, accumulate)) js.binary(op, a, aRepeat, b, bRepeat, out, accumulate);
    },

    sumToBroadcast(g, repeat, out, alpha) {
      if (N.sumToBroadcast(g, repeat, out, alpha)) js.sumToBroadcast(g, repeat, out, alpha);
    },

    // OpenBLAS packs inside every call and has no API to keep a packed operand.
    packB: unpackedB,
    gemmPackedB(transA, M, N_, K, alpha, A, lda, p, beta, C, ldc) {
      checkPackedB(p, N_, K);
      k.gemm(transA, p.transB, M, N_, K, alpha, A, lda, p.B, p.ldb, beta, C, ldc);
    },
    freePackedB: () => {},

    gemm(transA, transB, M, N_, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      if (N.gemm(transA, transB, M, N_, K, alpha, A, lda, B, ldb, beta, C, ldc)) {
        js.gemm(transA, transB, M, N_, K, alpha, A, lda, B, ldb, beta, C, ldc);
      }
    },

    reduce(op: ReduceOp, x, outer, len, inner, out, argmax) {
      if (N.reduce(op === 'sum' ? 0 : 1, x, outer, len, inner, out, argmax ?? null)) js.reduce(op, x, outer, len, inner, out, argmax);
    },

    broadcastAxis(gy, outer, len, inner, gx, alpha) {
      if (N.broadcastAxis(gy, outer, len, inner, gx, alpha)) js.broadcastAxis(gy, outer, len, inner, gx, alpha);
    },

    scatterArgmax(gy, argmax, outer, len, inner, gx) {
      if (N.scatterArgmax(gy, argmax, outer, len, inner, gx)) js.scatterArgmax(gy, argmax, outer, len, inner, gx);
    },

    sumSquares(x) {
      const s = N.sumSquares(x);
      return s === undefined ? js.sumSquares(x) : s;
    },

    maxAbs(x) {
      const s = N.maxAbs(x);
      return s === undefined ? js.maxAbs(x) : s;
    },

    softmax(x, rows, n, out, log) {
      if (N.softmax(x, rows, n, out, log)) js.softmax(x, rows, n, out, log);
    },

    softmaxBackward(y, gy, rows, n, gx, log) {
      if (N.softmaxBackward(y, gy, rows, n, gx, log)) js.softmaxBackward(y, gy, rows, n, gx, log);
    },

    gatherRows(table, d, idx, out) {
      if (N.gatherRows(table, d, idx, out)) js.gatherRows(table, d, idx, out);
    },

    scatterAddRows(src, d, idx, table) {
      if (N.scatterAddRows(src, d, idx, table)) js.scatterAddRows(src, d, idx, table);
    },

    copyBlocks(src, sOff, sStride, dst, dOff, dStride, len, count, accumulate) {
      if (N.copyBlocks(src, sOff, sStride, dst, dOff, dStride, len, count, accumulate)) {
        js.copyBlocks(src, sOff, sStride, dst, dOff, dStride, len, count, accumulate);
      }
    },

    swapAxes(x, outer, A, mid, B, inner, out, accumulate) {
      if (N.swapAxes(x, outer, A, mid, B, inner, out, accumulate)) js.swapAxes(x, outer, A, mid, B, inner, out, accumulate);
    },

    where(cond, a, b, out) {
      if (N.where(cond, a, b, out)) js.where(cond, a, b, out);
    },

    whereBackward(cond, gy, gx, pick) {
      if (N.whereBackward(cond, gy, gx, pick)) js.whereBackward(cond, gy, gx, pick);
    },

    layerNorm(x, rows, n, gamma, beta, eps, out, mean, rstd) {
      if (N.layerNorm(x, rows, n, gamma, beta, eps, out, mean, rstd)) js.layerNorm(x, rows, n, gamma, beta, eps, out, mean, rstd);
    },

    layerNormBackward(x, gy, rows, n, gamma, mean, rstd, gx, gGamma, gBeta) {
      if (N.layerNormBackward(x, gy, rows, n, gamma, mean, rstd, gx, gGamma, gBeta)) {
        js.layerNormBackward(x, gy, rows, n, gamma, mean, rstd, gx, gGamma, gBeta);
      }
    },

    adamStep(p, g, m, v, vmax, o: AdamParams) {
      // Scalar factors in double exactly as the reference computes them; per element in f32.
      const bc1 = 1 - Math.pow(o.beta1, o.step);
      const bc2sqrt = Math.sqrt(1 - Math.pow(o.beta2, o.step));
      const decay = o.decoupled ? 1 - o.lr * o.weightDecay : 1;
      const l2 = o.decoupled ? 0 : o.weightDecay;
      if (N.adamStep(p, g, m, v, vmax, o.beta1, o.beta2, o.lr / bc1, bc2sqrt, o.eps, decay, l2)) js.adamStep(p, g, m, v, vmax, o);
    },

    rmspropStep(p, g, sq, ga, buf, o: RmspropParams) {
      if (N.rmspropStep(p, g, sq, ga, buf, o.lr, o.alpha, o.eps, o.weightDecay, o.momentum)) js.rmspropStep(p, g, sq, ga, buf, o);
    },

    adagradStep(p, g, sum, o: AdagradParams) {
      const clr = o.lr / (1 + (o.step - 1) * o.lrDecay);
      if (N.adagradStep(p, g, sum, clr, o.weightDecay, o.eps)) js.adagradStep(p, g, sum, o);
    },

    // ---- Fused recurrent gates (contract in ../rnn-types.ts) ----------------------------------

    rnnGatesForward(act, rows, H, xg, hg, h) {
      if (N.rnnGatesForward(act === 'relu', rows, H, xg, hg, h)) js.rnnGatesForward(act, rows, H, xg, hg, h);
    },

    rnnGatesBackward(act, rows, H, h, dh, dpre) {
      if (N.rnnGatesBackward(act === 'relu', rows, H, h, dh, dpre)) js.rnnGatesBackward(act, rows, H, h, dh, dpre);
    },

    lstmGatesForward(rows, H, xg, hg, cPrev, gates, c, m) {
      if (N.lstmGatesForward(rows, H, xg, hg, cPrev, gates, c, m)) js.lstmGatesForward(rows, H, xg, hg, cPrev, gates, c, m);
    },

    lstmGatesBackward(rows, H, gates, cPrev, c, dm, dc, dGates, dcPrev) {
      if (N.lstmGatesBackward(rows, H, gates, cPrev, c, dm, dc, dGates, dcPrev)) {
        js.lstmGatesBackward(rows, H, gates, cPrev, c, dm, dc, dGates, dcPrev);
      }
    },

    gruGatesForward(rows, H, xg, hg, bhn, hPrev, gates, hn, h) {
      if (N.gruGatesForward(rows, H, xg, hg, bhn, hPrev, gates, hn, h)) js.gruGatesForward(rows, H, xg, hg, bhn, hPrev, gates, hn, h);
    },

    gruGatesBackward(rows, H, gates, hn, hPrev, dh, dGx, dGh, dhPrev) {
      if (N.gruGatesBackward(rows, H, gates, hn, hPrev, dh, dGx, dGh, dhPrev)) {
        js.gruGatesBackward(rows, H, gates, hn, hPrev, dh, dGx, dGh, dhPrev);
      }
    },

    gruResetBeforeGates(rows, H, xg, hg, hPrev, gates, rh) {
      if (N.gruResetBeforeGates(rows, H, xg, hg, hPrev, gates, rh)) js.gruResetBeforeGates(rows, H, xg, hg, hPrev, gates, rh);
    },

    gruResetBeforeOutput(rows, H, xg, hg, hPrev, gates, h) {
      if (N.gruResetBeforeOutput(rows, H, xg, hg, hPrev, gates, h)) js.gruResetBeforeOutput(rows, H, xg, hg, hPrev, gates, h);
    },

    gruResetBeforeOutputBackward(rows, H, gates, hPrev, dh, dG, dhPrev) {
      if (N.gruResetBeforeOutputBackward(rows, H, gates, hPrev, dh, dG, dhPrev)) {
        js.gruResetBeforeOutputBackward(rows, H, gates, hPrev, dh, dG, dhPrev);
      }
    },

    gruResetBeforeGatesBackward(rows, H, gates, hPrev, drh, dG, dhPrev) {
      if (N.gruResetBeforeGatesBackward(rows, H, gates, hPrev, drh, dG, dhPrev)) {
        js.gruResetBeforeGatesBackward(rows, H, gates, hPrev, drh, dG, dhPrev);
      }
    },

    // ---- Linear-chain CRF (added with src/nn/crf.ts): small sequential loops, the JS reference.
    crfForward: (...a) => js.crfForward(...a),
    crfBackward: (...a) => js.crfBackward(...a),
    crfViterbi: (...a) => js.crfViterbi(...a),

    // ---- Attention: batched matrix-vector products (added with src/nn/attention.ts) ---------
    // C loops (vectorised dot products / axpys per row); one call per batch, no BLAS threads.
    bmv(trans, batch, M, N_, A, x, y, accumulate) {
      if (N.bmv(trans, batch, M, N_, A, x, y, accumulate)) js.bmv(trans, batch, M, N_, A, x, y, accumulate);
    },

    bger(batch, M, N_, x, y, A) {
      if (N.bger(batch, M, N_, x, y, A)) js.bger(batch, M, N_, x, y, A);
    },

    // ---- CTC forward-backward (contract in ../ctc-types.ts): C in native/src/ctc.c, which
    // checks lengths and labels itself. An addon built before CTC existed runs the reference.
    ctcForward(T, B, C, S, lp, targets, il, tl, blank, alpha, nll) {
      if (!N.ctcForward || N.ctcForward(T, B, C, S, lp, targets, il, tl, blank, alpha, nll)) {
        return js.ctcForward(T, B, C, S, lp, targets, il, tl, blank, alpha, nll);
      }
      served.ctcForward++;
    },

    ctcBackward(T, B, C, S, lp, targets, il, tl, blank, alpha, nll, gNll, zeroInfinity, beta, gLp) {
      if (!N.ctcBackward || N.ctcBackward(T, B, C, S, lp, targets, il, tl, blank, alpha, nll, gNll, zeroInfinity, beta, gLp)) {
        return js.ctcBackward(T, B, C, S, lp, targets, il, tl, blank, alpha, nll, gNll, zeroInfinity, beta, gLp);
      }
      served.ctcBackward++;
    },

    // ---- Int8 matrix-vector product (contract in ../types.ts): C in native/src/kernels_qgemv.h
    // (AVX2 / SSE2 integer dot products), not BLAS, which has no int8 product. Reads any
    // Int8Array in place. An addon built before qgemv existed runs the reference instead.
    qgemv(N_, K, W, scale, x, beta, y) {
      if (!N.qgemv || N.qgemv(N_, K, W, scale, x, beta, y)) js.qgemv(N_, K, W, scale, x, beta, y);
    },
  };
  return k;
}
