/**
 * `npm run bench`: recur (every available backend) side by side with TensorFlow.js (cpu, wasm),
 * brain.js and PyTorch, in one run. Each (peer, variant, config) runs in its own child process,
 * one after another, never two at once: peak RSS is that child's alone, and one peer's JIT or
 * GC cannot disturb another's. Children print JSON lines (bench/peers/protocol.ts); this file
 * collects them, prints the tables and writes bench/results.json.
 *
 *   npm run bench                       everything, real sizes
 *   npm run bench -- --readme           also replace the table in README.md's "## Benchmarks"
 *   npm run bench -- --tiny             tiny sizes and a short protocol: checks the plumbing in
 *                                       seconds; figures are meaningless (written to the OS tmp dir)
 *   --only recur,torch                  peers to run (recur, tfjs, brain, torch)
 *   --configs train-lstm,gen            configs to run (train-lstm, train-gru, gen, gemm)
 *   --out FILE                          results file (default bench/results.json)
 *   --torch-blas openmp|system          BLAS for PyTorch (default openmp: Debian's OpenMP OpenBLAS,
 *                                       chosen with LD_LIBRARY_PATH in the torch child only)
 *   --quiet-ms N                        wait at most N ms for idle CPUs before each run (default 10000)
 *   --soak [--steps N]                  instead: the 10,000-step RSS soak of bench/soak.ts
 *
 * The node peers (bench/peers/recur.ts, tfjs.ts, brain.ts) run as compiled JavaScript under plain
 * `node`, as a program using recur's compiled build does, so no TypeScript loader (tsx costs ~30 MB)
 * is in their peak RSS: this file first compiles them with tsc (bench/tsconfig.peers.json) into
 * build/bench/, which keeps the repository layout, and puts beside the compiled src/ what its
 * relative paths load (the .wasm kernels, native/build, bench/peers/brain/node_modules).
 *
 * On a shared machine run it under a lock: `flock /tmp/recur-timing.lock npm run bench`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OPENMP_BLAS_DIR, PYTHON, torchEnv as sharedTorchEnv } from '../scripts/torch-env.js';
import { waitQuiet } from './common.js';
import { MARK, TRANSPOSES, gemmKey, type Config, type Job, type Line, type Protocol, type Timing } from './peers/protocol.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);

// ---- options ------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
if (argv.includes('--soak')) {
  const { soakMain } = await import('./soak.js');
  process.exit(await soakMain(argv));
}
function opt(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
const tiny = argv.includes('--tiny');
const writeReadme = argv.includes('--readme');
if (tiny && writeReadme) throw new Error('--readme is for real runs: a --tiny run measures nothing worth showing');
const onlyPeers = opt('--only')?.split(',');
const onlyConfigs = opt('--configs')?.split(',');
const outFile = opt('--out') ?? (tiny ? join(tmpdir(), 'recur-bench-tiny.json') : join(here, 'results.json'));
const torchBlas = opt('--torch-blas') ?? 'openmp';
const quietOverride = opt('--quiet-ms');
if (torchBlas !== 'openmp' && torchBlas !== 'system') throw new Error(`--torch-blas must be openmp or system, got ${torchBlas}`);

// ---- configurations -----------------------------------------------------------------------------
type PeerName = 'recur' | 'tfjs' | 'brain' | 'torch';
type ConfigName = 'train-lstm' | 'train-gru' | 'gen' | 'gemm';

const configs: Record<ConfigName, Config> = tiny
  ? {
    'train-lstm': { kind: 'train', cell: 'lstm', vocab: 64, input: 16, hidden: 32, batch: 4, seq: 8, classes: 64 },
    'train-gru': { kind: 'train', cell: 'gru', vocab: 64, input: 16, hidden: 32, batch: 4, seq: 8, classes: 64 },
    gen: { kind: 'gen', input: 16, hidden: 32, layers: 2 },
    gemm: { kind: 'gemm', shapes: [[8, 16, 32], [1, 32, 64]] },
  }
  : {
    'train-lstm': { kind: 'train', cell: 'lstm', vocab: 64, input: 64, hidden: 256, batch: 32, seq: 64, classes: 64 },
    'train-gru': { kind: 'train', cell: 'gru', vocab: 64, input: 64, hidden: 256, batch: 32, seq: 64, classes: 64 },
    gen: { kind: 'gen', input: 64, hidden: 512, layers: 2 },
    gemm: { kind: 'gemm', shapes: [[32, 256, 1024], [2048, 64, 1024], [512, 512, 512], [1, 512, 2048]] },
  };

const protocols: Record<ConfigName, Protocol> = tiny
  ? {
    'train-lstm': { warmup: 1, warmupMs: 20, runs: 3, targetMs: 20, quietMs: 0 },
    'train-gru': { warmup: 1, warmupMs: 20, runs: 3, targetMs: 20, quietMs: 0 },
    gen: { warmup: 2, warmupMs: 20, runs: 3, targetMs: 10, quietMs: 0 },
    gemm: { warmup: 2, warmupMs: 5, runs: 3, targetMs: 5, quietMs: 0 },
  }
  : {
    'train-lstm': { warmup: 2, warmupMs: 1500, runs: 7, targetMs: 1000, quietMs: 10000 },
    'train-gru': { warmup: 2, warmupMs: 1500, runs: 7, targetMs: 1000, quietMs: 10000 },
    gen: { warmup: 20, warmupMs: 1000, runs: 7, targetMs: 300, quietMs: 10000 },
    gemm: { warmup: 3, warmupMs: 150, runs: 7, targetMs: 150, quietMs: 10000 },
  };

if (quietOverride !== undefined) {
  const q = Number(quietOverride);
  if (!(q >= 0)) throw new Error(`--quiet-ms must be a number of milliseconds >= 0, got ${quietOverride}`);
  for (const p of Object.values(protocols)) p.quietMs = q;
}

// ---- machine ------------------------------------------------------------------------------------
function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, cwd: root }).trim();
  } catch {
    return null;
  }
}

function cpuModel(): string {
  const txt = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const field = (k: string): string | undefined => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(txt)?.[1]?.trim();
  const flags = field('flags')?.split(/\s+/) ?? [];
  const isa = ['avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f)).join(' ');
  const name = field('model name') ?? cpus()[0]?.model ?? '?';
  const fam = field('cpu family'), model = field('model');
  return `${name}${fam ? ` (family ${fam}, model ${model})` : ''}${isa ? `, ${isa}` : ''}`;
}

function load(): { uptime: string; loadavg: number[] } {
  return { uptime: sh('uptime', []) ?? '', loadavg: loadavg().map((x) => Math.round(x * 100) / 100) };
}

// ---- children -----------------------------------------------------------------------------------
interface ChildResult {
  lines: Line[];
  code: number | null;
  stderr: string;
  seconds: number;
}

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ChildResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines: Line[] = [];
      for (const l of out.split('\n')) if (l.startsWith(MARK)) lines.push(JSON.parse(l.slice(MARK.length)) as Line);
      resolve({ lines, code, stderr: err, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

interface Variant {
  peer: PeerName;
  variant: string;
  /** Column label, e.g. 'recur-wasm', 'torch-2t'. */
  label: string;
  configs: ConfigName[];
  command: (job: Job) => [string, string[], NodeJS.ProcessEnv];
}

