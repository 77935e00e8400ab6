/**
 * The in-browser half of `npm run test:browser` (run.ts bundles this file with esbuild and
 * serves it). It imports recur exactly as an application would (the package entry,
 * src/index.ts), then:
 *
 * 1. loads the WebAssembly backend with `initWasm()` and reports what is active: cross-origin
 *    isolation, shared memory, worker threads, relaxed or plain SIMD build;
 * 2. runs the LSTM golden cases of test/rnn/golden.test.ts (PyTorch 1.13 fixtures, fetched from
 *    the server): forward outputs and every gradient, same tolerance as the Node test;
 * 3. trains a tiny character LSTM for a few dozen Adam steps and checks that the loss falls;
 * 4. times a 512x512x512 GEMM (printed, never asserted), checks it against a float64
 *    reference, and, when worker threads are on, checks the split product is bit-identical to
 *    a single-threaded one.
 *
 * Results go back to the server as JSON (POST /log, POST /done); run.ts decides pass/fail.
 */
import { backendName, F, initWasm, io, manualSeed, nn, optim, reclaimMemory, Tensor, type WasmKernels } from '../../src/index.js';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import type { PageReport, PageInfo } from './protocol.js';
import { relError } from '../helpers/rel-error.js';

const TOL = 1e-4; // as test/rnn/golden.test.ts

const failures: string[] = [];
const fail = (msg: string): void => {
  failures.push(msg);
  if (failures.length <= 20) log(`FAIL ${msg}`);
};

