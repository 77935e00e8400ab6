import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { setGcHook, type GcHook } from '../kernels/index.js';

/**
 * Node only: exposes V8's gc() so reclaimMemory() can collect dead tensor views promptly.
 * A full collection (~10 ms on a small JS heap) is needed: views that survived a scavenge
 * during a step are already in the old generation, out of a minor collection's reach. V8's own
 * full collections are counted too (performance entries of kind major), so a loop whose garbage
 * V8 already collects forces none.
 *
 * It also makes V8's young generation grow to its maximum (16 MiB per semi-space in Node 20)
 * at its first growth instead of doubling from 1 MiB. A training loop survives a little of
 * every scavenge, so the young generation reaches that size anyway, but by doubling it did so
 * thousands of steps in, as a 16 MiB step in RSS in the middle of a run (the soak of
 * `npm run bench -- --soak`, bench/soak.ts). The flag is read at each growth, so setting it
 * here, after start-up, takes effect.
 */
let installed = false;

export function installNodeGc(): void {
  if (installed) return;
  installed = true;
  setGcHook(createNodeGcHook());
}

/** V8's gc() and a count of V8's full collections; null if the flag cannot be set. */
export function createNodeGcHook(): GcHook | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    v8.setFlagsFromString('--semi-space-growth-factor=64');
    const gc = vm.runInNewContext('gc') as () => void;
    let full = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as Array<{ detail?: { kind?: number } }>) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
    }).observe({ entryTypes: ['gc'] });
    return { collect: () => gc(), fullCollections: () => full };
  } catch {
    // Without it, memory is still reclaimed by V8's own collections, only later.
    return null;
  }
}
