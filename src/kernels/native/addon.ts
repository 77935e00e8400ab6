/**
 * Finding and loading the compiled addon (native/, built by `npm run build:native` into
 * native/build/Release/recur_native.node). Node only; never throws: a missing or broken build
 * yields null and a reason, and recur keeps using WebAssembly.
 */

/** Arrays a kernel of the addon takes. */
type F = Float32Array;
type FN = Float32Array | null;
/** `true`: the addon refused the call (see native/src/addon.c) and the caller runs the reference. */
type R = true | undefined;

/** The functions native/src/addon.c exports. Op codes are those of ../op-codes.ts. */
export interface NativeAddon {
  /** zero = false: the block's old contents (`empty`); an addon built before that argument zero-fills anyway. */
  alloc(n: number, zero?: boolean): Float32Array;
  /** Returns an alloc array's block to the pool and detaches its buffer; false if it is not one (any more). */
  free(a: Float32Array): boolean;
  /** The storage pool behind alloc (native/src/pool.c). */
  poolStats(): { pooledBytes: number; capBytes: number; hits: number; misses: number; hiddenBytes: number };
  setPoolCap(bytes: number): void;
  addressMod64(a: ArrayBufferView): number;
  gemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: F, lda: number, B: F, ldb: number,
    beta: number, C: F, ldc: number): R;
  /**
   * Packs op(B) (K×N) into `panels` (ceil(N/16)·16·K floats, native/src/packed.h); throws a
   * RangeError when panels is shorter. Absent in builds from before it existed (products then
   * go to gemm).
   */
  packB?(tB: boolean, K: number, N: number, B: F, ldb: number, panels: F): R;
  /** gemm over panels from packB(_, K, N, ...); throws a RangeError when panels is shorter than that. */
  gemmPacked?(tA: boolean, M: number, N: number, K: number, alpha: number, A: F, lda: number, panels: F,
    beta: number, C: F, ldc: number): R;
  axpy(alpha: number, x: F, y: F): R;
  scale(alpha: number, x: F, out: F): R;
  clamp(x: F, lo: number, hi: number, out: F): R;
  unary(op: number, x: F, out: F): R;
  unaryBackward(op: number, x: F, y: F, gy: F, gx: F): R;
  binary(op: number, a: F, aRepeat: number, b: F, bRepeat: number, out: F, accumulate: boolean): R;
  sumToBroadcast(g: F, repeat: number, out: F, alpha: number): R;
  reduce(op: number, x: F, outer: number, len: number, inner: number, out: F, argmax: Int32Array | null): R;
  broadcastAxis(gy: F, outer: number, len: number, inner: number, gx: F, alpha: number): R;
  scatterArgmax(gy: F, argmax: Int32Array, outer: number, len: number, inner: number, gx: F): R;
  sumSquares(x: F): number | undefined;
  maxAbs(x: F): number | undefined;
  softmax(x: F, rows: number, n: number, out: F, log: boolean): R;
  softmaxBackward(y: F, gy: F, rows: number, n: number, gx: F, log: boolean): R;
  gatherRows(table: F, d: number, idx: Int32Array, out: F): R;
  scatterAddRows(src: F, d: number, idx: Int32Array, table: F): R;
  copyBlocks(src: F, sOff: number, sStride: number, dst: F, dOff: number, dStride: number, len: number, count: number, accumulate: boolean): R;
  swapAxes(x: F, outer: number, A: number, mid: number, B: number, inner: number, out: F, accumulate: boolean): R;
  where(cond: F, a: F, b: F, out: F): R;
  whereBackward(cond: F, gy: F, gx: F, pick: boolean): R;
  layerNorm(x: F, rows: number, n: number, gamma: FN, beta: FN, eps: number, out: F, mean: F, rstd: F): R;
  layerNormBackward(x: F, gy: F, rows: number, n: number, gamma: FN, mean: F, rstd: F, gx: FN, gGamma: FN, gBeta: FN): R;
  adamStep(p: F, g: F, m: F, v: F, vmax: FN, beta1: number, beta2: number, stepSize: number, bc2sqrt: number, eps: number,
    decay: number, l2: number): R;
  rmspropStep(p: F, g: F, sq: F, ga: FN, buf: FN, lr: number, alpha: number, eps: number, wd: number, momentum: number): R;
  adagradStep(p: F, g: F, sum: F, clr: number, wd: number, eps: number): R;
  rnnGatesForward(relu: boolean, rows: number, H: number, xg: F, hg: F, h: F): R;
  rnnGatesBackward(relu: boolean, rows: number, H: number, h: F, dh: F, dpre: F): R;
  lstmGatesForward(rows: number, H: number, xg: F, hg: F, cPrev: F, gates: F, c: F, m: F): R;
  lstmGatesBackward(rows: number, H: number, gates: F, cPrev: F, c: F, dm: F, dc: F, dGates: F, dcPrev: F): R;
  gruGatesForward(rows: number, H: number, xg: F, hg: F, bhn: FN, hPrev: F, gates: F, hn: F, h: F): R;
  gruGatesBackward(rows: number, H: number, gates: F, hn: F, hPrev: F, dh: F, dGx: F, dGh: F, dhPrev: F): R;
  gruResetBeforeGates(rows: number, H: number, xg: F, hg: F, hPrev: F, gates: F, rh: F): R;
  gruResetBeforeOutput(rows: number, H: number, xg: F, hg: F, hPrev: F, gates: F, h: F): R;
  gruResetBeforeOutputBackward(rows: number, H: number, gates: F, hPrev: F, dh: F, dG: F, dhPrev: F): R;
  gruResetBeforeGatesBackward(rows: number, H: number, gates: F, hPrev: F, drh: F, dG: F, dhPrev: F): R;
  bmv(trans: boolean, batch: number, M: number, N: number, A: F, x: F, y: F, accumulate: boolean): R;
  bger(batch: number, M: number, N: number, x: F, y: F, A: F): R;
  /** Absent in builds from before CTC existed (the backend then runs the reference). */
  ctcForward?(T: number, B: number, C: number, S: number, lp: F, targets: Int32Array, inputLengths: Int32Array,
    targetLengths: Int32Array, blank: number, alpha: F, nll: F): R;
  ctcBackward?(T: number, B: number, C: number, S: number, lp: F, targets: Int32Array, inputLengths: Int32Array,
    targetLengths: Int32Array, blank: number, alpha: F, nll: F, gNll: F, zeroInfinity: boolean, beta: F, gLp: F): R;
  /** Absent in builds from before qgemv existed (the backend then runs the reference). */
  qgemv?(N: number, K: number, W: Int8Array, scale: F, x: F, beta: number, y: F): R;
  /** Absent in builds from before it existed (the backend then runs the reference). */
  bernoulliScaled?(state: Uint32Array, keep: number, out: F): R;
  /** 'avx2' (AVX2+FMA build) or 'base'; false if that build cannot run on this CPU. */
  setVariant(v: string): boolean;
  setThreads(n: number): void;
  info(): NativeInfo;
}