function log(line: string): void {
  void fetch('/log', { method: 'POST', body: line });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


// ---- 1. backend ---------------------------------------------------------------------------

async function setup(): Promise<{ k: WasmKernels; info: PageInfo }> {
  const t0 = performance.now();
  const k = (await initWasm()) as WasmKernels;
  const loadMs = performance.now() - t0;
  const info: PageInfo = {
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
    hardwareConcurrency: navigator.hardwareConcurrency,
    backend: backendName(),
    variant: k.variant,
    sharedMemory: k.heap.shared,
    maxThreads: k.threads().max,
    workersReady: 0,
    wasmLoadMs: loadMs,
  };
  return { k, info };
}

/** Workers start at the first GEMM big enough to split, asynchronously: run one and wait. */
async function startWorkers(k: WasmKernels): Promise<number> {
  if (!k.heap.shared || k.threads().max < 2) return 0;
  const n = 256;
  const a = k.alloc(n * n), c = k.alloc(n * n);
  a.fill(1);
  k.gemm(false, false, n, n, n, 1, a, n, a, n, 0, c, n);
  for (let i = 0; i < 100 && k.threads().workersReady < k.threads().max - 1; i++) await sleep(50);
  return k.threads().workersReady;
}

// ---- 2. golden LSTM cases ------------------------------------------------------------------

interface Fixture {
  t: Map<string, Tensor>;
  config: Record<string, unknown>;
}

async function fixture(name: string): Promise<Fixture> {
  const res = await fetch(`/fixtures/rnn/${name}`);
  if (!res.ok) throw new Error(`GET /fixtures/rnn/${name}: ${res.status}`);
  const { tensors, metadata } = io.parseSafetensors(new Uint8Array(await res.arrayBuffer()));
  return { t: tensors, config: JSON.parse(metadata.config ?? '{}') as Record<string, unknown> };
}

const leaf = (t: Tensor): Tensor => new Tensor(Float32Array.from(t.data), t.shape, { requiresGrad: true });

interface GoldenStats {
  cases: number;
  tensors: number;
  maxRelError: number;
  worst: string;
}

function compare(stats: GoldenStats, got: Tensor | null, want: Tensor | undefined, what: string): void {
  if (!got || !want) {
    fail(`golden ${what}: ${got ? 'not in fixture' : 'missing'}`);
    return;
  }
  const e = relError(got.data, want.data);
  stats.tensors++;
  if (!(e <= stats.maxRelError)) {
    stats.maxRelError = e;
    stats.worst = what;
  }
  if (!(e <= TOL)) fail(`golden ${what}: relative error ${e.toExponential(2)} > ${TOL}`);
}

async function goldenLstmCase(stats: GoldenStats, file: string): Promise<void> {
  const f = await fixture(file);
  const c = f.config;
  const lstm = new nn.LSTM({
    inputSize: c.input_size as number, hiddenSize: c.hidden_size as number, numLayers: c.num_layers as number,
    bidirectional: c.bidirectional as boolean, batchFirst: c.batch_first as boolean, bias: c.bias as boolean,
    projSize: (c.proj_size as number | undefined) ?? 0,
  });
  const names = [...lstm.namedParameters().keys()];
  lstm.loadStateDict(new Map(names.map((n) => [n, f.t.get(n)!])));
  const x = leaf(f.t.get('input')!);
  const h0 = f.t.has('h0') ? leaf(f.t.get('h0')!) : undefined;
  const c0 = f.t.has('c0') ? leaf(f.t.get('c0')!) : undefined;
  const lengths = f.t.has('lengths') ? Array.from(f.t.get('lengths')!.data, Math.round) : undefined;
  const { output, h, c: cn } = lstm.forward(x, { lengths, h0, c0 });
  compare(stats, output, f.t.get('output'), `${file} output`);
  compare(stats, h, f.t.get('h_n'), `${file} h_n`);
  compare(stats, cn, f.t.get('c_n'), `${file} c_n`);
  const loss = output.mul(f.t.get('R')!).sum().add(h.mul(f.t.get('S')!).sum()).add(cn.mul(f.t.get('U')!).sum());
  loss.backward();
  compare(stats, x.grad, f.t.get('grad.input'), `${file} grad.input`);
  if (h0) compare(stats, h0.grad, f.t.get('grad.h0'), `${file} grad.h0`);
  if (c0) compare(stats, c0.grad, f.t.get('grad.c0'), `${file} grad.c0`);
  for (const [n, p] of lstm.namedParameters()) compare(stats, p.grad, f.t.get(`grad.${n}`), `${file} grad.${n}`);
  stats.cases++;
}

async function golden(): Promise<GoldenStats> {
  const stats: GoldenStats = { cases: 0, tensors: 0, maxRelError: 0, worst: '' };
  for (const mode of ['lstm', 'lstm_proj']) {
    for (const L of [1, 3]) for (const dir of ['uni', 'bi']) for (const bf of ['tf', 'bf'])
      for (const len of ['full', 'len']) for (const h0 of ['noh0', 'h0']) {
        await goldenLstmCase(stats, `${mode}_L${L}_${dir}_${bf}_${len}_${h0}.safetensors`);
      }
  }
  await goldenLstmCase(stats, 'lstm_L1_uni_tf_full_noh0_nobias.safetensors');
  return stats;
}

// ---- 3. tiny character LSTM ------------------------------------------------------------------

const TEXT =
  'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my ' +
  'purse, and nothing particular to interest me on shore, I thought I would sail about a little and ' +
  'see the watery part of the world. It is a way I have of driving off the spleen and regulating the ' +
  'circulation. Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly ' +
  'November in my soul; whenever I find myself involuntarily pausing before coffin warehouses, and ' +
  'bringing up the rear of every funeral I meet; then, I account it high time to get to sea as soon as I can.';

interface TrainStats {
  steps: number;
  first: number;
  last: number;
  ms: number;
}

async function train(): Promise<TrainStats> {
  manualSeed(1234);
  const chars = [...new Set(TEXT)].sort();
  const V = chars.length;
  const ids = Int32Array.from(TEXT, (ch) => chars.indexOf(ch));
  const B = 8, T = 32, E = 16, H = 64, STEPS = 40;
  const emb = new nn.Embedding(V, E);
  const lstm = new nn.LSTM({ inputSize: E, hiddenSize: H, batchFirst: true });
  const head = new nn.Linear(H, V);
  const params = [...emb.parameters(), ...lstm.parameters(), ...head.parameters()];
  const opt = new optim.Adam(params, { lr: 1e-2 });
  const losses: number[] = [];
  const t0 = performance.now();
  for (let step = 0; step < STEPS; step++) {
    const x = new Int32Array(B * T), y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = (step * 37 + b * 53) % (ids.length - T - 1);
      x.set(ids.subarray(start, start + T), b * T);
      y.set(ids.subarray(start + 1, start + T + 1), b * T);
    }
    const { output } = lstm.forward(emb.forward(x).reshape([B, T, E]));
    const loss = F.crossEntropy(head.forward(output.reshape([B * T, H])), y);
    opt.zeroGrad();
    loss.backward();
    optim.clipGradNorm(params, 5);
    opt.step();
    const v = loss.item();
    if (!Number.isFinite(v)) throw new Error(`char LSTM: loss ${v} at step ${step}`);
    losses.push(v);
    await reclaimMemory();
  }
  const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
  return { steps: STEPS, first: mean(losses.slice(0, 3)), last: mean(losses.slice(-5)), ms: performance.now() - t0 };
}

// ---- 4. GEMM 512x512x512 ---------------------------------------------------------------------

interface GemmStats {
  /** From the median time, and from the fastest run. */
  gflops: number;
  best: number;
  maxRelError: number;
  ms: number[];
}

