/**
 * The optional native backend (Node only): an N-API addon in native/ calling the system
 * OpenBLAS, built with `npm run build:native`. See backend.ts for what runs where.
 *
 * Environment, read when the backend is first created:
 * - RECUR_THREADS: OpenBLAS threads (default min(2, cores); when unset, a set
 *   OPENBLAS_NUM_THREADS or OMP_NUM_THREADS is left in charge).
 * - RECUR_NATIVE_ISA=base: use the baseline build of the C kernels even on an AVX2 CPU.
 * - RECUR_NATIVE_POOL_MB: the most storage the pool keeps for reuse (default 512; 0 keeps none).
 */
import { loadNativeAddon, nativeProcess, nativeUnavailableReason } from './addon.js';
import { createNativeKernels, type NativeKernels } from './backend.js';

export type { NativeKernels } from './backend.js';
export { nativeUnavailableReason } from './addon.js';

/** One line for users who asked for the native backend and cannot have it. */
export function nativeUnavailableMessage(): string {
  return `the native backend is not available (${nativeUnavailableReason() || 'unknown reason'}): ` +
    'install OpenBLAS (Debian/Ubuntu: `apt-get install libopenblas-dev`) and run `npm run build:native`';
}

let configured = false;

function configure(k: NativeKernels): void {
  if (configured) return;
  configured = true;
  const env = nativeProcess()?.env ?? {};
  const isa = env.RECUR_NATIVE_ISA;
  if (isa === 'base' || isa === 'avx2') loadNativeAddon()!.setVariant(isa);
  const pool = env.RECUR_NATIVE_POOL_MB;
  if (pool !== undefined && pool !== '') {
    const mb = Number(pool);
    if (!(Number.isFinite(mb) && mb >= 0)) throw new RangeError(`RECUR_NATIVE_POOL_MB must be a number of MiB >= 0, got '${pool}'`);
    k.setPoolCap(mb * 1024 * 1024);
  }
  const want = env.RECUR_THREADS;
  if (want !== undefined && want !== '') {
    const n = Number(want);
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`RECUR_THREADS must be a positive integer, got '${want}'`);
    k.setThreads(n);
  } else if (!env.OPENBLAS_NUM_THREADS && !env.OMP_NUM_THREADS) {
    // OpenBLAS starts with one thread per core; two is what pays off for recur's GEMM sizes.
    k.setThreads(Math.max(1, Math.min(2, k.info().threads)));
  }
}

/** A native backend instance, or null (silently) when the addon is not built or cannot load. */
export function createNativeBackend(): NativeKernels | null {
  const addon = loadNativeAddon();
  if (!addon) return null;
  const k = createNativeKernels(addon);
  configure(k);
  return k;
}

/** The addon itself (tests, diagnostics), or null. */
export { loadNativeAddon } from './addon.js';
