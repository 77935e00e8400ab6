/**
 * `npm run bench`: recur (every available backend) side by side with TensorFlow.js (cpu, wasm),
 * brain.js and PyTorch, in one run. Each (peer, variant, config) runs in its own child process,
 * one after another, never two at once: peak RSS is that child's alone, and one peer's JIT or
 * GC cannot disturb another's. Children print JSON lines (bench/peers/protocol.ts); this file
 * collects them, prints the tables and writes bench/results.json.
 *
 * Fairness: each figure is one continuous window after warm-up (protocol.ts), peers alternate in
 * rounds (A B A B ...), and ratios are taken within a round, then summarised as median and range.
 * PyTorch runs with OMP_NUM_THREADS only (scripts/torch-env.ts) and is compared at the better of
 * 1 and 2 threads in each round. Every process reports a 512³ GEMM rate and its threads, printed
 * next to the figures, so a handicapped peer shows.
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
 *   --rounds N                          rounds of the training and generation configs (default 3;
 *                                       recur-js, tfjs-cpu and brain.js, far from the rest, run 1)
 *   --window-s S                        training window in seconds (default 20)
 *   --quiet-ms N                        wait at most N ms for idle CPUs before each process starts,
 *                                       never inside its window (default 10000)
 *   --soak [--steps N]                  instead: the 10,000-step RSS soak of bench/soak.ts (restarts
 *                                       itself under node --no-memory-reducer)
 *   --profile [--configs C] [--seconds S]  instead: where a training step's time goes, per kernel
 *                                       (bench/profile.ts), on the backend RECUR_BACKEND selects
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
import { median, waitQuiet } from './common.js';
import { benchConfigs, type ConfigName } from './configs.js';
import { MARK, TRANSPOSES, gemmKey, type Config, type Job, type Line, type Protocol, type Timing } from './peers/protocol.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);

// ---- options ------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
if (argv.includes('--soak')) {
  const { soakMain } = await import('./soak.js');
  process.exit(await soakMain(argv));
}
if (argv.includes('--profile')) {
  const { profileMain } = await import('./profile.js');
  process.exit(await profileMain(argv));
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
const quietMs = Number(opt('--quiet-ms') ?? (tiny ? 0 : 10000));
const rounds = Number(opt('--rounds') ?? (tiny ? 2 : 3));
const windowS = Number(opt('--window-s') ?? 20);
if (!(quietMs >= 0)) throw new Error(`--quiet-ms must be a number of milliseconds >= 0, got ${opt('--quiet-ms')}`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number >= 1, got ${opt('--rounds')}`);
if (!(windowS > 0)) throw new Error(`--window-s must be a number of seconds > 0, got ${opt('--window-s')}`);
if (torchBlas !== 'openmp' && torchBlas !== 'system') throw new Error(`--torch-blas must be openmp or system, got ${torchBlas}`);

// ---- configurations -----------------------------------------------------------------------------
type PeerName = 'recur' | 'tfjs' | 'brain' | 'torch';
const configs = benchConfigs(tiny);

const protocols: Record<ConfigName, Protocol> = tiny
  ? {
    'train-lstm': { warmup: 1, warmupMs: 20, windowMs: 100, sliceMs: 20 },
    'train-gru': { warmup: 1, warmupMs: 20, windowMs: 100, sliceMs: 20 },
    gen: { warmup: 2, warmupMs: 20, windowMs: 50, sliceMs: 10 },
    gemm: { warmup: 2, warmupMs: 5, windowMs: 20, sliceMs: 5 },
  }
  : {
    'train-lstm': { warmup: 2, warmupMs: 3000, windowMs: windowS * 1000, sliceMs: 2000 },
    'train-gru': { warmup: 2, warmupMs: 3000, windowMs: windowS * 1000, sliceMs: 2000 },
    gen: { warmup: 20, warmupMs: 1500, windowMs: 5000, sliceMs: 500 },
    gemm: { warmup: 3, warmupMs: 200, windowMs: 1500, sliceMs: 250 },
  };
/** GEMM figures are not compared round by round; one round keeps the run short. */
const roundsOf = (config: ConfigName, v: Variant): number => (config === 'gemm' || v.slow ? 1 : rounds);

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
  /** Orders of magnitude from the rest: one round only. */
  slow?: boolean;
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
    peer: 'recur', variant: b, label: `recur-${b}`, configs: ALL, slow: b === 'js',
    command: nodeCmd('recur.ts', { ...process.env, RECUR_BACKEND: b }),
  }));
}