/** What the addon's info() reports. */
export interface NativeInfo {
  /** Which build of the C kernels runs: 'avx2' (AVX2+FMA) or 'base'. */
  variant: string;
  /** OpenBLAS threads. */
  threads: number;
  blasConfig: string;
  blasCore: string;
  /** OPENBLAS_THREAD_TIMEOUT when OpenBLAS loaded ('' when unset; absent in older builds): see loadNativeAddon. */
  blasThreadTimeout?: string;
  /** Threads of the packed products (gemmPacked): 1 or 2 (absent in older builds). */
  packedThreads?: number;
  /** Packed products split with the worker thread so far, and panels the worker computed. */
  packedSplits?: number;
  packedWorkerPanels?: number;
  /** gemm calls run on the packed kernel (few columns, many rows: native/src/addon.c ROUTE_*). */
  gemmPackedRoutes?: number;
}

/**
 * Every name in NativeAddon, as a value: test/kernels/mirrors.test.ts checks it against what the
 * built addon exports, and the type below against the interface.
 */
export const NATIVE_ADDON_NAMES = Object.keys({
  alloc: 0, free: 0, poolStats: 0, setPoolCap: 0, addressMod64: 0, gemm: 0, packB: 0, gemmPacked: 0, axpy: 0,
  scale: 0, clamp: 0, unary: 0, unaryBackward: 0, binary: 0, sumToBroadcast: 0, reduce: 0, broadcastAxis: 0,
  scatterArgmax: 0, sumSquares: 0, maxAbs: 0, softmax: 0, softmaxBackward: 0, gatherRows: 0, scatterAddRows: 0,
  copyBlocks: 0, swapAxes: 0, where: 0, whereBackward: 0, layerNorm: 0, layerNormBackward: 0, adamStep: 0, rmspropStep: 0, adagradStep: 0,
  rnnGatesForward: 0, rnnGatesBackward: 0, lstmGatesForward: 0, lstmGatesBackward: 0, gruGatesForward: 0,
  gruGatesBackward: 0, gruResetBeforeGates: 0, gruResetBeforeOutput: 0, gruResetBeforeOutputBackward: 0,
  gruResetBeforeGatesBackward: 0, bmv: 0, bger: 0, qgemv: 0, bernoulliScaled: 0, ctcForward: 0, ctcBackward: 0, setVariant: 0, setThreads: 0, info: 0,
} satisfies Record<keyof NativeAddon, 0>);

