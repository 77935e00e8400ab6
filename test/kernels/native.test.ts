/**
 * What only the native (N-API + OpenBLAS) backend has: loading, its storage pool, OpenBLAS
 * threads, the packed products' worker thread, argument checks and the environment variables
 * that select it. The kernels themselves are compared with the reference, in both builds of the
 * C kernels, in conformance.test.ts.
 *
 * Skipped, with a message, when the addon is not built (`npm run build:native`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { jsKernels } from '../../src/kernels/js.js';
import { createNativeBackend, loadNativeAddon, nativeUnavailableReason, type NativeKernels } from '../../src/kernels/native/index.js';
import { backendIndependent } from '../helpers/backend-independent.js';
import { assertClose, randArray, rng } from './helpers.js';

const nk: NativeKernels | null = createNativeBackend();
const addon = loadNativeAddon();
// CI (.ci/run) sets RECUR_REQUIRE_NATIVE=1 where it built the addon: a missing addon fails there.
const REQUIRED = process.env.RECUR_REQUIRE_NATIVE === '1';
const SKIP = nk || REQUIRED ? backendIndependent.skip : `native addon not built (${nativeUnavailableReason()}): run \`npm run build:native\` (needs libopenblas-dev)`;
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

  it('empty reuses a pooled block as it is; alloc zero-fills the same block', () => {
    const n = 50_021;
    const e = nk!.empty(n);
    assert.equal(addon!.addressMod64(e), 0, 'empty aligned');
    const { allocs } = nk!.stats();
    e.fill(7);
    nk!.free(e);
    const hits = nk!.poolStats().hits;
    const again = nk!.empty(n);
    assert.equal(nk!.poolStats().hits, hits + 1, 'served from the pool');
    assert.equal(nk!.stats().allocs, allocs + 1, 'counted as alloc counts');
    // Past the first 16 bytes, where the pool's free list keeps its link.
    assert.ok(again.subarray(4).every((v) => v === 7), 'empty kept the old contents (not zeroed)');
    nk!.free(again);
    const z = nk!.alloc(n);
    assert.ok(z.every((v) => v === 0), 'alloc zeroed the reused block');
    nk!.free(z);
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

  it('blocks held alive do not make V8 collect: they are hidden from its external-memory count up to a cap', async () => {
    const MB = 1 << 20, CAP = 512 * MB;
    const hidden0 = nk!.poolStats().hiddenBytes;
    const major: string[] = [];
    const obs = new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
        if (kind !== perfConstants.NODE_PERFORMANCE_GC_MINOR) major.push(`${e.name} kind ${kind}`);
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    // A forward pass keeps its activations: 320 MB here. Counted by V8, this ran 3 mark-compacts.
    const kept = Array.from({ length: 40 }, () => nk!.empty(2 * MB));
    await new Promise((r) => setTimeout(r, 50));
    obs.disconnect();
    assert.deepEqual(major, [], 'no major collection while storage is only held');
    assert.equal(nk!.poolStats().hiddenBytes - hidden0, 40 * 8 * MB);
    for (const a of kept) nk!.free(a);
    assert.equal(nk!.poolStats().hiddenBytes, hidden0, 'free reports a block back');
    // Past the cap V8 counts blocks again, so a program that never calls reclaimMemory still
    // meets its collector. empty() leaves the blocks untouched: no RSS.
    const hidden1 = nk!.poolStats().hiddenBytes;
    const big = Array.from({ length: 9 }, () => nk!.empty(16 * MB));
    const hidden2 = nk!.poolStats().hiddenBytes;
    assert.ok(hidden2 <= CAP && hidden2 > CAP - 65 * MB, `hidden ${hidden2} bytes: up to the cap, within a block of it`);
    for (const a of big) nk!.free(a);
    assert.equal(nk!.poolStats().hiddenBytes, hidden1);
    const cap = nk!.poolStats().capBytes;
    nk!.setPoolCap(0);
    nk!.setPoolCap(cap);
    // A collected array reports its block back too (its ticket's finalizer).
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const hidden3 = nk!.poolStats().hiddenBytes;
    (() => nk!.empty(MB))();
    assert.equal(nk!.poolStats().hiddenBytes, hidden3 + 4 * MB);
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    // (Earlier tests' garbage may go back with it.)
    assert.ok(nk!.poolStats().hiddenBytes <= hidden3);
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

/** PACKED_PAR_MIN_FLOPS in native/src/addon.c: smaller packed products stay on the caller. */
const PACKED_PAR_MIN_FLOPS = 2e6;

