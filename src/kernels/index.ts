import { RecurError } from '../errors.js';
import { jsKernels } from './js.js';
import type { Kernels } from './types.js';

export type { Kernels, UnaryOp, BinaryOp, ReduceOp, AdamParams } from './types.js';
export { jsKernels } from './js.js';

const registry = new Map<string, Kernels>([['js', jsKernels]]);
let active: Kernels = jsKernels;
let float64 = false;

/** The active kernel set. In float64 mode (gradient checks) this is always the reference backend. */
export function kernels(): Kernels {
  return float64 ? jsKernels : active;
}

/** Makes a backend selectable by name (the speed backends register themselves here). */
export function registerBackend(k: Kernels): void {
  registry.set(k.name, k);
}

export function setBackend(name: string): void {
  const k = registry.get(name);
  if (!k) throw new RecurError(`unknown backend '${name}' (available: ${[...registry.keys()].join(', ')})`);
  active = k;
}

export function backendName(): string {
  return kernels().name;
}

export function availableBackends(): string[] {
  return [...registry.keys()];
}

/**
 * Runs fn with float64 storage on the reference backend. Only for gradient checks: finite
 * differences in float32 are too noisy to tell a wrong gradient from rounding.
 */
export function withFloat64<T>(fn: () => T): T {
  const prev = float64;
  float64 = true;
  try {
    return fn();
  } finally {
    float64 = prev;
  }
}

export function isFloat64(): boolean {
  return float64;
}

/** Zero-filled storage in the current precision. Float64 storage is typed as Float32Array on purpose: see withFloat64. */
export function allocStorage(n: number): Float32Array {
  return float64 ? (new Float64Array(n) as unknown as Float32Array) : kernels().alloc(n);
}

// ---- WebAssembly SIMD backend (src/kernels/wasm, assembly/) ---------------------------------
// 'wasm' is the default backend (DESIGN.md). In Node it is loaded synchronously right here, at
// import, so every tensor is allocated in wasm memory from the start. In browsers, call
// `await initWasm()` once before creating tensors (compiling is asynchronous there).
// Environment: RECUR_BACKEND=js keeps the reference backend; RECUR_BACKEND=wasm makes a failed
// load an error (otherwise an unbuilt checkout quietly stays on js).
import { createWasmBackend, createWasmBackendSync, type WasmOptions } from './wasm/index.js';

export type { WasmOptions, WasmKernels, HeapStats } from './wasm/index.js';

/** Loads the WebAssembly backend (once), registers it and makes it active. */
export async function initWasm(opts: WasmOptions = {}): Promise<Kernels> {
  const k = registry.get('wasm') ?? (await createWasmBackend(opts));
  registerBackend(k);
  setBackend('wasm');
  return k;
}

function autoSelectBackend(): void {
  const proc = (globalThis as { process?: { versions?: { node?: string }; env?: Record<string, string | undefined> } }).process;
  if (!proc?.versions?.node) return;
  const want = proc.env?.RECUR_BACKEND;
  if (want === 'js') return;
  try {
    registerBackend(createWasmBackendSync());
    setBackend('wasm');
  } catch (e) {
    if (want === 'wasm') throw e;
  }
}

autoSelectBackend();