function tfjsVariants(): Variant[] {
  if (!existsSync(join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm'))) {
    unavailable.push({ label: 'tfjs', reason: '@tensorflow/tfjs not installed (npm ci installs the dev dependencies)' });
    return [];
  }
  return ['wasm', 'cpu'].map((b) => ({
    peer: 'tfjs', variant: b, label: `tfjs-${b}`, configs: ALL, slow: b === 'cpu', command: nodeCmd('tfjs.ts', { ...process.env }),
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
  return [{ peer: 'brain', variant: 'cpu', label: 'brain.js', configs: ['train-lstm', 'train-gru', 'gen'], slow: true, command: nodeCmd('brain.ts', { ...process.env }) }];
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
  /** 1-based round of the alternation. */
  round: number;
  /** 'tokens/s', 'chars/s', 'us/step' or 'GFLOP/s'. */
  unit: string;
  /** The whole window's rate in the unit. */
  value: number;
  /** Slowest and fastest slice of the window in the unit. */
  sliceMin: number;
  sliceMax: number;
  timing: Timing;
  note?: string;
}

interface RunRecord {
  label: string;
  config: ConfigName;
  round: number;
  maxRssMB: number | null;
  seconds: number;
  /** The CPUs were still busy when the quiet wait gave up, before this process started. */
  contended: boolean;
  info: Record<string, string | number | boolean>;
  error?: string;
  skipped?: string[];
}

const figures: Figure[] = [];
const runs: RunRecord[] = [];
const infos = new Map<string, Record<string, string | number | boolean>>();
/** 512³ GEMM GFLOP/s reported by each process of a label. */
const gemmRates = new Map<string, number[]>();

function toFigure(v: Variant, config: ConfigName, round: number, key: string, t: Timing, note: string | undefined): Figure {
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
  const a = f(t.sliceMin), b = f(t.sliceMax);
  return {
    label: v.label, peer: v.peer, variant: v.variant, config, key, round, unit,
    value: f(t.perIter), sliceMin: Math.min(a, b), sliceMax: Math.max(a, b), timing: t, ...(note ? { note } : {}),
  };
}

async function runVariant(v: Variant, config: ConfigName, round: number): Promise<void> {
  const job: Job = { name: config, variant: v.variant, config: configs[config], protocol: protocols[config] };
  const [cmd, args, env] = v.command(job);
  process.stderr.write(`  round ${round}: ${v.label} ${config} ... `);
  // Before the process, never inside its window (protocol.ts).
  const contended = quietMs > 0 && !waitQuiet(quietMs);
  const r = await runChild(cmd, args, env, 20 * 60 * 1000);
  const rec: RunRecord = { label: v.label, config, round, maxRssMB: null, seconds: Math.round(r.seconds * 10) / 10, contended, info: {} };
  for (const l of r.lines) {
    if (l.type === 'info') {
      rec.info = l.info;
      infos.set(v.label, { ...infos.get(v.label), ...l.info });
      if (typeof l.info.gemm512 === 'number') gemmRates.set(v.label, [...(gemmRates.get(v.label) ?? []), l.info.gemm512]);
    } else if (l.type === 'rss') rec.maxRssMB = Math.round(l.maxRssMB * 10) / 10;
    else if (l.type === 'timing') figures.push(toFigure(v, config, round, l.key, l.timing, l.note));
    else if (l.type === 'skip') (rec.skipped ??= []).push(`${l.key}: ${l.reason}`);
    else if (l.type === 'error') rec.error = l.message;
  }
  if (r.code !== 0 && !rec.error) rec.error = `exit code ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  runs.push(rec);
  process.stderr.write(`${rec.error ? `ERROR ${rec.error}` : 'ok'} (${rec.seconds} s, peak RSS ${rec.maxRssMB ?? '?'} MB${contended ? ', started on busy CPUs' : ''})\n`);
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

/** Median and range of a list, as `**m** (lo–hi)`, or the single value with its slice range. */
function summary(xs: number[], fmt: (x: number) => string): string {
  if (xs.length === 0) return '–';
  if (xs.length === 1) return `**${fmt(xs[0]!)}**`;
  return `**${fmt(median(xs))}** (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
}

/** One figure per round of (label, config, key). 'torch-best' is the faster of torch-1t/2t in each round. */
function byRound(label: string, config: ConfigName, key: string): Map<number, Figure> {
  const out = new Map<number, Figure>();
  const labels = label === 'torch-best' ? ['torch-1t', 'torch-2t'] : [label];
  for (const f of figures) {
    if (!labels.includes(f.label) || f.config !== config || f.key !== key) continue;
    const prev = out.get(f.round);
    if (!prev || speed(f) > speed(prev)) out.set(f.round, f);
  }
  return out;
}

/** Larger is faster, whatever the unit. */
function speed(f: Figure): number {
  return f.unit === 'us/step' ? 1 / f.value : f.value;
}

function cell(label: string, config: ConfigName, key: string): string {
  const fs = [...byRound(label, config, key).values()];
  if (fs.length === 0) return '–';
  if (fs.length === 1) return `**${num(fs[0]!.value)}** [${num(fs[0]!.sliceMin)}–${num(fs[0]!.sliceMax)}]`;
  return summary(fs.map((f) => f.value), num);
}

/** Speed ratios a ÷ b of the rounds both ran (> 1: a is faster). */
function roundRatios(a: string, b: string, config: ConfigName, keyA: string, keyB: string): number[] {
  const ra = byRound(a, config, keyA), rb = byRound(b, config, keyB);
  const out: number[] = [];
  for (const [r, fa] of ra) {
    const fb = rb.get(r);
    if (fb) out.push(speed(fa) / speed(fb));
  }
  return out;
}

function fmtRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

function table(head: string[], rows: string[][]): string {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

function rss(label: string, config: ConfigName): string {
  const rs = runs.filter((x) => x.label === label && x.config === config);
  if (rs.length === 0) return '–';
  if (rs.some((r) => r.error)) return 'error';
  const mb = rs.map((r) => r.maxRssMB).filter((x): x is number => x !== null);
  return mb.length ? `${Math.round(Math.max(...mb))} MB` : '?';
}

function errorFor(label: string, config: ConfigName): string | undefined {
  return runs.find((x) => x.label === label && x.config === config && x.error)?.error;
}

let variants: Variant[] = [];
let peers: PeerName[] = [];

function render(meta: Record<string, string>, base: Record<string, number>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(meta)) out.push(`- ${k}: ${v}`);
  const labels = variants.map((v) => v.label);
  const c = configs['train-lstm'] as Extract<Config, { kind: 'train' }>;
  const g = configs.gen as Extract<Config, { kind: 'gen' }>;
  const pt = protocols['train-lstm'], pg = protocols.gen;
  const roundsNote = (v: Variant, cfg: ConfigName): string => (roundsOf(cfg, v) === 1 && rounds > 1 ? ' (1 round)' : '');

  const ran = (cfg: ConfigName): boolean => runs.some((r) => r.config === cfg);
  if (ran('train-lstm') || ran('train-gru')) {
    out.push('', `**Training** (${c.batch > 1 ? `batch ${c.batch}, ` : ''}seq ${c.seq}, embedding ${c.vocab}→${c.input}, 1 layer hidden ${c.hidden}, dense to ${c.classes} classes, softmax cross-entropy, Adam): tokens/s over a continuous ${pt.windowMs / 1000}-s window after ${pt.warmupMs / 1000} s of warm-up; median (min–max) over ${rounds} alternating rounds, or one round's window [slowest–fastest ${pt.sliceMs / 1000}-s slice]; peak RSS of the process`, '');
    const trows: string[][] = [];
    for (const l of labels) {
      const v = variants.find((x) => x.label === l)!;
      if (!v.configs.includes('train-lstm') && !v.configs.includes('train-gru')) continue;
      const e1 = errorFor(l, 'train-lstm'), e2 = errorFor(l, 'train-gru');
      trows.push([l + (v.peer === 'brain' ? ' (chars/s, batch 1)' : '') + roundsNote(v, 'train-lstm'),
        e1 ? `error: ${e1}` : cell(l, 'train-lstm', 'train'), rss(l, 'train-lstm'),
        e2 ? `error: ${e2}` : cell(l, 'train-gru', 'train'), rss(l, 'train-gru')]);
    }
    out.push(table(['', 'LSTM', 'peak RSS', 'GRU', 'peak RSS'], trows));
  }

  if (ran('gen')) {
    out.push('', `**Generation** (${g.layers}-layer LSTM, input ${g.input}, hidden ${g.hidden}, batch 1, state carried, no gradients): µs/step over a continuous ${pg.windowMs / 1000}-s window; median (min–max) over rounds`, '');
    const grows: string[][] = [];
    for (const l of labels) {
      const v = variants.find((x) => x.label === l)!;
      if (!v.configs.includes('gen')) continue;
      const e = errorFor(l, 'gen');
      grows.push([l + roundsNote(v, 'gen'), e ? `error: ${e}` : cell(l, 'gen', 'gen'), rss(l, 'gen')]);
      for (const [key, what] of [['gen-cell', `${g.layers}× LSTMCell`], ['gen-stepper', 'RecurrentStepper'], ['gen-stepper-int8', 'RecurrentStepper int8']] as const) {
        if (byRound(l, 'gen', key).size) grows.push([`${l}, ${what}`, cell(l, 'gen', key), 'same process']);
      }
    }
    out.push(table(['', 'µs/step', 'peak RSS'], grows));
  }

  // Ratios: each recur backend against each peer, round by round.
  const recurLabels = labels.filter((l) => l.startsWith('recur-'));
  const peerLabels = labels.filter((l) => !l.startsWith('recur-'));
  if (peerLabels.includes('torch-1t') && peerLabels.includes('torch-2t')) peerLabels.push('torch-best');
  out.push('', '**Ratios**: recur ÷ peer in speed (tokens/s; 1/µs for generation), taken within each round, then median (min–max) over the rounds; > 1 means recur is faster. torch-best is the faster of torch-1t and torch-2t in each round. A peer run for one round is compared with recur\'s first round. brain.js trains one sequence at a time, so its ratio compares tokens/s with its chars/s.', '');
  const rrows: string[][] = [];
  for (const r of recurLabels) {
    for (const [cfg, key, name] of [['train-lstm', 'train', 'LSTM training'], ['train-gru', 'train', 'GRU training'], ['gen', 'gen', 'generation step'], ['gen', 'gen-cell', 'generation step, LSTMCell'],
      ['gen', 'gen-stepper', 'generation step, RecurrentStepper'], ['gen', 'gen-stepper-int8', 'generation step, RecurrentStepper int8']] as const) {
      if (!byRound(r, cfg, key).size) continue;
      rrows.push([`${r} · ${name}`, ...peerLabels.map((p) => summary(roundRatios(r, p, cfg, key, cfg === 'gen' ? 'gen' : key), fmtRatio).replace(/\*\*/g, ''))]);
    }
  }
  out.push(table(['', ...peerLabels], rrows));

  // GEMM.
  if (ran('gemm')) {
    const gemmLabels = labels.filter((l) => variants.find((x) => x.label === l)!.configs.includes('gemm'));
    const gc = configs.gemm as Extract<Config, { kind: 'gemm' }>;
    const ref = gemmLabels.includes('torch-2t') ? 'torch-2t' : undefined;
    const fast = recurLabels.filter((l) => l !== 'recur-js');
    const ratioCols = ref ? fast.map((l) => `${l.slice(6)} ÷ ${ref}`) : [];
    out.push('', `**GEMM** C = op(A)·op(B), M×N×K, N = no transpose, T = transposed: GFLOP/s over a continuous ${protocols.gemm.windowMs / 1000}-s window [slowest–fastest ${protocols.gemm.sliceMs} ms slice]`, '');
    const mrows: string[][] = [];
    for (const [M, N, K] of gc.shapes) {
      for (const [tA, tB] of TRANSPOSES) {
        const key = gemmKey(M, N, K, tA, tB);
        mrows.push([key.slice(5), ...gemmLabels.map((l) => cell(l, 'gemm', key)),
          ...(ref ? fast.map((l) => summary(roundRatios(l, ref, 'gemm', key, key), fmtRatio).replace(/\*\*/g, '')) : [])]);
      }
    }
    out.push(table(['', ...gemmLabels, ...ratioCols], mrows));
    out.push('', `Peak RSS of the GEMM processes: ${gemmLabels.map((l) => `${l} ${rss(l, 'gemm')}`).join(', ')}.`);
  }
  out.push('', `Runtime baselines (peak RSS of a process that only starts its runtime, included in every peak RSS above; the node peers run as compiled JavaScript under plain node, without a TypeScript loader): ${Object.entries(base).map(([k, v]) => `${k} ${v} MB`).join(', ') || '?'}.`);

  const notes: string[] = [];
  const busy = runs.filter((r) => r.contended);
  if (busy.length) notes.push(`${busy.length} of ${runs.length} processes started while other processes kept the CPUs busy (waited ${quietMs / 1000} s for idle CPUs, then went ahead): ${busy.map((r) => `${r.label} ${r.config} round ${r.round}`).join(', ')}.`);
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
  'continuous windows after warm-up (20 s for training), with peers alternating in 3 rounds; ratios',
  'are taken within a round and shown as median (min–max); PyTorch runs with `OMP_NUM_THREADS` only',
  'and is also shown at the better of 1 and 2 threads (torch-best); peak RSS is the whole process',
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
  // Rounds alternate the peers (A B A B ...), so a drift of the machine's speed hits every peer.
  for (const config of cfgs) {
    for (let round = 1; round <= rounds; round++) {
      for (const v of variants) if (v.configs.includes(config) && round <= roundsOf(config, v)) await runVariant(v, config, round);
    }
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
        `; torch-2t / torch-1t = torch.get_num_threads() ${info('torch-2t').threads ?? '?'} / ${info('torch-1t').threads ?? '?'}, interop threads ${torch.interopThreads ?? '?'}; environment OMP_NUM_THREADS only`
      : 'not measured',
    'GEMM 512³ at each process start': [...gemmRates].map(([l, xs]) => `${l} ${num(median(xs))}`).join(', ') + ' GFLOP/s (median over its processes; a peer far below its usual rate here was handicapped)',
  };

  const section = render(meta, base);
  console.log(section);
  const results = {
    tiny, date: meta.date, machine: meta.machine, node: meta.node, meta,
    load: { before, after }, configs, protocols, baselinesMB: base, infos: Object.fromEntries(infos),
    unavailable, runs, figures,
    ratios: figures.filter((f) => f.peer === 'recur' && f.round === 1).flatMap((f) => [...variants.filter((v) => v.peer !== 'recur').map((v) => v.label), 'torch-best'].map((peer) => {
      const rs = roundRatios(f.label, peer, f.config, f.key, f.key.startsWith('gen-') ? 'gen' : f.key);
      return rs.length === 0 ? null : { recur: f.label, peer, config: f.config, key: f.key, perRound: rs.map((r) => Math.round(r * 1000) / 1000), median: Math.round(median(rs) * 1000) / 1000 };
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
