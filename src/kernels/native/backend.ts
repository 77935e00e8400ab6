import { CallCounter } from '../call-counts.js';
import { jsKernels } from '../js.js';
import { checkPackedB } from '../js/gemm.js';
import { isCount } from '../wasm/marshal.js'; // the addon's `cnt` range, [0, 2^31)
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES } from '../op-codes.js';
import type { CallCounts, KernelName, Kernels, PackedB } from '../types.js';
import type { NativeAddon, NativeInfo } from './addon.js';

/**
 * The native backend: the JS reference with its hot kernels overridden by C (native/src, one
 * header per area as in src/kernels/js/).
 *
 * - GEMM: the system OpenBLAS (cblas_sgemm; M = 1 or N = 1 products through cblas_sgemv).
 *   Products with a prepared op(B) (packB / gemmPackedB: a recurrent layer's W_hh, once per
 *   sequence) run our own kernel instead: op(B) packed once into 16-column panels in addon
 *   storage, a 6×16 register-blocked micro-kernel over them (native/src/packed.h), split
 *   between the caller and one worker thread (native/src/threads.c).
 * - Everything else but the CRF kernels (which run the JS reference in place) and fill/copy
 *   (typed-array methods are already memset/memcpy speed): C loops vectorised on 8 float lanes,
 *   in an AVX2+FMA build picked at load time when the CPU has it, else a baseline build (env
 *   RECUR_NATIVE_ISA=base forces it).
 * - Storage: `alloc` returns zero-filled Float32Arrays (`empty`: not zeroed) starting on a
 *   64-byte boundary, over blocks of the addon's storage pool: when V8 collects an array its
 *   block goes back to the pool (per size class, up to a cap) instead of to the OS, so the next
 *   step reuses memory that is already mapped rather than faulting in fresh pages. No size budget.
 *
 * Any Float32Array is a valid operand (user arrays, subarray views at any offset, even views
 * into the WebAssembly backend's memory): the addon reads their memory in place, no copies.
 * The addon validates each call (types, integer sizes, every extent, every index) and refuses
 * what it cannot do safely — Float64Array storage of the gradient checks, arrays shorter than
 * the sizes imply, out-of-range indices, leading dimensions BLAS rejects — and those calls run
 * on the JS reference (jsKernels), which defines the semantics in those cases.
 *
 * Threads: OpenBLAS runs GEMMs on RECUR_THREADS threads (default: 2, or fewer cores; a set
 * OPENBLAS_NUM_THREADS / OMP_NUM_THREADS is respected when RECUR_THREADS is not set). Packed
 * products use 2 threads when that count is 2 or more, else only the caller's.
 */
export interface NativeKernels extends Kernels {
  /** Which build of the C kernels runs: 'avx2' (AVX2+FMA) or 'base'. */
  readonly variant: string;
  /** OpenBLAS threads, build and the core it detected; the packed products' threads and splits. */
  info(): NativeInfo;
  /** Sets the number of OpenBLAS threads (process-wide), and of the packed products (1, or 2 from n >= 2). */
  setThreads(n: number): void;
  /** Bytes in arrays from `alloc` not yet garbage-collected, and allocation counts (what reclaimMemory() reads). */
  stats(): { liveBytes: number; allocatedBytes: number; freedBytes: number; allocs: number; frees: number };
  /** The storage pool: bytes kept for reuse, its cap, allocations served from it / from malloc, and bytes of live blocks hidden from V8 (native/src/addon.c, hide_block). */
  poolStats(): { pooledBytes: number; capBytes: number; hits: number; misses: number; hiddenBytes: number };
  /** The most the pool keeps for reuse, in bytes (default 512 MiB, env RECUR_NATIVE_POOL_MB); 0 frees it and keeps nothing. */
  setPoolCap(bytes: number): void;
  /** Calls served by the addon and refused (run by the reference), by kernel. */
  calls(): CallCounts;
}

