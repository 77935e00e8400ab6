/**
 * What only the native (N-API + OpenBLAS) backend has: loading, its storage pool, OpenBLAS
 * threads, argument checks and the environment variables that select it. The kernels
 * themselves are compared with the reference, in both builds of the C kernels, in
 * conformance.test.ts.
 *
 * Skipped, with a message, when the addon is not built (`npm run build:native`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, it } from 'node:test';
import { jsKernels } from '../../src/kernels/js.js';
import { createNativeBackend, loadNativeAddon, nativeUnavailableReason, type NativeKernels } from '../../src/kernels/native/index.js';

const nk: NativeKernels | null = createNativeBackend();
const addon = loadNativeAddon();
// CI (.ci/run) sets RECUR_REQUIRE_NATIVE=1 where it built the addon: a missing addon fails there.
const REQUIRED = process.env.RECUR_REQUIRE_NATIVE === '1';
const SKIP = nk || REQUIRED ? false : `native addon not built (${nativeUnavailableReason()}): run \`npm run build:native\` (needs libopenblas-dev)`;
if (SKIP) console.log(`# native.test.ts skipped: ${SKIP}`);

describe('native backend: loading and storage', { skip: SKIP }, () => {
  it('loads, reports its build and OpenBLAS', () => {
    assert.ok(nk, `RECUR_REQUIRE_NATIVE=1 and ${nativeUnavailableReason()}`);
    assert.equal(nk.name, 'native');
    assert.ok(['avx2', 'base'].includes(nk!.variant));
    const info = nk!.info();
    assert.match(info.blasConfig, /OpenBLAS/);
    assert.ok(info.threads >= 1);
  });

  it('alloc returns zero-filled, 64-byte aligned storage of any size', () => {
    for (const n of [1, 2, 3, 15, 16, 17, 100, 1031, 262144]) {
      const a = nk!.alloc(n);
      assert.equal(a.length, n);
      assert.ok(a instanceof Float32Array);
      assert.equal(addon!.addressMod64(a), 0, `alloc(${n}) aligned`);
      assert.ok(a.every((v) => v === 0), `alloc(${n}) zeroed`);
    }
    assert.equal(nk!.alloc(0).length, 0);
  });

  it('free returns the block to the pool at once and empties the array; anything else is ignored', () => {
    const n = 100_003;
    const a = nk!.alloc(n);
    a.fill(7);
    const view = a.subarray(5, 10);
    const { frees, freedBytes, liveBytes } = nk!.stats();
    nk!.free(view); // not the array alloc returned
    nk!.free(new Float32Array(n));
    assert.equal(nk!.stats().frees, frees, 'a subarray or a plain array is not freed');
    assert.equal(a.length, n);
    const before = nk!.poolStats();
    nk!.free(a);
    assert.equal(nk!.stats().frees, frees + 1);
    assert.equal(nk!.stats().freedBytes - freedBytes, liveBytes - nk!.stats().liveBytes, 'its bytes count as freed, not live');
    assert.ok(nk!.stats().freedBytes - freedBytes >= n * 4);
    assert.ok(nk!.poolStats().pooledBytes >= before.pooledBytes + n * 4, 'the block is in the pool');
    assert.equal(a.length, 0, 'the freed array is detached: it cannot touch the reused block');
    assert.equal(view.length, 0, 'so are views of it');
    nk!.free(a);
    assert.equal(nk!.stats().frees, frees + 1, 'freeing twice is ignored');
    const hits = nk!.poolStats().hits;
    const b = nk!.alloc(n);
    assert.equal(nk!.poolStats().hits, hits + 1, 'the next alloc of its class reuses it');
    assert.ok(b.every((v) => v === 0), 'zero-filled');
  });

  it('collected arrays return their block to the pool, and a reused block is zero-filled', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const n = 100_003;
    const dirty = (): void => {
      nk!.alloc(n).fill(7);
    };
    // Blocks come back when V8 frees the collected buffers, a turn or two after the GC.
    const collect = async (): Promise<void> => {
      for (let i = 0; i < 4; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
    };
    dirty();
    await collect();
    const before = nk!.poolStats();
    assert.ok(before.pooledBytes >= n * 4, `pool holds the collected block (${before.pooledBytes} bytes)`);
    const b = nk!.alloc(n);
    const after = nk!.poolStats();
    assert.equal(after.hits, before.hits + 1, 'served from the pool');
    assert.ok(b.every((v) => v === 0), 'a reused block is zeroed');
    assert.equal(addon!.addressMod64(b), 0);
    // A cap of 0 empties the pool and keeps nothing later collected.
    nk!.setPoolCap(0);
    assert.equal(nk!.poolStats().pooledBytes, 0);
    dirty();
    await collect();
    assert.equal(nk!.poolStats().pooledBytes, 0);
    nk!.setPoolCap(before.capBytes);
    assert.throws(() => nk!.setPoolCap(-1), /setPoolCap: expected a byte count >= 0, got -1/);
  });

  it('setThreads changes the OpenBLAS thread count and rejects nonsense', () => {
    const before = nk!.info().threads;
    nk!.setThreads(1);
    assert.equal(nk!.info().threads, 1);
    nk!.setThreads(before);
    assert.equal(nk!.info().threads, before);
    assert.throws(() => nk!.setThreads(0), RangeError);
    assert.throws(() => nk!.setThreads(1.5), RangeError);
  });
});

describe('native backend: storage and dispatch', { skip: SKIP }, () => {
  it('non-integer or negative sizes go to the reference', () => {
    const a = nk!.alloc(6).fill(1), o = nk!.alloc(6), o2 = new Float32Array(6);
    const refused = (name: 'softmax' | 'reduce'): number => nk!.calls()[name]?.refused ?? 0;
    const was = [refused('softmax'), refused('reduce')];
    nk!.softmax(a, 2.5, 2, o, false);
    jsKernels.softmax(Float32Array.from(a), 2.5, 2, o2, false);
    assert.deepEqual(o, o2);
    assert.doesNotThrow(() => nk!.reduce('sum', a, -1, 2, 3, o));
    assert.deepEqual([refused('softmax'), refused('reduce')], [was[0]! + 1, was[1]! + 1], 'both calls refused by the addon');
  });

  it('RECUR_BACKEND=native selects it (recur info reports it), RECUR_THREADS sets the threads', () => {
    const code = "import('./src/kernels/index.ts').then((m) => { const k = m.kernels(); console.log(JSON.stringify([m.backendName(), m.availableBackends(), k.info().threads])); })";
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
      env: { ...process.env, RECUR_BACKEND: 'native', RECUR_THREADS: '1' }, encoding: 'utf8',
    });
    assert.equal(res.status, 0, res.stderr);
    const [name, avail, threads] = JSON.parse(res.stdout.trim()) as [string, string[], number];
    assert.equal(name, 'native');
    assert.ok(avail.includes('wasm') && avail.includes('js'));
    assert.equal(threads, 1);
  });

  it('an unknown RECUR_BACKEND is a clear error', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/kernels/index.ts')"], {
      env: { ...process.env, RECUR_BACKEND: 'cuda' }, encoding: 'utf8',
    });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /RECUR_BACKEND='cuda' is not a backend \(use js, wasm or native\)/);
  });
});
