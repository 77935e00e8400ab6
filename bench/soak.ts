/**
 * Soak: a long training run of a small model must keep its memory flat. `npm run bench -- --soak`
 * trains a character LSTM language model for 10,000 steps (with evaluations and best/last
 * checkpoint writes every 500 steps) and samples the process RSS after every step. The first
 * 20% of the steps are a warm-up (the V8 heap, the JIT and the wasm memory, which never
 * shrinks, grow to their working size over the first evaluations); the baseline is the median
 * RSS of the next 10%, and every sample after the warm-up must stay within ±5% of it. It
 * prints the figure and exits 1 when RSS is not flat.
 *
 * The soak runs with V8's own memory policies pinned (it restarts itself under
 * `--no-memory-reducer --min-semi-space-size=16`), so what it sees is recur's memory, not V8's
 * timing. Measured with /proc/self/smaps and v8.getHeapSpaceStatistics (2026-12-06):
 * - the memory reducer fires on a wall-clock timer (8 s after a full collection, then again)
 *   and discards the free parts of heap pages it keeps committed: RSS fell by 7–11 MB (5–8%)
 *   at moments that moved from run to run, heapTotal unchanged;
 * - the young generation grows from 2×8 to 2×16 MiB when enough has survived scavenges, which
 *   happened before step 2,000 in some runs and after step 2,500 in others: +6 MB of RSS.
 * Neither is growth of the kind a leak shows; with both pinned the soak's limit applies to
 * everything else.
 *
 *   npm run bench -- --soak                          10,000 steps
 *   npm run bench -- --soak --steps 2000 --warmup 1200   a short check of the plumbing
 *   --out FILE                                       also write the figures as JSON
 *   --memory-reducer                                 leave V8's memory policies as they are (no restart)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendName } from '../src/kernels/index.js';
import { trainLm, type LmTrainOptions } from '../src/tasks/lm/train.js';

export interface SoakResult {
  steps: number;
  backend: string;
  warmup: number;
  /** Median RSS over the 10% of the steps after the warm-up (bytes). */
  baselineRss: number;
  minRss: number;
  maxRss: number;
  finalRss: number;
  /** Largest deviation of a post-warm-up sample from the baseline, as a fraction. */
  maxDeviation: number;
  /** Largest rise above the baseline, as a fraction (what a leak shows as). */
  maxRise: number;
  /** Whether V8's memory policies were left free (`--memory-reducer`) rather than pinned. */
  memoryReducer: boolean;
  flat: boolean;
}

const TOLERANCE = 0.05;
const NO_REDUCER = '--no-memory-reducer';
const FULL_YOUNG = '--min-semi-space-size=16';

export async function runSoak(argv: readonly string[]): Promise<SoakResult> {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const steps = Number(opt('--steps') ?? 10_000);
  if (!Number.isInteger(steps) || steps < 100) throw new Error(`--steps must be a whole number >= 100, got ${opt('--steps')}`);
  const dir = mkdtempSync(join(tmpdir(), 'recur-soak-'));
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, 'It was the best of times, it was the worst of times, it was the age of wisdom. '.repeat(400));
  const o: LmTrainOptions = {
    corpus, level: 'char', cell: 'lstm', layers: 1, hidden: 64, embed: 16, dropout: 0, tie: false, batch: 8, bptt: 32,
    lr: 0.002, optimizer: 'adam', clip: 5, steps, evalEvery: 500, seed: 0, out: join(dir, 'run'), resume: false,
  };
  const warmup = Number(opt('--warmup') ?? Math.ceil(steps / 5));
  if (!Number.isInteger(warmup) || warmup < 0 || warmup + steps / 10 >= steps) throw new Error(`--warmup must leave at least 10% of the steps to measure, got ${warmup}`);
  const window = warmup + Math.ceil(steps / 10);
  const base: number[] = [];
  const after: number[] = [];
  await trainLm(o, (e) => {
    if (e.type !== 'step') return;
    const rss = process.memoryUsage().rss;
    if (e.step > warmup) after.push(rss);
    if (e.step > warmup && e.step <= window) base.push(rss);
    if (e.step % Math.max(100, Math.floor(steps / 20)) === 0) process.stderr.write(`soak: step ${e.step}/${steps}, RSS ${(rss / 2 ** 20).toFixed(1)} MiB\n`);
  });
  rmSync(dir, { recursive: true, force: true });
  const sorted = [...base].sort((a, b) => a - b);
  const baselineRss = sorted[sorted.length >> 1]!;
  const maxDeviation = Math.max(...after.map((r) => Math.abs(r - baselineRss) / baselineRss));
  return {
    steps, warmup, backend: backendName(), baselineRss, minRss: Math.min(...after), maxRss: Math.max(...after), finalRss: after[after.length - 1]!,
    maxDeviation, maxRise: (Math.max(...after) - baselineRss) / baselineRss, memoryReducer: !process.execArgv.includes(NO_REDUCER),
    flat: maxDeviation <= TOLERANCE,
  };
}

export function formatSoak(r: SoakResult): string {
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  return `soak (${r.backend}): ${r.steps} steps of a char LSTM LM (H 64, B 8, T 32, checkpoints every 500): after ${r.warmup} warm-up steps ` +
    `RSS baseline ${mib(r.baselineRss)} (median of the next 10%), range ${mib(r.minRss)}..${mib(r.maxRss)}, final ${mib(r.finalRss)}; ` +
    `largest deviation ${(100 * r.maxDeviation).toFixed(2)}%, largest rise ${(100 * r.maxRise).toFixed(2)}% (limit ±${100 * TOLERANCE}%; ` +
    `V8 ${r.memoryReducer ? 'memory reducer on' : 'memory reducer off, young generation fixed at 2×16 MiB'}): ${r.flat ? 'flat' : 'NOT FLAT'}`;
}

/** Runs the soak, prints the figure, writes `--out FILE` if given; exit code 1 when RSS is not flat. */
export async function soakMain(argv: readonly string[]): Promise<number> {
  if (!process.execArgv.includes(NO_REDUCER) && !argv.includes('--memory-reducer')) {
    const child = spawnSync(process.execPath, [...process.execArgv, NO_REDUCER, FULL_YOUNG, process.argv[1]!, ...argv], { stdio: 'inherit' });
    return child.status ?? 1;
  }
  const r = await runSoak(argv);
  console.log(formatSoak(r));
  const i = argv.indexOf('--out');
  if (i >= 0 && argv[i + 1]) writeFileSync(argv[i + 1]!, JSON.stringify(r, null, 2) + '\n');
  return r.flat ? 0 : 1;
}