/** GATES_PAR_MIN in native/src/addon.c: gates calls of fewer elements (rows x H) stay on the caller. */
const GATES_PAR_MIN = 4096;
// RK_ROW_BLOCK in native/src/kernels_api.h: rows per block of A, the unit of the row split.
const RK_ROW_BLOCK = 192;
// ROUTE_MAX_N and ROUTE_MIN_M in native/src/addon.c: gemm products run on the packed kernel.
const ROUTE_MAX_N = 96, ROUTE_MIN_M = 1024;

describe('native backend: gates split by rows with the worker thread', { skip: SKIP }, () => {
  const r = rng(23);
  let threads = 1;
  before(() => { threads = nk!.info().threads; });
  after(() => nk!.setThreads(threads));

  // Each gates kernel with its arrays' widths in units of H per row (0: H values, not per row).
  type Call = (k: NativeKernels, rows: number, H: number, a: Float32Array[]) => void;
  const kernelsUnderTest: [string, number[], Call][] = [
    ['rnnGatesForward tanh', [1, 1, 1], (k, n, H, a) => k.rnnGatesForward('tanh', n, H, a[0]!, a[1]!, a[2]!)],
    ['rnnGatesBackward relu', [1, 1, 1], (k, n, H, a) => k.rnnGatesBackward('relu', n, H, a[0]!, a[1]!, a[2]!)],
    ['lstmGatesForward', [4, 4, 1, 4, 1, 1], (k, n, H, a) => k.lstmGatesForward(n, H, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!)],
    ['lstmGatesBackward', [4, 1, 1, 1, 1, 4, 1], (k, n, H, a) => k.lstmGatesBackward(n, H, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!)],
    ['gruGatesForward', [3, 3, 0, 1, 3, 1, 1], (k, n, H, a) => k.gruGatesForward(n, H, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!)],
    ['gruGatesBackward', [3, 1, 1, 1, 3, 3, 1], (k, n, H, a) => k.gruGatesBackward(n, H, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!)],
    ['gruResetBeforeGates', [3, 3, 1, 3, 1], (k, n, H, a) => k.gruResetBeforeGates(n, H, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)],
    ['gruResetBeforeOutput', [3, 3, 1, 3, 1], (k, n, H, a) => k.gruResetBeforeOutput(n, H, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)],
    ['gruResetBeforeOutputBackward', [3, 1, 1, 3, 1], (k, n, H, a) => k.gruResetBeforeOutputBackward(n, H, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)],
    ['gruResetBeforeGatesBackward', [3, 1, 1, 3, 1], (k, n, H, a) => k.gruResetBeforeGatesBackward(n, H, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)],
  ];

  it('every gates kernel gives the bits of one thread with two, and splits exactly the calls of GATES_PAR_MIN elements or more', () => {
    const splits = (): number => nk!.info().packedSplits ?? 0;
    // The bench's step (32 x 256), a batch of 1, odd row counts around the 8 items of a split,
    // and a size just under and at the threshold.
    const sizes: [number, number][] = [[32, 256], [1, 4096], [2, 2048], [9, 512], [400, 13], [63, 65], [4, 1023], [4, 1024]];
    for (const [name, widths, call] of kernelsUnderTest) for (const [rows, H] of sizes) {
      const inputs = widths.map((w) => randArray(r, w === 0 ? H : rows * w * H));
      const run = (n: number): { out: Float32Array[]; split: number } => {
        nk!.setThreads(n);
        const arrays = inputs.map((x) => { const a = nk!.alloc(x.length); a.set(x); return a; });
        const was = splits();
        call(nk!, rows, H, arrays);
        const split = splits() - was;
        const out = arrays.map((a) => Float32Array.from(a));
        for (const a of arrays) nk!.free(a);
        return { out, split };
      };
      const one = run(1), two = run(2);
      const what = `${name} ${rows}x${H}`;
      assert.equal(one.split, 0, `${what}: one thread never splits`);
      assert.equal(two.split, rows >= 2 && rows * H >= GATES_PAR_MIN ? 1 : 0, `${what}: split with two threads`);
      two.out.forEach((a, i) => assert.ok(a.every((v, j) => Object.is(v, one.out[i]![j])), `${what}: array ${i} differs between 1 and 2 threads`));
    }
  });
});

