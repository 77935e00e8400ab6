import v8 from 'node:v8';
import vm from 'node:vm';
import { setGcHook } from '../kernels/index.js';

/**
 * Node only: exposes V8's gc() so reclaimMemory() can collect dead tensor views promptly.
 * A full collection (~10 ms on a small JS heap) is needed: views that survived a scavenge
 * during a step are already in the old generation, out of a minor collection's reach.
 */
let installed = false;

export function installNodeGc(): void {
  if (installed) return;
  installed = true;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void;
    setGcHook(() => gc());
  } catch {
    // Without it, memory is still reclaimed by V8's own collections, only later.
  }
}
