/**
 * What bench/run.ts and every peer process (bench/peers/*.ts, bench/peers/torch_bench.py) agree
 * on: the job a child is given (one JSON argument), the timing protocol, and the JSON lines a
 * child prints back (each prefixed with MARK so library chatter on stdout is ignored).
 *
 * Timing protocol (the same in torch_bench.py): warm-up for at least `warmupMs` and `warmup`
 * iterations, calibrate `reps` so one run lasts ~targetMs, then `runs` timed runs of `reps`
 * iterations; each run starts once the CPUs are idle (waitQuiet from bench/common.ts, at most
 * quietMs). A figure is the median over the runs of the per-iteration time, with min and max.
 */
import { waitQuiet } from '../common.js';

export const MARK = '@@BENCH ';

export type Cell = 'lstm' | 'gru';

/** Training: embedding(vocab→input) → 1-layer cell (hidden) → dense(hidden→classes) → softmax CE → Adam. */
export interface TrainConfig {
  kind: 'train';
  cell: Cell;
  vocab: number;
  input: number;
  hidden: number;
  batch: number;
  seq: number;
  classes: number;
}

/** Generation: one step of a stacked LSTM at batch 1 with the state carried over, no gradients. */
export interface GenConfig {
  kind: 'gen';
  input: number;
  hidden: number;
  layers: number;
}

/** C = op(A)·op(B) for each shape and each transpose combination. */
export interface GemmConfig {
  kind: 'gemm';
  shapes: Array<[M: number, N: number, K: number]>;
}

export type Config = TrainConfig | GenConfig | GemmConfig;

export interface Protocol {
  /** Minimum warm-up iterations (also at least warmupMs). */
  warmup: number;
  warmupMs: number;
  runs: number;
  /** Each run lasts about this long (at least one iteration). */
  targetMs: number;
  /** Wait at most this long for idle CPUs before each run (0 = never wait). */
  quietMs: number;
}

/** The single argument a peer process receives. */
export interface Job {
  /** Name of the configuration, e.g. 'train-lstm'. */
  name: string;
  /** Peer-specific variant: recur backend, tfjs backend, torch thread count... */
  variant: string;
  config: Config;
  protocol: Protocol;
}

/** Seconds per iteration over the runs. */
export interface Timing {
  median: number;
  min: number;
  max: number;
  runs: number;
  reps: number;
  /** Some run started while other processes kept the CPUs busy. */
  contended: boolean;
}

export type Line =
  | { type: 'info'; info: Record<string, string | number | boolean> }
  | { type: 'timing'; key: string; timing: Timing; note?: string }
  | { type: 'skip'; key: string; reason: string }
  | { type: 'rss'; maxRssMB: number }
  | { type: 'error'; message: string };

export function emit(line: Line): void {
  process.stdout.write(`${MARK}${JSON.stringify(line)}\n`);
}

export function parseJob(): Job {
  const arg = process.argv[2];
  if (!arg) throw new Error('usage: <peer> <job JSON>');
  return JSON.parse(arg) as Job;
}

function summarize(samples: number[], reps: number, contended: boolean): Timing {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]!, runs: s.length, reps, contended };
}

function quiet(p: Protocol): boolean {
  return p.quietMs <= 0 || waitQuiet(p.quietMs);
}

/** Times a synchronous iteration. */
export function timeSync(fn: () => void, p: Protocol): Timing {
  const t0 = performance.now();
  let n = 0;
  while (n < p.warmup || performance.now() - t0 < p.warmupMs) { fn(); n++; }
  const reps = Math.max(1, Math.round(p.targetMs / ((performance.now() - t0) / n)));
  const samples: number[] = [];
  let contended = false;
  for (let r = 0; r < p.runs; r++) {
    if (!quiet(p)) contended = true;
    const s = performance.now();
    for (let i = 0; i < reps; i++) fn();
    samples.push((performance.now() - s) / reps / 1000);
  }
  return summarize(samples, reps, contended);
}

/** Times an asynchronous iteration (training steps that await memory reclamation). */
export async function timeAsync(fn: () => Promise<void>, p: Protocol): Promise<Timing> {
  const t0 = performance.now();
  let n = 0;
  while (n < p.warmup || performance.now() - t0 < p.warmupMs) { await fn(); n++; }
  const reps = Math.max(1, Math.round(p.targetMs / ((performance.now() - t0) / n)));
  const samples: number[] = [];
  let contended = false;
  for (let r = 0; r < p.runs; r++) {
    if (!quiet(p)) contended = true;
    const s = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    samples.push((performance.now() - s) / reps / 1000);
  }
  return summarize(samples, reps, contended);
}

/** Deterministic pseudo-random integers in [0, n) (xorshift32), identical in every peer. */
export function randomIds(count: number, n: number, seed: number): Int32Array {
  const out = new Int32Array(count);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x % n;
  }
  return out;
}

export const TRANSPOSES: ReadonlyArray<readonly [boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];

export function gemmKey(M: number, N: number, K: number, tA: boolean, tB: boolean): string {
  return `gemm ${M}x${N}x${K} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
}

/** Runs a peer's main function: reports errors as a line, and peak RSS at the end. */
export async function runPeer(main: (job: Job) => Promise<void>): Promise<void> {
  try {
    await main(parseJob());
  } catch (e) {
    emit({ type: 'error', message: e instanceof Error ? `${e.message}` : String(e) });
    process.exitCode = 1;
  }
  emit({ type: 'rss', maxRssMB: process.resourceUsage().maxRSS / 1024 });
}
