/**
 * Where a training step's time goes. `npm run bench -- --profile` trains the bench's training
 * configurations (configs.ts, the step of peers/recur-train.ts) on the active backend
 * (RECUR_BACKEND), with every kernel of the active set wrapped in a timer, and prints per kernel
 * the calls and milliseconds per step, the share of the step, and for the products the GFLOP/s
 * reached against a 512³ GEMM measured in the same process. What no kernel accounts for is the
 * TypeScript around them (autograd graph, tensor bookkeeping); `reclaimMemory` (the GC between
 * steps) is shown on its own line. The step time of the end of the warm-up, without timers, is
 * printed next to the timed one, so the timers' own cost shows.
 *
 *   npm run bench -- --profile [--configs train-lstm,train-gru] [--seconds S (10)] [--out FILE]
 */
import { writeFileSync } from 'node:fs';
import { backendName, kernels, reclaimMemory, type Kernels } from '../src/kernels/index.js';
import { installNodeGc } from '../src/train/node-gc.js';
import { benchConfigs, type ConfigName } from './configs.js';
import type { TrainConfig } from './peers/protocol.js';
import { gemm512Rate, recurTrainStep } from './peers/recur-train.js';

export interface Row {
  calls: number;
  ms: number;
  flops: number;
}

export interface ProfileRow {
  kernel: string;
  callsPerStep: number;
  msPerStep: number;
  share: number;
  /** Products only: GFLOP/s reached, and that as a fraction of the 512³ GEMM rate. */
  gflops?: number;
  ofGemm512?: number;
}

export interface Profile {
  config: string;
  backend: string;
  steps: number;
  msPerStep: number;
  /** The same step without the timers (the second half of the warm-up). */
  untimedMsPerStep: number;
  tokensPerSec: number;
  gemm512: number;
  rows: ProfileRow[];
}

/** Floating-point operations of the product kernels, from their arguments (gemm-types.ts, batched-types.ts). */
function productRow(name: string, a: readonly unknown[]): { key: string; flops: number } | null {
  const n = (i: number): number => a[i] as number;
  const tr = (b: unknown): string => (b ? 'T' : 'N');
  if (name === 'gemm') return { key: `gemm ${n(2)}x${n(3)}x${n(4)} ${tr(a[0])}${tr(a[1])}`, flops: 2 * n(2) * n(3) * n(4) };
  if (name === 'gemmPackedB') return { key: `gemmPackedB ${n(1)}x${n(2)}x${n(3)} ${tr(a[0])}`, flops: 2 * n(1) * n(2) * n(3) };
  if (name === 'bmv') return { key: 'bmv', flops: 2 * n(1) * n(2) * n(3) };
  if (name === 'bger') return { key: 'bger', flops: 2 * n(0) * n(1) * n(2) };
  return null;
}

/**
 * Wraps every kernel of k in place (modules hold the kernel object, not its methods). Only the
 * outermost call is timed: a kernel that hands work to another is counted once, under its own name.
 */
export function instrument(k: Kernels, rows: Map<string, Row>): () => void {
  const target = k as unknown as Record<string, unknown>;
  const originals = new Map<string, (...a: unknown[]) => unknown>();
  let depth = 0;
  for (const name of Object.keys(target)) {
    const f = target[name];
    if (typeof f !== 'function' || name === 'calls') continue;
    const orig = f as (...a: unknown[]) => unknown;
    originals.set(name, orig);
    // Other kernels get one row, looked up once here; products a row per shape.
    const own: Row = { calls: 0, ms: 0, flops: 0 };
    rows.set(name, own);
    target[name] = (...args: unknown[]): unknown => {
      if (depth > 0) return orig.apply(k, args);
      depth++;
      const t0 = performance.now();
      try {
        return orig.apply(k, args);
      } finally {
        const ms = performance.now() - t0;
        depth--;
        const p = productRow(name, args);
        let r = own;
        if (p) {
          r = rows.get(p.key) ?? { calls: 0, ms: 0, flops: 0 };
          rows.set(p.key, r);
          r.flops += p.flops;
        }
        r.calls++; r.ms += ms;
      }
    };
  }
  return () => {
    for (const [name, f] of originals) target[name] = f;
    for (const [key, r] of rows) if (r.calls === 0) rows.delete(key);
  };
}

