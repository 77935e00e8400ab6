/**
 * What bench/run.ts and every peer process (bench/peers/*.ts, bench/peers/torch_bench.py) agree
 * on: the job a child is given (one JSON argument), the timing protocol, and the JSON lines a
 * child prints back (each prefixed with MARK so library chatter on stdout is ignored).
 *
 * Timing protocol (the same in torch_bench.py): warm up for at least `warmupMs` and `warmup`
 * iterations, then run continuously for one window of at least `windowMs`, never pausing: that is
 * how training and generation are used, and a pause lets a peer's thread pool go cold (PyTorch's
 * OpenMP pool measurably does). The figure is the whole window's time per iteration; the window is
 * also cut into ~`sliceMs` slices, whose fastest and slowest show how steady it was. bench/run.ts
 * waits for idle CPUs before it starts a peer's process, never inside the window, and alternates
 * peers in rounds.
 */

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
  /** The timed window lasts at least this long, with no pause inside. */
  windowMs: number;
  /** Slices of the window, for the steadiness range. */
  sliceMs: number;
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

/** Seconds per iteration over one continuous window. */
export interface Timing {
  /** Whole window: elapsed seconds / iterations. */
  perIter: number;
  /** Fastest and slowest slice of the window, seconds per iteration. */
  sliceMin: number;
  sliceMax: number;
  slices: number;
  iters: number;
  windowSeconds: number;
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

/** Accumulates iteration timestamps of one window into slices. */
class Window {
  private readonly t0 = performance.now();
  private sliceStart = this.t0;
  private sliceIters = 0;
  private iters = 0;
  private readonly slices: number[] = [];
  constructor(private readonly p: Protocol) {}
  /** Records one finished iteration; true while the window must go on. */
  tick(): boolean {
    const now = performance.now();
    this.iters++;
    this.sliceIters++;
    if (now - this.sliceStart >= this.p.sliceMs) {
      this.slices.push((now - this.sliceStart) / this.sliceIters / 1000);
      this.sliceStart = now;
      this.sliceIters = 0;
    }
    return now - this.t0 < this.p.windowMs;
  }
  timing(): Timing {
    const end = performance.now();
    if (this.sliceIters > 0 && this.slices.length === 0) this.slices.push((end - this.sliceStart) / this.sliceIters / 1000);
    return {
      perIter: (end - this.t0) / this.iters / 1000,
      sliceMin: Math.min(...this.slices), sliceMax: Math.max(...this.slices), slices: this.slices.length,
      iters: this.iters, windowSeconds: (end - this.t0) / 1000,
    };
  }
}

/** Times a synchronous iteration: warm-up, then one continuous window. */
export function timeSync(fn: () => void, p: Protocol): Timing {
  const t0 = performance.now();
  let n = 0;
  while (n < p.warmup || performance.now() - t0 < p.warmupMs) { fn(); n++; }
  const w = new Window(p);
  do fn(); while (w.tick());
  return w.timing();
}

/** Times an asynchronous iteration (training steps that await memory reclamation). */
export async function timeAsync(fn: () => Promise<void>, p: Protocol): Promise<Timing> {
  const t0 = performance.now();
  let n = 0;
  while (n < p.warmup || performance.now() - t0 < p.warmupMs) { await fn(); n++; }
  const w = new Window(p);
  do await fn(); while (w.tick());
  return w.timing();
}

/** GFLOP/s of a 512³ product over a short continuous window: the peer's GEMM rate, printed next to its figures. */
export function gemmRate(product: () => void): number {
  const t = timeSync(product, { warmup: 3, warmupMs: 300, windowMs: 1000, sliceMs: 1000 });
  return (2 * 512 ** 3) / t.perIter / 1e9;
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
