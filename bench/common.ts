/**
 * Timing helpers for the micro-benchmarks. The machine is shared (2 cores, other processes run
 * tests), so every figure is a MEDIAN over several runs after warm-up, shown with its min-max.
 */
import { cpus, loadavg } from 'node:os';

export interface Timing {
  /** Seconds per call: median, min, max over the runs. */
  median: number;
  min: number;
  max: number;
  runs: number;
}

/**
 * Calls fn repeatedly: a warm-up (also lets V8 tier the wasm up to its optimising compiler),
 * then `runs` timed runs of enough calls to last ~targetMs each.
 */
export function time(fn: () => void, runs = 7, targetMs = 60): Timing {
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < targetMs || calls < 3) { fn(); calls++; }
  const perCall = (performance.now() - t0) / calls;
  const reps = Math.max(1, Math.round(targetMs / Math.max(perCall, 1e-6)));
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    for (let i = 0; i < reps; i++) fn();
    samples.push((performance.now() - s) / reps / 1000);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)]!, min: samples[0]!, max: samples[samples.length - 1]!, runs };
}

export function header(title: string, extra: Record<string, string>): void {
  const c = cpus();
  console.log(`# ${title}`);
  console.log(`date ${new Date().toISOString()}  node ${process.version}  v8 ${process.versions.v8}`);
  console.log(`cpu ${c[0]?.model ?? '?'} x${c.length}  load avg ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const [k, v] of Object.entries(extra)) console.log(`${k} ${v}`);
  console.log('figures: median of the runs after warm-up, [min-max]; the machine is shared, so treat single runs with care');
}

export function footer(): void {
  console.log(`load avg at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