export async function profileConfig(name: string, c: TrainConfig, seconds: number, warmupSeconds = 3): Promise<Profile> {
  const k = kernels();
  const gemm512 = gemm512Rate(k);

  const t = recurTrainStep(c);
  const untimedStep = async (): Promise<void> => { t.step(); await reclaimMemory(); };
  const half = performance.now() + warmupSeconds * 500, warmEnd = half + warmupSeconds * 500;
  while (performance.now() < half) await untimedStep();
  const u0 = performance.now();
  let untimed = 0;
  do { await untimedStep(); untimed++; } while (performance.now() < warmEnd);
  const untimedMsPerStep = (performance.now() - u0) / untimed;

  const rows = new Map<string, Row>();
  const restore = instrument(k, rows);
  const gc: Row = { calls: 0, ms: 0, flops: 0 };
  let steps = 0;
  const t0 = performance.now(), end = t0 + seconds * 1000;
  try {
    while (performance.now() < end) {
      t.step();
      const g0 = performance.now();
      await reclaimMemory();
      gc.ms += performance.now() - g0; gc.calls++;
      steps++;
    }
  } finally {
    restore();
  }
  const total = performance.now() - t0;
  if (!Number.isFinite(t.loss())) throw new Error(`training loss is ${t.loss()}`);

  const out: ProfileRow[] = [];
  let kernelMs = 0;
  for (const [kernel, r] of rows) {
    kernelMs += r.ms;
    const row: ProfileRow = { kernel, callsPerStep: r.calls / steps, msPerStep: r.ms / steps, share: r.ms / total };
    if (r.flops > 0) {
      row.gflops = r.flops / (r.ms / 1000) / 1e9;
      row.ofGemm512 = row.gflops / gemm512;
    }
    out.push(row);
  }
  out.sort((a, b) => b.msPerStep - a.msPerStep);
  out.push({ kernel: 'reclaimMemory (GC between steps)', callsPerStep: 1, msPerStep: gc.ms / steps, share: gc.ms / total });
  const rest = total - kernelMs - gc.ms;
  out.push({ kernel: 'outside kernels (TypeScript: autograd, tensors)', callsPerStep: 0, msPerStep: rest / steps, share: rest / total });
  return {
    config: name, backend: backendName(), steps, msPerStep: total / steps, untimedMsPerStep,
    tokensPerSec: (steps * c.batch * c.seq) / (total / 1000), gemm512, rows: out,
  };
}

function print(p: Profile): void {
  console.log(`\n${p.config} on ${p.backend}: ${p.steps} steps, ${p.msPerStep.toFixed(1)} ms/step ` +
    `(${p.untimedMsPerStep.toFixed(1)} without the timers), ` +
    `${Math.round(p.tokensPerSec)} tokens/s; 512³ GEMM ${p.gemm512.toFixed(1)} GFLOP/s`);
  console.log('  ms/step  share  calls/step  GFLOP/s  of GEMM  kernel');
  let other = 0;
  for (const r of p.rows) {
    if (r.share < 0.005 && !r.kernel.includes(' (')) { other += r.msPerStep; continue; }
    const g = r.gflops === undefined ? '        ' : r.gflops.toFixed(1).padStart(8);
    const f = r.ofGemm512 === undefined ? '        ' : `${(r.ofGemm512 * 100).toFixed(0)}%`.padStart(8);
    console.log(`${r.msPerStep.toFixed(2).padStart(9)} ${(r.share * 100).toFixed(1).padStart(5)}% ${r.callsPerStep.toFixed(1).padStart(11)} ${g} ${f}  ${r.kernel}`);
  }
  if (other > 0) console.log(`${other.toFixed(2).padStart(9)} ${((other / p.msPerStep) * 100).toFixed(1).padStart(5)}%                               (kernels under 0.5% each)`);
}

export async function profileMain(argv: readonly string[]): Promise<number> {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seconds = Number(opt('--seconds') ?? 10);
  if (!(seconds > 0)) throw new Error(`--seconds must be a number > 0, got ${opt('--seconds')}`);
  const configs = benchConfigs(argv.includes('--tiny'));
  const names = opt('--configs')?.split(',') ?? ['train-lstm', 'train-gru'];
  installNodeGc();
  const profiles: Profile[] = [];
  for (const name of names) {
    const c = name in configs ? configs[name as ConfigName] : undefined;
    if (c?.kind !== 'train') throw new Error(`--profile takes training configs (train-lstm, train-gru), got '${name}'`);
    const p = await profileConfig(name, c, seconds);
    print(p);
    profiles.push(p);
  }
  const out = opt('--out');
  if (out) writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), profiles }, null, 1) + '\n');
  return 0;
}