// ---- compiled node peers ------------------------------------------------------------------------
/** Where bench/tsconfig.peers.json compiles to: build/bench/<path in the repository>.js. */
const buildDir = join(root, 'build', 'bench');
const built = (path: string): string => join(buildDir, path);

/** `path` (in build/bench) is a symlink to `target` (in the repository), made or fixed. */
function link(path: string, target: string): void {
  const want = relative(dirname(path), target);
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink() && readlinkSync(path) === want) return;
  if (stat) rmSync(path, { recursive: true, force: true });
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(want, path, 'dir');
}

/**
 * Compiles the node peers (and the src/ modules they import) with tsc into build/bench/, then
 * makes the relative paths of the compiled files resolve as they do in the repository:
 * src/kernels/wasm/loader reads ./generated/recur-*.wasm (copied; without them it would fall back
 * to the base64 copy), src/kernels/native/addon loads ../../../native/build/Release/recur_native.node
 * (build/bench/native links to native/), bench/peers/brain.ts requires brain.js from ./brain/
 * (build/bench/bench/peers/brain links to bench/peers/brain/). Bare imports (@tensorflow/tfjs)
 * resolve from the repository's node_modules, as build/ is inside it. Exits on a compile error.
 */
function compilePeers(): void {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const config = join(here, 'tsconfig.peers.json');
  console.error(`compiling the node peers (tsc -p ${relative(root, config)} -> ${relative(root, buildDir)}/)...`);
  try {
    execFileSync(process.execPath, [tsc, '-p', config], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const r = e as { stdout?: string; stderr?: string; message: string };
    const why = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || r.message;
    console.error(`bench: compiling the node peers failed (tsc -p ${relative(root, config)}), so nothing was measured:\n${why}`);
    process.exit(1);
  }
  const gen = join(root, 'src', 'kernels', 'wasm', 'generated');
  const genOut = built(join('src', 'kernels', 'wasm', 'generated'));
  mkdirSync(genOut, { recursive: true });
  for (const f of readdirSync(genOut)) if (f.endsWith('.wasm')) rmSync(join(genOut, f));
  if (existsSync(gen)) for (const f of readdirSync(gen)) if (f.endsWith('.wasm')) copyFileSync(join(gen, f), join(genOut, f));
  link(built('native'), join(root, 'native'));
  link(built(join('bench', 'peers', 'brain')), join(here, 'peers', 'brain'));
}

/** Plain node on the compiled peer: no loader, no flags. */
const nodeCmd = (file: string, env: NodeJS.ProcessEnv) => (job: Job): [string, string[], NodeJS.ProcessEnv] =>
  [process.execPath, [built(join('bench', 'peers', file.replace(/\.ts$/, '.js'))), JSON.stringify(job)], env];

const ALL: ConfigName[] = ['train-lstm', 'train-gru', 'gen', 'gemm'];
const unavailable: Array<{ label: string; reason: string }> = [];

function recurVariants(): Variant[] {
  // Plain node on the compiled kernels, as the recur peer loads them.
  const index = pathToFileURL(built(join('src', 'kernels', 'index.js'))).href;
  const out = sh(process.execPath, ['-e', `import(${JSON.stringify(index)}).then((m) => console.log(JSON.stringify(m.availableBackends())))`]);
  const backends = out ? (JSON.parse(out.split('\n').pop()!) as string[]) : ['js', 'wasm'];
  if (!backends.includes('native')) unavailable.push({ label: 'recur-native', reason: 'native addon not built or not loadable (npm run build:native)' });
  return backends.map((b) => ({
    peer: 'recur', variant: b, label: `recur-${b}`, configs: ALL,
    command: nodeCmd('recur.ts', { ...process.env, RECUR_BACKEND: b }),
  }));
}

function tfjsVariants(): Variant[] {
  if (!existsSync(join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm'))) {
    unavailable.push({ label: 'tfjs', reason: '@tensorflow/tfjs not installed (npm ci installs the dev dependencies)' });
    return [];
  }
  return ['wasm', 'cpu'].map((b) => ({
    peer: 'tfjs', variant: b, label: `tfjs-${b}`, configs: ALL, command: nodeCmd('tfjs.ts', { ...process.env }),
  }));
}

function brainVariants(): Variant[] {
  const dir = join(here, 'peers', 'brain');
  if (!existsSync(join(dir, 'node_modules', 'brain.js', 'package.json'))) {
    console.error(`installing brain.js into ${relative(root, dir)} (npm ci --omit=optional --ignore-scripts)...`);
    const ok = sh('npm', ['ci', '--prefix', dir, '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund']);
    if (ok === null || !existsSync(join(dir, 'node_modules', 'brain.js', 'package.json'))) {
      unavailable.push({ label: 'brain.js', reason: `npm ci --prefix ${relative(root, dir)} failed` });
      return [];
    }
  }
  return [{ peer: 'brain', variant: 'cpu', label: 'brain.js', configs: ['train-lstm', 'train-gru', 'gen'], command: nodeCmd('brain.ts', { ...process.env }) }];
}

function torchEnv(threads: number): NodeJS.ProcessEnv {
  return sharedTorchEnv(threads, torchBlas === 'openmp' ? 'openmp' : 'system');
}

function torchVariants(): Variant[] {
  if (sh(PYTHON, ['-c', 'import torch']) === null) {
    unavailable.push({ label: 'PyTorch', reason: `${PYTHON} -c 'import torch' failed` });
    return [];
  }
  return [2, 1].map((t) => ({
    peer: 'torch', variant: String(t), label: `torch-${t}t`, configs: ALL,
    command: (job: Job): [string, string[], NodeJS.ProcessEnv] => [PYTHON, [join(here, 'peers', 'torch_bench.py'), JSON.stringify(job)], torchEnv(t)],
  }));
}

// ---- results ------------------------------------------------------------------------------------
interface Figure {
  label: string;
  peer: PeerName;
  variant: string;
  config: ConfigName;
  key: string;
  /** 'tokens/s', 'chars/s', 'us/step' or 'GFLOP/s'. */
  unit: string;
  median: number;
  /** Worst and best run in the unit (for throughputs min comes from the slowest run). */
  min: number;
  max: number;
  secondsPerIter: Timing;
  note?: string;
}

interface RunRecord {
  label: string;
  config: ConfigName;
  maxRssMB: number | null;
  seconds: number;
  info: Record<string, string | number | boolean>;
  error?: string;
  skipped?: string[];
}

const figures: Figure[] = [];
const runs: RunRecord[] = [];
const infos = new Map<string, Record<string, string | number | boolean>>();

function toFigure(v: Variant, config: ConfigName, key: string, t: Timing, note: string | undefined): Figure {
  const c = configs[config];
  let unit: string, f: (s: number) => number;
  if (c.kind === 'train') {
    // brain.js trains on one sequence per iteration; the others on a batch.
    const tokens = v.peer === 'brain' ? c.seq : c.batch * c.seq;
    unit = v.peer === 'brain' ? 'chars/s' : 'tokens/s';
    f = (s) => tokens / s;
  } else if (c.kind === 'gen') {
    unit = 'us/step';
    f = (s) => s * 1e6;
  } else {
    const m = /(\d+)x(\d+)x(\d+)/.exec(key)!;
    const flops = 2 * Number(m[1]) * Number(m[2]) * Number(m[3]);
    unit = 'GFLOP/s';
    f = (s) => flops / s / 1e9;
  }
  const a = f(t.min), b = f(t.max);
  return {
    label: v.label, peer: v.peer, variant: v.variant, config, key, unit,
    median: f(t.median), min: Math.min(a, b), max: Math.max(a, b), secondsPerIter: t, ...(note ? { note } : {}),
  };
}

async function runVariant(v: Variant, config: ConfigName): Promise<void> {
  const job: Job = { name: config, variant: v.variant, config: configs[config], protocol: protocols[config] };
  const [cmd, args, env] = v.command(job);
  process.stderr.write(`  ${v.label} ${config} ... `);
  if (protocols[config].quietMs > 0) waitQuiet(protocols[config].quietMs);
  const r = await runChild(cmd, args, env, 20 * 60 * 1000);
  const rec: RunRecord = { label: v.label, config, maxRssMB: null, seconds: Math.round(r.seconds * 10) / 10, info: {} };
  for (const l of r.lines) {
    if (l.type === 'info') { rec.info = l.info; infos.set(v.label, { ...infos.get(v.label), ...l.info }); }
    else if (l.type === 'rss') rec.maxRssMB = Math.round(l.maxRssMB * 10) / 10;
    else if (l.type === 'timing') figures.push(toFigure(v, config, l.key, l.timing, l.note));
    else if (l.type === 'skip') (rec.skipped ??= []).push(`${l.key}: ${l.reason}`);
    else if (l.type === 'error') rec.error = l.message;
  }
  if (r.code !== 0 && !rec.error) rec.error = `exit code ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  runs.push(rec);
  process.stderr.write(`${rec.error ? `ERROR ${rec.error}` : 'ok'} (${rec.seconds} s, peak RSS ${rec.maxRssMB ?? '?'} MB)\n`);
}

/** Peak RSS of a child that only starts its runtime: what every figure of that runtime includes. */
async function baselines(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const report = `process.stdout.write('${MARK}' + JSON.stringify({ type: 'rss', maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\\n')`;
  // The node peers run compiled under plain node (no tsx loader), as nodeCmd starts them.
  const r = await runChild(process.execPath, ['-e', report], process.env, 60000);
  const n = r.lines.find((l) => l.type === 'rss');
  if (n && n.type === 'rss') out['plain node'] = Math.round(n.maxRssMB);
  if (peers.includes('torch')) {
    const py = await runChild(PYTHON, ['-c',
      `import resource, json, torch; print('${MARK}' + json.dumps({'type': 'rss', 'maxRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))`], torchEnv(2), 60000);
    const p = py.lines.find((l) => l.type === 'rss');
    if (p && p.type === 'rss') out['python + import torch'] = Math.round(p.maxRssMB);
  }
  return out;
}

// ---- tables -------------------------------------------------------------------------------------
function num(x: number): string {
  if (x >= 1000) return Math.round(x).toLocaleString('en-US');
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function cell(f: Figure | undefined): string {
  if (!f) return '–';
  return `**${num(f.median)}** (${num(f.min)}–${num(f.max)})${f.secondsPerIter.contended ? ' *' : ''}`;
}

function table(head: string[], rows: string[][]): string {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

function find(label: string, config: ConfigName, key: string): Figure | undefined {
  return figures.find((f) => f.label === label && f.config === config && f.key === key);
}

function rss(label: string, config: ConfigName): string {
  const r = runs.find((x) => x.label === label && x.config === config);
  if (!r) return '–';
  if (r.error) return 'error';
  return r.maxRssMB === null ? '?' : `${Math.round(r.maxRssMB)} MB`;
}

function errorFor(label: string, config: ConfigName): string | undefined {
  return runs.find((x) => x.label === label && x.config === config)?.error;
}

/** speed(a) / speed(b): > 1 means a is faster. */
function ratio(a: Figure | undefined, b: Figure | undefined): number | null {
  if (!a || !b) return null;
  return a.unit === 'us/step' ? b.median / a.median : a.median / b.median;
}

function fmtRatio(r: number | null): string {
  if (r === null) return '–';
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

let variants: Variant[] = [];
let peers: PeerName[] = [];

function render(meta: Record<string, string>, base: Record<string, number>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(meta)) out.push(`- ${k}: ${v}`);
  const labels = variants.map((v) => v.label);
  const c = configs['train-lstm'] as Extract<Config, { kind: 'train' }>;
  const g = configs.gen as Extract<Config, { kind: 'gen' }>;

  const ran = (cfg: ConfigName): boolean => runs.some((r) => r.config === cfg);
  if (ran('train-lstm') || ran('train-gru')) {
    out.push('', `**Training** (${c.batch > 1 ? `batch ${c.batch}, ` : ''}seq ${c.seq}, embedding ${c.vocab}→${c.input}, 1 layer hidden ${c.hidden}, dense to ${c.classes} classes, softmax cross-entropy, Adam): tokens/s, median (min–max) of the runs; peak RSS of that process`, '');
    const trows: string[][] = [];
    for (const l of labels) {
      const v = variants.find((x) => x.label === l)!;
      if (!v.configs.includes('train-lstm') && !v.configs.includes('train-gru')) continue;
      const e1 = errorFor(l, 'train-lstm'), e2 = errorFor(l, 'train-gru');
      trows.push([l + (v.peer === 'brain' ? ' (chars/s, batch 1)' : ''),
        e1 ? `error: ${e1}` : cell(find(l, 'train-lstm', 'train')), rss(l, 'train-lstm'),
        e2 ? `error: ${e2}` : cell(find(l, 'train-gru', 'train')), rss(l, 'train-gru')]);
    }
    out.push(table(['', 'LSTM', 'peak RSS', 'GRU', 'peak RSS'], trows));
  }

  if (ran('gen')) {
    out.push('', `**Generation** (${g.layers}-layer LSTM, input ${g.input}, hidden ${g.hidden}, batch 1, state carried, no gradients): µs/step, median (min–max)`, '');
    const grows: string[][] = [];
    for (const l of labels) {
      const e = errorFor(l, 'gen');
      if (!variants.find((x) => x.label === l)!.configs.includes('gen')) continue;
      grows.push([l, e ? `error: ${e}` : cell(find(l, 'gen', 'gen')), rss(l, 'gen')]);
      const viaCells = find(l, 'gen', 'gen-cell');
      if (viaCells) grows.push([`${l}, ${g.layers}× LSTMCell`, cell(viaCells), 'same process']);
      for (const [key, what] of [['gen-stepper', 'RecurrentStepper'], ['gen-stepper-int8', 'RecurrentStepper int8']] as const) {
        const f = find(l, 'gen', key);
        if (f) grows.push([`${l}, ${what}`, cell(f), 'same process']);
      }
    }
    out.push(table(['', 'µs/step', 'peak RSS'], grows));
  }

  // Ratios: each recur backend against each peer.
  const recurLabels = labels.filter((l) => l.startsWith('recur-'));
  const peerLabels = labels.filter((l) => !l.startsWith('recur-'));
  out.push('', '**Ratios**: recur ÷ peer in speed (tokens/s; 1/µs for generation); > 1 means recur is faster. brain.js trains one sequence at a time, so its ratio compares tokens/s with its chars/s.', '');
  const rrows: string[][] = [];
  for (const r of recurLabels) {
    for (const [cfg, key, name] of [['train-lstm', 'train', 'LSTM training'], ['train-gru', 'train', 'GRU training'], ['gen', 'gen', 'generation step'], ['gen', 'gen-cell', 'generation step, LSTMCell'],
      ['gen', 'gen-stepper', 'generation step, RecurrentStepper'], ['gen', 'gen-stepper-int8', 'generation step, RecurrentStepper int8']] as const) {
      if (!find(r, cfg, key)) continue;
      rrows.push([`${r} · ${name}`, ...peerLabels.map((p) => fmtRatio(ratio(find(r, cfg, key), find(p, cfg, cfg === 'gen' ? 'gen' : key))))]);
    }
  }
  out.push(table(['', ...peerLabels], rrows));

  // GEMM.
  if (ran('gemm')) {
    const gemmLabels = labels.filter((l) => variants.find((x) => x.label === l)!.configs.includes('gemm'));
    const gc = configs.gemm as Extract<Config, { kind: 'gemm' }>;
    const ref = gemmLabels.includes('torch-2t') ? 'torch-2t' : undefined;
    const ratioCols = ref ? recurLabels.filter((l) => l !== 'recur-js').map((l) => `${l.slice(6)} ÷ ${ref}`) : [];
    out.push('', '**GEMM** C = op(A)·op(B), M×N×K, N = no transpose, T = transposed: GFLOP/s, median (min–max)', '');
    const mrows: string[][] = [];
    for (const [M, N, K] of gc.shapes) {
      for (const [tA, tB] of TRANSPOSES) {
        const key = gemmKey(M, N, K, tA, tB);
        mrows.push([key.slice(5), ...gemmLabels.map((l) => cell(find(l, 'gemm', key))),
          ...(ref ? recurLabels.filter((l) => l !== 'recur-js').map((l) => fmtRatio(ratio(find(l, 'gemm', key), find(ref, 'gemm', key)))) : [])]);
      }
    }
    out.push(table(['', ...gemmLabels, ...ratioCols], mrows));
    const gemmRss = gemmLabels.map((l) => `${l} ${rss(l, 'gemm')}`).join(', ');
    out.push('', `Peak RSS of the GEMM processes: ${gemmRss}.`);
  }
  out.push('', `Runtime baselines (peak RSS of a process that only starts its runtime, included in every peak RSS above; the node peers run as compiled JavaScript under plain node, without a TypeScript loader): ${Object.entries(base).map(([k, v]) => `${k} ${v} MB`).join(', ') || '?'}.`);

  const notes: string[] = [];
  if (figures.some((f) => f.secondsPerIter.contended)) notes.push(`\\* a run of this figure started while other processes kept the CPUs busy (waited ${protocols.gen.quietMs / 1000} s for idle CPUs, then went ahead).`);
  for (const u of unavailable) notes.push(`${u.label}: not measured: ${u.reason}.`);
  for (const r of runs) if (r.skipped) for (const s of r.skipped) notes.push(`${r.label} ${r.config}: not measured: ${s}.`);
  if (notes.length) out.push('', ...notes.map((n) => `- ${n}`));
  return out.join('\n');
}

function updateReadme(section: string): void {
  const file = join(root, 'README.md');
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:start (generated by `npm run bench -- --readme`) -->';
  const end = '<!-- bench:end -->';
  const body = `${start}\n${section}\n${end}`;
  const i = text.indexOf(start), j = text.indexOf(end);
  let next: string;
  if (i >= 0 && j > i) next = text.slice(0, i) + body + text.slice(j + end.length);
  else next = `${text.replace(/\s*$/, '\n')}\n## Benchmarks\n\n${readmeIntro}\n\n${body}\n`;
  writeFileSync(file, next);
}

const readmeIntro = [
  '`npm run bench` runs recur (each available backend), TensorFlow.js (cpu and wasm backends),',
  'brain.js and PyTorch (when `/usr/bin/python3 -c \'import torch\'` works) side by side, each',
  'configuration in its own process, one at a time, and writes `bench/results.json`. Figures are',
  'medians of ≥ 5 timed runs after warm-up (min–max in brackets); peak RSS is the whole process',
  '(`maxRSS`), runtime included; the node peers run as JavaScript compiled by tsc into `build/bench/`,',
  'under plain `node` (no TypeScript loader), as a program using recur\'s compiled build does.',
  '`npm run bench -- --readme` replaces the table below. What each peer runs, and how brain.js',
  'differs, is written at the top of its file in `bench/peers/`.',
].join('\n');

// ---- main ---------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const before = load();
  peers = (onlyPeers ?? ['recur', 'tfjs', 'brain', 'torch']) as PeerName[];
  for (const p of peers) if (!['recur', 'tfjs', 'brain', 'torch'].includes(p)) throw new Error(`unknown peer '${p}'`);
  const cfgs = (onlyConfigs ?? ALL) as ConfigName[];
  for (const c of cfgs) if (!ALL.includes(c)) throw new Error(`unknown config '${c}' (use ${ALL.join(', ')})`);

  if (peers.some((p) => p !== 'torch')) compilePeers();
  if (peers.includes('recur')) variants.push(...recurVariants());
  if (peers.includes('tfjs')) variants.push(...tfjsVariants());
  if (peers.includes('brain')) variants.push(...brainVariants());
  if (peers.includes('torch')) variants.push(...torchVariants());

  console.error(`# recur benchmark${tiny ? ' (--tiny: plumbing check, figures meaningless)' : ''}; load before: ${before.uptime}`);
  // The code measured is the tree as compiled now; edits made while the bench runs are not in it.
  const git = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no']);
  const base = await baselines();
  for (const config of cfgs) {
    for (const v of variants) if (v.configs.includes(config)) await runVariant(v, config);
  }
  const after = load();

  const info = (label: string): Record<string, string | number | boolean> => infos.get(label) ?? {};
  const torch = info('torch-2t'), tfw = info('tfjs-wasm'), native = info('recur-native'), wasm = info('recur-wasm');
  const blasAlt = sh('update-alternatives', ['--query', 'libblas.so.3-x86_64-linux-gnu']);
  const systemBlas = /^Value:\s*(.*)$/m.exec(blasAlt ?? '')?.[1] ?? '?';
  const meta: Record<string, string> = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `${cpuModel()}; ${cpus().length} cores; ${Math.round(totalmem() / 2 ** 30)} GiB; ${process.platform} ${process.arch}`,
    load: `before ${before.loadavg.join(' ')}, after ${after.loadavg.join(' ')} (1/5/15-min averages)`,
    node: `${process.version} (V8 ${process.versions.v8})`,
    recur: `${git ?? '?'}${dirty ? ' + uncommitted changes' : ''}; backends ${variants.filter((v) => v.peer === 'recur').map((v) => v.variant).join(', ')}` +
      `${wasm.wasmBuild ? `; wasm ${wasm.wasmBuild} SIMD build, GEMMs above 8 MFLOP and matrix-vector products over 1 MiB on ${wasm.threads ?? '?'} threads` : ''}` +
      `${native.blas ? `; native ${native.nativeBuild} with ${native.blas}, ${native.threads} threads` : ''}`,
    'TensorFlow.js': tfw.tfjs ? `${tfw.tfjs} (wasm backend: SIMD ${tfw.simd ? 'on' : 'off'}, ${tfw.threads} thread${tfw.multithread ? 's' : ' — tfjs disables its threaded build in Node'}; cpu backend: plain JS)` : 'not measured',
    'brain.js': info('brain.js').brainjs ? `${info('brain.js').brainjs} (CPU; installed in bench/peers/brain, without gl)` : 'not measured',
    PyTorch: torch.torch
      ? `${torch.torch}, Python ${torch.python}; BLAS loaded: ${torch.openblasConfig ?? torch.blasLibs} (${torch.openblasParallel ?? '?'}; ${String(torch.blasLibs).split(' ').filter((s) => s.includes('libblas')).join(' ')})` +
        `; system libblas.so.3 alternative: ${systemBlas}` +
        `${torchBlas !== 'openmp' ? '' : existsSync(OPENMP_BLAS_DIR) ? `; torch run with LD_LIBRARY_PATH=${OPENMP_BLAS_DIR}` : '; OpenMP OpenBLAS not installed (apt-get install libopenblas0-openmp), so the system BLAS'}` +
        '; torch-2t / torch-1t = 2 / 1 threads'
      : 'not measured',
  };

  const section = render(meta, base);
  console.log(section);
  const results = {
    tiny, date: meta.date, machine: meta.machine, node: meta.node, meta,
    load: { before, after }, configs, protocols, baselinesMB: base, infos: Object.fromEntries(infos),
    unavailable, runs, figures,
    ratios: figures.filter((f) => f.peer === 'recur').flatMap((f) => variants.filter((v) => v.peer !== 'recur').map((v) => {
      const r = ratio(f, find(v.label, f.config, f.key.startsWith('gen-') ? 'gen' : f.key));
      return r === null ? null : { recur: f.label, peer: v.label, config: f.config, key: f.key, speedRatio: Math.round(r * 1000) / 1000 };
    }).filter((x) => x !== null)),
  };
  writeFileSync(outFile, `${JSON.stringify(results, null, 1)}\n`);
  console.error(`wrote ${relative(root, outFile) || outFile}`);
  if (writeReadme) {
    updateReadme(section);
    console.error('updated README.md (## Benchmarks)');
  }
}

await main();