/** Kernels the addon exports under their own name, taking exactly the kernel's arguments. */
const DIRECT = [
  'gatherRows', 'scatterAddRows', 'copyBlocks', 'swapAxes',
  'axpy', 'scale', 'clamp', 'sumToBroadcast', 'where', 'whereBackward',
  'broadcastAxis', 'scatterArgmax', 'softmax', 'softmaxBackward', 'layerNorm', 'layerNormBackward', 'gemm',
  'lstmGatesForward', 'lstmGatesBackward', 'gruGatesForward', 'gruGatesBackward', 'gruResetBeforeGates',
  'gruResetBeforeOutput', 'gruResetBeforeOutputBackward', 'gruResetBeforeGatesBackward', 'bmv', 'bger', 'qgemv', 'bernoulliScaled',
  'ctcForward', 'ctcBackward',
] as const satisfies readonly (KernelName & keyof NativeAddon)[];
type Direct = (typeof DIRECT)[number];

/** An addon call: true when the addon refused it. */
type AddonCall<N extends KernelName> = (...a: Parameters<Kernels[N]>) => true | undefined;

/** Columns per panel of a packed op(B): RK_PANEL in native/src/kernels_api.h. */
const PANEL = 16;

/**
 * A PackedB with op(B) in panels of addon storage (null: not packed; products then use B itself).
 * Named apart from the wasm backend's `panels`, so neither backend takes the other's for its own.
 */