describe('native backend: packed products (packB, gemmPackedB) and their worker thread', { skip: SKIP }, () => {
  const r = rng(21);
  let threads = 1;
  before(() => { threads = nk!.info().threads; });
  after(() => nk!.setThreads(threads));
  const splits = (): number => nk!.info().packedSplits ?? 0;

  /** C after one packed product with `n` threads, and how many products were split meanwhile. */
  function product(n: number, tA: boolean, tB: boolean, M: number, N: number, K: number, a: Float32Array, b: Float32Array,
    c: Float32Array): { C: Float32Array; split: number } {
    nk!.setThreads(n);
    const A = nk!.alloc(a.length), B = nk!.alloc(b.length), C = nk!.alloc(c.length);
    A.set(a); B.set(b); C.set(c);
    const was = splits();
    const p = nk!.packB(tB, K, N, B, tB ? K : N);
    nk!.gemmPackedB(tA, M, N, K, 0.75, A, tA ? M : K, p, -0.5, C, N);
    nk!.freePackedB(p);
    const out = Float32Array.from(C);
    // Freed at once: this synchronous loop never lets the collector reclaim them.
    nk!.free(A); nk!.free(B); nk!.free(C);
    return { C: out, split: splits() - was };
  }

  it('splits big products with the worker, bit-identical to one thread; small ones and 1 thread stay on the caller', () => {
    assert.equal(nk!.info().packedThreads !== undefined, true, 'the addon reports packedThreads');
    nk!.setThreads(1);
    assert.equal(nk!.info().packedThreads, 1);
    nk!.setThreads(2);
    assert.equal(nk!.info().packedThreads, 2);
    // A sequence of a variable-length batch: the batch shrinks over the steps, forward (N = 4H,
    // K = H) and backward (N = H, K = 4H); then odd shapes around the split threshold.
    const shapes: [number, number, number][] = [];
    for (const b of [64, 32, 17, 6, 2, 1]) shapes.push([b, 1024, 256], [b, 256, 1024]);
    shapes.push([5, 1000, 200], [13, 100, 300], [1, 1024, 512], [40, 17, 2000], [7, 16, 9000], [3, 4096, 100]);
    // Taller than a row block: split by rows, one panel or several, a partial last block.
    shapes.push([193, 16, 300], [400, 64, 257], [1000, 48, 64], [385, 1024, 32]);
    for (const [M, N, K] of shapes) for (const tA of [false, true]) for (const tB of [true, false]) {
      const a = randArray(r, M * K), b = randArray(r, K * N), c = randArray(r, M * N);
      const what = `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${M}x${N}x${K}`;
      const one = product(1, tA, tB, M, N, K, a, b, c), two = product(2, tA, tB, M, N, K, a, b, c);
      const big = (Math.ceil(M / RK_ROW_BLOCK) >= 2 || Math.ceil(N / 16) >= 2) && 2 * M * N * K >= PACKED_PAR_MIN_FLOPS;
      assert.equal(one.split, 0, `${what}: one thread never splits`);
      assert.equal(two.split, big ? 1 : 0, `${what}: split with two threads: ${big}`);
      assert.ok(two.C.every((v, i) => Object.is(v, one.C[i])), `${what}: two threads give one thread's bits`);
      const ref = Float32Array.from(c);
      jsKernels.gemm(tA, tB, M, N, K, 0.75, a, tA ? M : K, b, tB ? K : N, -0.5, ref, N);
      assertClose(one.C, ref, { rtol: 1e-5, atol: 2e-6 * K }, what);
    }
  });

  it('gemm with few columns and many rows runs on the packed kernel: reference values, the same bits on 1 and 2 threads', () => {
    const routes = (): number => nk!.info().gemmPackedRoutes ?? 0;
    assert.equal(typeof nk!.info().gemmPackedRoutes, 'number', 'the addon reports gemmPackedRoutes');
    // [M, N, K, transB, beta]: around both bounds, K from 1, beta 0 (C not read), 1 and other.
    const shapes: [number, number, number, boolean, number][] = [
      [ROUTE_MIN_M, ROUTE_MAX_N, 37, false, 0], [ROUTE_MIN_M + 7, 1, 1, true, 1], [2050, 64, 300, true, -0.5],
      [1500, 17, 1024, false, 0], [ROUTE_MIN_M - 1, 64, 50, false, 0], [1200, ROUTE_MAX_N + 1, 50, true, 0],
    ];
    for (const [M, N, K, tB, beta] of shapes) {
      const a = randArray(r, M * K), b = randArray(r, K * N), c = randArray(r, M * N).map((v, i) => (beta === 0 && i % 7 === 0 ? NaN : v));
      const what = `N${tB ? 'T' : 'N'} ${M}x${N}x${K} beta ${beta}`;
      const routed = N <= ROUTE_MAX_N && M >= ROUTE_MIN_M;
      const out: Float32Array[] = [];
      for (const n of [1, 2]) {
        nk!.setThreads(n);
        const C = Float32Array.from(c), was = routes();
        nk!.gemm(false, tB, M, N, K, 0.75, a, K, b, tB ? K : N, beta, C, N);
        assert.equal(routes() - was, routed ? 1 : 0, `${what}: on the packed kernel: ${routed}`);
        out.push(C);
      }
      const ref = Float32Array.from(c);
      jsKernels.gemm(false, tB, M, N, K, 0.75, a, K, b, tB ? K : N, beta, ref, N);
      assertClose(out[1]!, ref, { rtol: 1e-5, atol: 2e-6 * K }, what);
      if (routed) assert.ok(out[1]!.every((v, i) => Object.is(v, out[0]![i])), `${what}: two threads give one thread's bits`);
    }
    const was = routes();
    nk!.gemm(true, false, 2048, 64, 64, 1, randArray(r, 2048 * 64), 2048, randArray(r, 64 * 64), 64, 0, new Float32Array(2048 * 64), 64);
    assert.equal(routes(), was, 'a transposed A stays with OpenBLAS');
  });

  it('the worker computes panels (asserted where this process may use two cores)', () => {
    nk!.setThreads(2);
    const M = 64, N = 2048, K = 512;
    const A = nk!.alloc(M * K).fill(0.5), B = nk!.alloc(K * N).fill(0.25), C = nk!.alloc(M * N);
    const p = nk!.packB(false, K, N, B, N);
    const was = nk!.info().packedWorkerPanels ?? 0;
    for (let i = 0; i < 200 && (nk!.info().packedWorkerPanels ?? 0) === was; i++) {
      nk!.gemmPackedB(false, M, N, K, 1, A, K, p, 0, C, N);
      assert.ok(C.every((v) => v === 0.125 * K), 'every column right, whoever computed it');
    }
    nk!.freePackedB(p);
    const ran = (nk!.info().packedWorkerPanels ?? 0) - was;
    if (availableParallelism() >= 2) assert.ok(ran > 0, 'the worker computed no panel in 200 split products');
    else console.log(`# native.test.ts: one core available; the worker computed ${ran} panels (the caller takes back what it has not started)`);
  });

  it('two JS threads running packed products at once get their own results (one of them without the worker)', async () => {
    nk!.setThreads(2);
    const addonPath = fileURLToPath(new URL('../../native/build/Release/recur_native.node', import.meta.url));
    const flags = new Int32Array(new SharedArrayBuffer(8));
    // The same products on a worker_threads thread, over plain arrays, with the addon loaded there too.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const m = { exports: {} };
      process.dlopen(m, workerData.path);
      const N = m.exports, flags = new Int32Array(workerData.flags);
      const [M, n, K] = workerData.shape;
      const A = Float32Array.from({ length: M * K }, (_, i) => ((i * 7919) % 97) / 97 - 0.5);
      const B = Float32Array.from({ length: K * n }, (_, i) => ((i * 104729) % 89) / 89 - 0.5);
      const P = new Float32Array(Math.ceil(n / 16) * 16 * K);
      N.packB(true, K, n, B, K, P);
      const ref = new Float32Array(M * n);
      N.gemmPacked(false, M, n, K, 1, A, K, P, 0, ref, n);
      Atomics.store(flags, 0, 1);
      let bad = 0;
      for (let it = 0; it < 100; it++) {
        const C = new Float32Array(M * n);
        N.gemmPacked(false, M, n, K, 1, A, K, P, 0, C, n);
        for (let i = 0; i < C.length; i++) if (!Object.is(C[i], ref[i])) bad++;
      }
      Atomics.store(flags, 1, 1);
      parentPort.postMessage({ bad, ref });`;
    const shape = [32, 1024, 256] as const;
    const w = new Worker(code, { eval: true, workerData: { path: addonPath, flags: flags.buffer, shape } });
    const message = new Promise<{ bad: number; ref: Float32Array }>((res, rej) => { w.once('message', res); w.once('error', rej); });
    const [M, N, K] = shape;
    const A = nk!.alloc(M * K), B = nk!.alloc(K * N);
    for (let i = 0; i < A.length; i++) A[i] = ((i * 7919) % 97) / 97 - 0.5;
    for (let i = 0; i < B.length; i++) B[i] = ((i * 104729) % 89) / 89 - 0.5;
    const p = nk!.packB(true, K, N, B, K);
    const ref = nk!.alloc(M * N);
    nk!.gemmPackedB(false, M, N, K, 1, A, K, p, 0, ref, N);
    // Wait for the other thread's loop (a synchronous loop below would not let it start).
    for (let i = 0; i < 1000 && Atomics.load(flags, 0) === 0; i++) await new Promise((res) => setTimeout(res, 5));
    let bad = 0, rounds = 0;
    const C = nk!.alloc(M * N);
    for (; rounds < 5000 && Atomics.load(flags, 1) === 0; rounds++) {
      nk!.gemmPackedB(false, M, N, K, 1, A, K, p, 0, C, N);
      for (let i = 0; i < C.length; i++) if (!Object.is(C[i], ref[i])) bad++;
    }
    nk!.freePackedB(p);
    const other = await message;
    await w.terminate();
    assert.equal(bad, 0, `${bad} values differ on the main thread over ${rounds} products`);
    assert.equal(other.bad, 0, `${other.bad} values differ on the other thread`);
    assert.ok(other.ref.every((v, i) => Object.is(v, ref[i])), 'both threads computed the same bits');
  });

  it('refuses what the reference must run, and rejects panels of the wrong size with a clear error', () => {
    const served = (): [number, number] => [nk!.calls().gemmPackedB?.served ?? 0, nk!.calls().gemmPackedB?.refused ?? 0];
    const A = randArray(r, 4 * 6), B = randArray(r, 6 * 5), C = randArray(r, 4 * 5);
    const want = Float32Array.from(C);
    jsKernels.gemm(false, false, 4, 5, 6, 1, A, 6, B, 5, 0.5, want, 5);
    // Float64Array storage (gradient checks): a B like that is not packed, the product is gemm's
    // (which hands it to the reference); an A like that makes the packed product refused.
    const f64 = (x: Float32Array): Float32Array => Float64Array.from(x) as unknown as Float32Array;
    let was = served();
    const p64 = nk!.packB(false, 6, 5, f64(B), 5);
    const c1 = f64(C);
    nk!.gemmPackedB(false, 4, 5, 6, 1, f64(A), 6, p64, 0.5, c1, 5);
    nk!.freePackedB(p64);
    assert.deepEqual(served(), was, 'an unpacked op(B) is not a packed product');
    assertClose(c1, want, { rtol: 1e-6, atol: 1e-6 }, 'Float64Array B');
    const p = nk!.packB(false, 6, 5, B, 5);
    was = served();
    const c2 = f64(C);
    nk!.gemmPackedB(false, 4, 5, 6, 1, f64(A), 6, p, 0.5, c2, 5);
    assert.deepEqual(served(), [was[0], was[1] + 1], 'Float64Array A and C: refused');
    assertClose(c2, want, { rtol: 1e-6, atol: 1e-6 }, 'Float64Array A');
    // Overlapping rows of C (ldc < N): the order of the writes decides, so the reference runs.
    const c3 = randArray(r, 3 * 4 + 5), c3want = Float32Array.from(c3);
    jsKernels.gemm(false, false, 4, 5, 6, 1, A, 6, B, 5, 1, c3want, 4);
    was = served();
    nk!.gemmPackedB(false, 4, 5, 6, 1, A, 6, p, 1, c3, 4);
    assert.deepEqual(served(), [was[0], was[1] + 1], 'ldc < N: refused');
    assertClose(c3, c3want, { rtol: 1e-6, atol: 1e-6 }, 'ldc < N');
    // A product prepared for other sizes; a freed one still multiplies (by B as it is).
    assert.throws(() => nk!.gemmPackedB(false, 4, 6, 6, 1, A, 6, p, 0, C, 6), /prepared as 6x5, the product needs 6x6/);
    const frees = nk!.stats().frees;
    nk!.freePackedB(p);
    assert.equal(nk!.stats().frees, frees + 1, 'freePackedB gave the panels back');
    nk!.freePackedB(p);
    assert.equal(nk!.stats().frees, frees + 1, 'twice is harmless');
    const c4 = Float32Array.from(C);
    nk!.gemmPackedB(false, 4, 5, 6, 1, A, 6, p, 0.5, c4, 5);
    assertClose(c4, want, { rtol: 1e-5, atol: 1e-5 }, 'after freePackedB');
    // The addon itself: sizes it cannot take are refused, panels of the wrong size throw.
    const P = new Float32Array(16 * 6);
    assert.equal(addon!.packB!(false, 6, 5, B, 5, P), undefined);
    assert.equal(addon!.gemmPacked!(false, 2.5, 5, 6, 1, A, 6, P, 0, C, 5), true);
    assert.equal(addon!.gemmPacked!(false, 4, 5, 6, 1, A.subarray(1), 6, P, 0, C, 5), true, 'A too short');
    assert.throws(() => addon!.gemmPacked!(false, 4, 17, 6, 1, A, 6, P, 0, new Float32Array(4 * 17), 17),
      /^RangeError: recur native gemmPacked: panels must be a Float32Array of at least 192 floats \(got 96\)$/);
    assert.throws(() => addon!.packB!(true, 6, 5, B, 6, P.subarray(1)), /recur native packB: panels must be a Float32Array of at least 96 floats \(got 95\)/);
    assert.throws(() => addon!.packB!(true, 6, 5, B, 6, f64(P)), /recur native packB: panels must be a Float32Array/);
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

  it('OpenBLAS loads with OPENBLAS_THREAD_TIMEOUT=4 unless the user set one; the variable is not left behind', () => {
    const code = "import('./src/kernels/index.ts').then((m) => { const k = m.kernels(); console.log(JSON.stringify([k.info().blasThreadTimeout, process.env.OPENBLAS_THREAD_TIMEOUT ?? null])); })";
    const run = (value: string | undefined): [string, string | null] => {
      const env: NodeJS.ProcessEnv = { ...process.env, RECUR_BACKEND: 'native' };
      delete env.OPENBLAS_THREAD_TIMEOUT;
      if (value !== undefined) env.OPENBLAS_THREAD_TIMEOUT = value;
      const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env, encoding: 'utf8' });
      assert.equal(res.status, 0, res.stderr);
      return JSON.parse(res.stdout.trim()) as [string, string | null];
    };
    assert.deepEqual(run(undefined), ['4', null], 'ours while loading, then removed (child processes never see it)');
    assert.deepEqual(run('20'), ['20', '20'], "the user's own value is used and kept");
  });

  it('an unknown RECUR_BACKEND is a clear error', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/kernels/index.ts')"], {
      env: { ...process.env, RECUR_BACKEND: 'cuda' }, encoding: 'utf8',
    });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /RECUR_BACKEND='cuda' is not a backend \(use js, wasm or native\)/);
  });
});
