/**
 * reclaimMemory()'s policy (src/kernels/index.ts) on the active backend: it forces a full
 * collection once dead storage outgrows what survived the last one, and forces none while the
 * engine's own full collections keep up. Storage is allocated and dropped as a training step's
 * tensors are; collections are counted through a GcHook that wraps V8's gc().
 */
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, describe, it } from 'node:test';
import { allocStorage, freeStorage, kernels, reclaimMemory, setGcHook } from '../../src/kernels/index.js';
import { createNodeGcHook } from '../../src/train/node-gc.js';

const MB = 1 << 20;
const hasStats = 'stats' in kernels();

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Storage that dies at once, as a step's activations do once its graph is dropped. */
function garbage(bytes: number): void {
  for (let i = 0; i < 4; i++) allocStorage(bytes / 16)[0] = 1;
}

describe('reclaimMemory', { skip: hasStats ? false : 'the js backend keeps no storage counters' }, () => {
  let forced = 0, own = 0;
  const kept = hasStats ? allocStorage((96 * MB) / 4) : null;
  after(() => {
    setGcHook(null);
    freeStorage(kept); // (held live until here)
  });

  it('forces no collection while the engine collects each step on its own', async () => {
    setGcHook({ collect: () => { forced++; gc(); }, fullCollections: () => forced + own });
    await reclaimMemory();
    const before = forced;
    for (let step = 0; step < 4; step++) {
      garbage(32 * MB);
      gc();
      own++;
      await reclaimMemory();
    }
    assert.equal(forced, before, '32 MB of garbage a step, 96 MB live, collected by the engine each step');
  });

  it('forces one once dead storage outgrows the survivors', async () => {
    const before = forced;
    for (let step = 0; step < 4; step++) {
      garbage(32 * MB);
      await reclaimMemory();
    }
    assert.ok(forced - before >= 1 && forced - before <= 2, `${forced - before} forced collections in 4 steps of 32 MB garbage, 96 MB live`);
  });

  it("Node's hook counts V8's full collections, its own and the engine's", async () => {
    const hook = createNodeGcHook();
    assert.ok(hook);
    const n0 = hook.fullCollections();
    hook.collect();
    gc();
    for (let i = 0; i < 3 && hook.fullCollections() < n0 + 2; i++) await turn();
    // (V8 may run one of its own meanwhile.)
    assert.ok(hook.fullCollections() >= n0 + 2, `${hook.fullCollections() - n0} full collections counted, 2 run`);
  });
});