interface NativePackedB extends PackedB {
  nativePanels: Float32Array | null;
}

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
  const counter = new CallCounter();
  const packedCount = counter.cell('gemmPackedB');

  /** An override: `call` runs the addon, and a refused call runs on the reference. */
  function glue<N extends KernelName>(name: N, call: AddonCall<N> | undefined): Kernels[N] {
    const ref = js[name] as (...a: Parameters<Kernels[N]>) => void;
    // An addon built before this kernel existed: the reference serves it.
    if (!call) return js[name];
    const count = counter.cell(name);
    const glued = (...a: Parameters<Kernels[N]>): void => {
      if (call(...a)) {
        count.refused++;
        ref(...a);
      } else count.served++;
    };
    return glued as unknown as Kernels[N];
  }

  /** glue for kernels that return a number; the addon returns undefined when it refuses. */
  function glueValue(name: 'sumSquares' | 'maxAbs'): (x: Float32Array) => number {
    const call = N[name], ref = js[name], count = counter.cell(name);
    return (x) => {
      const s = call(x);
      if (s === undefined) {
        count.refused++;
        return ref(x);
      }
      count.served++;
      return s;
    };
  }

  // The addon takes the kernel's own arguments (checked here at compile time).
  const direct: { [K in Direct]?: AddonCall<K> } = N;
  const directKernels = Object.fromEntries(DIRECT.map((name) => [name, glue(name, direct[name])])) as Pick<Kernels, Direct>;

  /** An array over a pool block (zero-filled or not), counted until V8 collects it or `free`. */
  function pooled(n: number, zero: boolean): Float32Array {
    if (n === 0) return new Float32Array(0);
    const a = N.alloc(n, zero);
    // The buffer, not the view: a subarray keeps the buffer (and its memory) alive.
    const bytes = a.buffer.byteLength;
    liveBytes += bytes;
    allocatedBytes += bytes;
    allocs++;
    // The array is the unregister token: only the very array alloc returned can be freed.
    registry.register(a.buffer, bytes, a);
    return a;
  }

  const k: NativeKernels = {
    ...js,
    ...directKernels,
    name: 'native',
    get variant() {
      return N.info().variant;
    },
    info: () => N.info(),
    setThreads(n) {
      if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`setThreads: expected a positive integer, got ${n}`);
      N.setThreads(n);
    },

    alloc: (n) => pooled(n, true),
    empty: (n) => pooled(n, false),
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

    calls: () => counter.snapshot(),

    unary: glue('unary', (op, x, out) => N.unary(UNARY_CODES[op], x, out)),
    unaryBackward: glue('unaryBackward', (op, x, y, gy, gx) => N.unaryBackward(UNARY_CODES[op], x, y, gy, gx)),
    binary: glue('binary', (op, a, aRepeat, b, bRepeat, out, accumulate) => N.binary(BINARY_CODES[op], a, aRepeat, b, bRepeat, out, accumulate)),
    reduce: glue('reduce', (op, x, outer, len, inner, out, argmax) => N.reduce(REDUCE_CODES[op], x, outer, len, inner, out, argmax ?? null)),
    sumSquares: glueValue('sumSquares'),
    maxAbs: glueValue('maxAbs'),

    // Scalar factors in double exactly as the reference computes them; per element in f32.
    adamStep: glue('adamStep', (p, g, m, v, vmax, o) => {
      const bc1 = 1 - Math.pow(o.beta1, o.step);
      const bc2sqrt = Math.sqrt(1 - Math.pow(o.beta2, o.step));
      const decay = o.decoupled ? 1 - o.lr * o.weightDecay : 1;
      const l2 = o.decoupled ? 0 : o.weightDecay;
      return N.adamStep(p, g, m, v, vmax, o.beta1, o.beta2, o.lr / bc1, bc2sqrt, o.eps, decay, l2);
    }),
    rmspropStep: glue('rmspropStep', (p, g, sq, ga, buf, o) => N.rmspropStep(p, g, sq, ga, buf, o.lr, o.alpha, o.eps, o.weightDecay, o.momentum)),
    adagradStep: glue('adagradStep', (p, g, sum, o) => N.adagradStep(p, g, sum, o.lr / (1 + (o.step - 1) * o.lrDecay), o.weightDecay, o.eps)),

    rnnGatesForward: glue('rnnGatesForward', (act, rows, H, xg, hg, h) => N.rnnGatesForward(act === 'relu', rows, H, xg, hg, h)),
    rnnGatesBackward: glue('rnnGatesBackward', (act, rows, H, h, dh, dpre) => N.rnnGatesBackward(act === 'relu', rows, H, h, dh, dpre)),

    // OpenBLAS packs B inside every call (and has no API to keep it packed): products with a
    // prepared op(B) run our kernel over panels packed once (native/src/packed.h). The panels are
    // storage from alloc, so a freePackedB skipped by an exception leaves them to the collector.
    packB(transB, K, N_, B, ldb) {
      const p: NativePackedB = { transB, K, N: N_, B, ldb, nativePanels: null };
      const floats = Math.ceil(N_ / PANEL) * PANEL * K;
      if (!N.packB || !isCount(K, N_, ldb, floats) || floats === 0) return p;
      const panels = k.alloc(floats);
      // Refused (Float64Array storage of the gradient checks, a B shorter than K, N, ldb imply):
      // the products read B as it is.
      if (N.packB(transB, K, N_, B, ldb, panels)) k.free(panels);
      else p.nativePanels = panels;
      return p;
    },
    gemmPackedB(transA, M, N_, K, alpha, A, lda, packed, beta, C, ldc) {
      const p = packed as NativePackedB;
      checkPackedB(p, N_, K);
      // Not packed (see packB), or already freed: gemm on B as it is, counted there.
      if (!p.nativePanels || !N.gemmPacked) {
        k.gemm(transA, p.transB, M, N_, K, alpha, A, lda, p.B, p.ldb, beta, C, ldc);
        return;
      }
      if (N.gemmPacked(transA, M, N_, K, alpha, A, lda, p.nativePanels, beta, C, ldc)) {
        packedCount.refused++;
        js.gemm(transA, p.transB, M, N_, K, alpha, A, lda, p.B, p.ldb, beta, C, ldc);
      } else packedCount.served++;
    },
    freePackedB(packed) {
      const p = packed as NativePackedB;
      if (p.nativePanels) k.free(p.nativePanels);
      p.nativePanels = null;
    },

    // ctc: C in native/src/ctc.h, which checks lengths and labels itself (addon.c ctc_args).
    // crf: small sequential loops, the reference. bmv/bger: C loops (vectorised dot products /
    // axpys per row), one call per batch, no BLAS threads. qgemv: C in native/src/qgemv.h
    // (AVX2 / SSE2 integer dot products), not BLAS, which has no int8 product.
  };
  return k;
}
