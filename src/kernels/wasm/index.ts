/**
 * The WebAssembly SIMD backend (sources in assembly/, compiled by `npm run build:wasm`).
 * See heap.ts for the memory design, backend.ts for dispatch, loader.ts for loading.
 */
import { createWasmKernels, type WasmKernels } from './backend.js';
import { load, loadSync, type WasmOptions } from './loader.js';

export type { WasmKernels } from './backend.js';
export type { WasmOptions, Variant } from './loader.js';
export type { HeapStats } from './heap.js';

/** Loads the module synchronously (Node only) and returns a new backend instance. */
export function createWasmBackendSync(opts: WasmOptions = {}): WasmKernels {
  return createWasmKernels(loadSync(opts), opts);
}

/** Loads the module (fetch in browsers, fs in Node) and returns a new backend instance. */
export async function createWasmBackend(opts: WasmOptions = {}): Promise<WasmKernels> {
  return createWasmKernels(await load(opts), opts);
}
