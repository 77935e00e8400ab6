import { RecurError } from '../errors.js';
import { jsKernels } from './js.js';
import type { Kernels } from './types.js';

export type { Kernels, KernelName, CallCounts, UnaryOp, BinaryOp, ReduceOp, AdamParams } from './types.js';
export { jsKernels } from './js.js';
export { quantizeRows, dequantizeRows, type QuantizedMatrix } from './quantize.js';

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

/**
 * Storage in the current precision whose values are unspecified (Kernels.empty): only for arrays
 * the caller writes whole before reading. With setPoisonEmpty(true) it is filled with NaN, so a
 * caller that reads an element it did not write shows in its results (test/rnn/empty.test.ts).
 */
export function emptyStorage(n: number): Float32Array {
  if (float64) return new Float64Array(n) as unknown as Float32Array;
  const a = kernels().empty(n);
  if (poisonEmpty) a.fill(NaN);
  return a;
}

let poisonEmpty = false;
/** Tests only: emptyStorage fills its arrays with NaN (see there). */
export function setPoisonEmpty(on: boolean): void {
  poisonEmpty = on;
}

/** Gives storage from allocStorage back before it is collected; see Kernels.free for when that is allowed. */
export function freeStorage(...arrays: Array<Float32Array | null>): void {
  const K = kernels();
  for (const a of arrays) if (a && a instanceof Float32Array) K.free(a);
}

// ---- Which backend is active, and why -----------------------------------------------------------
// In Node: native when it is built and loads, else wasm, else js; RECUR_BACKEND=js|wasm|native
// overrides (and makes an unavailable choice an error). In browsers: js until initWasm().
let reason = 'plain TypeScript reference (in a browser, call initWasm() for the WebAssembly backend)';

/** Why the active backend was chosen, for `recur info`. */
export function backendReason(): string {
  return reason;
}

// ---- WebAssembly SIMD backend (src/kernels/wasm, assembly/) ---------------------------------
// In Node it is loaded synchronously right here, at import, so every tensor is allocated in wasm
// memory from the start. In browsers, call `await initWasm()` once before creating tensors
// (compiling is asynchronous there).
import { createWasmBackend, createWasmBackendSync, type WasmOptions } from './wasm/index.js';

export type { WasmOptions, WasmKernels, HeapStats } from './wasm/index.js';

/** Loads the WebAssembly backend (once), registers it and makes it active. */
export async function initWasm(opts: WasmOptions = {}): Promise<Kernels> {
  const k = registry.get('wasm') ?? (await createWasmBackend(opts));
  registerBackend(k);
  setBackend('wasm');
  reason = 'initWasm() was called';
  return k;
}

function autoSelectBackend(): void {
  const proc = (globalThis as { process?: { versions?: { node?: string }; env?: Record<string, string | undefined> } }).process;
  if (!proc?.versions?.node) return;
  const want = proc.env?.RECUR_BACKEND;
  if (want === 'js') {
    reason = 'RECUR_BACKEND=js';
    return;
  }
  try {
    registerBackend(createWasmBackendSync());
    setBackend('wasm');
    reason = want === 'wasm' ? 'RECUR_BACKEND=wasm' : 'default: WebAssembly SIMD';
  } catch (e) {
    if (want === 'wasm') throw e;
    reason = `the WebAssembly backend did not load (${e instanceof Error ? e.message : String(e)}); plain TypeScript reference`;
  }
}

autoSelectBackend();

// ---- Native OpenBLAS backend (native/, src/kernels/native) ------------------------------------
// Optional and Node only: an N-API addon built by `npm run build:native`. At import (after the
// wasm block above has run) it is loaded if built, registered as 'native' and made active unless
// RECUR_BACKEND says otherwise; a missing build leaves wasm active, and `recur info` says why.
// RECUR_BACKEND=native makes an unavailable addon an error; =js or =wasm leave it unloaded.
import { createNativeBackend, nativeUnavailableMessage, type NativeKernels } from './native/index.js';

export type { NativeKernels } from './native/index.js';

/** Loads the native backend (once) and registers it; null when not built/loadable. Does not activate it. */
export function loadNative(): NativeKernels | null {
  const have = registry.get('native');
  if (have) return have as NativeKernels;
  const k = createNativeBackend();
  if (k) registerBackend(k);
  return k;
}

function autoSelectNative(): void {
  const proc = (globalThis as { process?: { versions?: { node?: string }; env?: Record<string, string | undefined> } }).process;
  if (!proc?.versions?.node) return;
  const want = proc.env?.RECUR_BACKEND;
  if (want === 'native') {
    if (!loadNative()) throw new RecurError(`RECUR_BACKEND=native: ${nativeUnavailableMessage()}`);
    setBackend('native');
    reason = 'RECUR_BACKEND=native';
    return;
  }
  if (want === 'js' || want === 'wasm') return;
  if (want !== undefined && want !== '' && want !== 'auto') {
    throw new RecurError(`RECUR_BACKEND='${want}' is not a backend (use js, wasm or native)`);
  }
  if (loadNative()) {
    setBackend('native');
    reason = 'default: the native OpenBLAS addon is built and loads (RECUR_BACKEND=wasm to compare)';
  } else if (backendName() === 'wasm') {
    reason = `default: WebAssembly SIMD; ${nativeUnavailableMessage()}`;
  }
}