interface NodeProcess {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  platform?: string;
  getBuiltinModule?: (id: string) => unknown;
  dlopen?: (module: { exports: unknown }, filename: string) => void;
}

export function nativeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node ? p : undefined;
}

/** OPENBLAS_THREAD_TIMEOUT while the addon loads, unless the user set one (see loadNativeAddon). */
export const BLAS_THREAD_TIMEOUT = 4;

let loaded: NativeAddon | null | undefined;
let reason = '';

// Built at run time (not a `new URL('literal', import.meta.url)`), so bundlers for the browser
// do not try to pull the binary in.
const ADDON = ['..', '..', '..', 'native', 'build', 'Release', 'recur_native.node'].join('/');

/** Why the addon is not available (empty when it loaded). */
export function nativeUnavailableReason(): string {
  return reason;
}

/** The addon, loaded once; null (with a reason) when not built, not loadable or not in Node. */
export function loadNativeAddon(): NativeAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const proc = nativeProcess();
  if (!proc) {
    reason = 'the native backend needs Node.js';
    return null;
  }
  // OpenBLAS's idle threads wait for the next product spinning for 2^28 cycles (~0.1 s), on the
  // cores the packed products' worker and the JS thread are using between OpenBLAS calls (the
  // bench's LSTM step: 7% slower). OpenBLAS reads OPENBLAS_THREAD_TIMEOUT once, when it loads
  // with the addon; 4 (its minimum, 16 cycles) makes them sleep at once. A value the user set is
  // kept. Ours is removed after loading, so child processes (the PyTorch peers) never see it.
  const env = proc.env;
  const ownTimeout = env !== undefined && env.OPENBLAS_THREAD_TIMEOUT === undefined;
  if (ownTimeout) env.OPENBLAS_THREAD_TIMEOUT = String(BLAS_THREAD_TIMEOUT);
  try {
    const mod = proc.getBuiltinModule?.('node:module') as { createRequire(from: string): (id: string) => unknown } | undefined;
    let addon: unknown;
    if (mod) {
      addon = mod.createRequire(import.meta.url)(ADDON);
    } else {
      // Node < 20.16 has no process.getBuiltinModule: load the file directly.
      const url = new URL(ADDON, import.meta.url);
      let file = decodeURIComponent(url.pathname);
      if (proc.platform === 'win32') file = file.replace(/^\/([A-Za-z]:)/, '$1');
      const m = { exports: {} as unknown };
      proc.dlopen!(m, file);
      addon = m.exports;
    }
    const a = addon as Partial<NativeAddon>;
    if (typeof a?.gemm !== 'function' || typeof a.alloc !== 'function' || typeof a.bger !== 'function' || typeof a.poolStats !== 'function' || typeof a.free !== 'function') {
      reason = 'native/build/Release/recur_native.node is from another version of recur; rebuild it';
      return null;
    }
    loaded = a as NativeAddon;
    reason = '';
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    reason = /Cannot find module|ENOENT|no such file/i.test(msg)
      ? 'native/build/Release/recur_native.node is not built'
      : `loading native/build/Release/recur_native.node failed: ${msg.split('\n')[0]}`;
  } finally {
    if (ownTimeout) delete env.OPENBLAS_THREAD_TIMEOUT;
  }
  return loaded;
}