function timeGemm(k: WasmKernels, n: number, a: Float32Array, b: Float32Array, c: Float32Array, reps: number): GemmStats {
  // Warm-up long enough for V8 to tier the kernels up from its baseline compiler.
  const w0 = performance.now();
  for (let r = 0; r < 3 || performance.now() - w0 < 300; r++) k.gemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    k.gemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
    ms.push(performance.now() - t0);
  }
  const sorted = [...ms].sort((p, q) => p - q);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  // 64 sampled entries against a float64 dot product.
  let maxRel = 0;
  for (let s = 0; s < 64; s++) {
    const i = (s * 97 + 13) % n, j = (s * 211 + 7) % n;
    let ref = 0, mag = 0;
    for (let p = 0; p < n; p++) {
      ref += a[i * n + p]! * b[p * n + j]!;
      mag += Math.abs(a[i * n + p]! * b[p * n + j]!);
    }
    maxRel = Math.max(maxRel, Math.abs(c[i * n + j]! - ref) / Math.max(mag, 1e-6));
  }
  return { gflops: (2 * n * n * n) / (median * 1e6), best: (2 * n * n * n) / (sorted[0]! * 1e6), maxRelError: maxRel, ms };
}

function fillRandom(x: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
}

async function gemm(k: WasmKernels): Promise<{ active: GemmStats; single: GemmStats | null; bitIdentical: boolean | null }> {
  const n = 512, REPS = 9;
  const a = k.alloc(n * n), b = k.alloc(n * n), c = k.alloc(n * n);
  fillRandom(a, 1);
  fillRandom(b, 2);
  const active = timeGemm(k, n, a, b, c, REPS);
  if (k.threads().workersReady === 0) return { active, single: null, bitIdentical: null };
  // Worker threads are on: the same product on a second, single-threaded instance.
  const one = await createWasmBackend({ threads: 1, maxMemoryMiB: 64 });
  const a1 = one.alloc(n * n), b1 = one.alloc(n * n), c1 = one.alloc(n * n);
  a1.set(a);
  b1.set(b);
  const single = timeGemm(one, n, a1, b1, c1, REPS);
  let same = true;
  for (let i = 0; i < c.length && same; i++) same = Object.is(c[i], c1[i]);
  one.close();
  return { active, single, bitIdentical: same };
}

// ---- run -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = performance.now();
  const { k, info } = await setup();
  info.workersReady = await startWorkers(k);
  log(`backend ${info.backend} (${info.variant} build), crossOriginIsolated=${info.crossOriginIsolated}, ` +
    `shared memory=${info.sharedMemory}, threads max=${info.maxThreads}, workers ready=${info.workersReady}, ` +
    `wasm load ${info.wasmLoadMs.toFixed(0)} ms`);

  const g = await golden();
  log(`golden LSTM: ${g.cases} cases, ${g.tensors} tensors, max relative error ${g.maxRelError.toExponential(2)} (${g.worst})`);

  const tr = await train();
  log(`char LSTM: loss ${tr.first.toFixed(3)} -> ${tr.last.toFixed(3)} in ${tr.steps} steps (${tr.ms.toFixed(0)} ms)`);
  if (!(tr.last < 0.85 * tr.first)) fail(`char LSTM: loss did not fall enough (${tr.first.toFixed(3)} -> ${tr.last.toFixed(3)})`);

  const gm = await gemm(k);
  const fig = (s: GemmStats): string => `${s.gflops.toFixed(1)} GFLOP/s (best ${s.best.toFixed(1)})`;
  log(`GEMM 512x512x512, median of ${gm.active.ms.length}: ${fig(gm.active)} with ${k.threads().workersReady + 1} thread(s)` +
    (gm.single ? `, ${fig(gm.single)} single-threaded; split result bit-identical: ${gm.bitIdentical}` : '') +
    `; max rel. error vs float64 ${gm.active.maxRelError.toExponential(2)}`);
  if (!(gm.active.maxRelError < 1e-5)) fail(`GEMM: relative error ${gm.active.maxRelError.toExponential(2)} vs float64`);
  if (gm.bitIdentical === false) fail('GEMM: the threaded product differs from the single-threaded one');

  const report: PageReport = {
    ok: failures.length === 0,
    failures,
    info,
    golden: g,
    train: tr,
    gemm: { gflops: gm.active.gflops, singleGflops: gm.single?.gflops ?? null, bitIdentical: gm.bitIdentical, maxRelError: gm.active.maxRelError },
    ms: performance.now() - t0,
  };
  await fetch('/done', { method: 'POST', body: JSON.stringify(report) });
}

function crash(e: unknown): void {
  const msg = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
  void fetch('/done', { method: 'POST', body: JSON.stringify({ ok: false, failures: [...failures, `uncaught: ${msg}`] }) });
}

addEventListener('error', (e) => crash(e.error ?? e.message));
addEventListener('unhandledrejection', (e) => crash(e.reason));
main().catch(crash);