autoSelectNative();

// ---- Reclaiming tensor storage ----------------------------------------------------------------
// Backends that keep storage in their own heap (wasm) get blocks back only when a tensor's view
// is garbage-collected AND the event loop turns, so long loops await reclaimMemory() between
// steps: it forces a GC once the storage allocated since the last full collection exceeds what
// survived it, spaced so that collections take at most GC_TIME_SHARE of the wall time unless
// storage grew by GC_MAX_GROWTH_BYTES or passed half of the budget. A full collection the engine
// ran on its own counts as one. The measurements behind this policy are in docs/kernels.md.

/** How reclaimMemory() reaches the engine's collector (Node: see src/train/node-gc.ts). */
export interface GcHook {
  /** Runs a full collection now. */
  collect(): void;
  /** Full collections so far, the engine's own and collect()'s. */
  fullCollections(): number;
}

let gcHook: GcHook | null = null;
let allocatedAtGc = 0;
// At the previous call: full collections seen, and storage allocated less storage freed.
let collectionsAtCall = 0, netAtCall = 0;
let lastGcEnd = -Infinity;
// The cheapest of the last three (the first collections of a process cost more).
const recentGcMs = [0, 0, 0];
const GC_MIN_GROWTH_BYTES = 16 * 1024 * 1024;
const GC_MAX_GROWTH_BYTES = 256 * 1024 * 1024;
const GC_TIME_SHARE = 0.1;

/** Installs the collector reclaimMemory() uses (null: never force a collection). */
export function setGcHook(hook: GcHook | null): void {
  gcHook = hook;
  collectionsAtCall = hook ? hook.fullCollections() : 0;
}

interface StorageStats {
  liveBytes: number;
  allocatedBytes: number;
  /** Of allocatedBytes, what was given back by Kernels.free: never garbage. */
  freedBytes: number;
  /** Set by backends whose storage has a fixed budget (wasm). */
  budgetBytes?: number;
}

function storageStats(): StorageStats | null {
  const k = kernels() as Kernels & { stats?: () => StorageStats };
  return k.stats ? k.stats() : null;
}

export async function reclaimMemory(): Promise<void> {
  // A turn on every backend: training loops rely on it to serve signals (Ctrl-C, SIGTERM) and
  // timers between steps; the js backend, with nothing to reclaim, gave none. It comes first:
  // the engine reports its collections during the step, and their finalizers, on a turn.
  await turn();
  const s = storageStats();
  if (s === null || gcHook === null) return;
  // Storage freed explicitly is already back: only the rest can be garbage.
  const net = s.allocatedBytes - s.freedBytes;
  // A full collection during the step took what had died before it began; what died before the
  // previous call had. Steps whose garbage the engine collects on its own need no forced one.
  const collections = gcHook.fullCollections();
  if (collections > collectionsAtCall) allocatedAtGc = Math.max(allocatedAtGc, netAtCall);
  const since = net - allocatedAtGc;
  // Live now minus what was allocated since: what survived the last collection (an upper bound
  // until that collection's finalizers have run, which only delays the next one).
  const survivors = s.liveBytes - since;
  const now = performance.now();
  const affordable = now - lastGcEnd >= Math.min(...recentGcMs) / GC_TIME_SHARE;
  const pressed = s.budgetBytes !== undefined && s.liveBytes > s.budgetBytes / 2;
  const collect = since > Math.max(GC_MIN_GROWTH_BYTES, survivors) && (affordable || pressed || since > GC_MAX_GROWTH_BYTES);
  if (collect) {
    gcHook.collect();
    allocatedAtGc = net;
    lastGcEnd = performance.now();
    recentGcMs.shift();
    recentGcMs.push(lastGcEnd - now);
    // V8 delivers the first collection's finalizers one turn later than the following ones
    // (Node 20); storage they free is reused by the next step only if they have run.
    await turn();
    await turn();
  }
  collectionsAtCall = gcHook.fullCollections();
  netAtCall = net;
}

function turn(): Promise<void> {
  return new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

// ---- Views that keep their storage alive -------------------------------------------------------
// Backends that reclaim storage when its array object is collected (wasm) would reuse a block
// while a subarray of it is still in use: a subarray is a different object. A view made here
// holds its parent (WeakMap: the parent lives exactly as long as the view).
const viewOwners = new WeakMap<Float32Array, Float32Array>();

/** parent[start, end) as a view that keeps parent's storage alive. Use it for any view that outlives the call. */
export function storageView(parent: Float32Array, start: number, end: number): Float32Array {
  const v = parent.subarray(start, end);
  viewOwners.set(v, viewOwners.get(parent) ?? parent);
  return v;
}
