/**
 * Timing helpers for the micro-benchmarks. The machine is shared (2 cores, other processes run
 * tests), so every figure is a MEDIAN over several runs after warm-up, shown with its min-max.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Sleeps synchronously (the benchmark loop is synchronous). */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function cpuTicks(): [busy: number, total: number] | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return [total - idle, total];
  } catch {
    return null;
  }
}

/** Median of a list (the mean of the middle two for an even length). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Figures measured while other processes were busy (see waitQuiet). */
export let contended = 0;

/**
 * Waits (up to maxMs) until the machine's CPUs have been nearly idle for a short window, so a
 * figure is not taken while another process (tests of other engineers) shares the cores.
 * Linux only; elsewhere it returns at once. Returns false if it gave up.
 */
export function waitQuiet(maxMs = 8000, windowMs = 300): boolean {
  const start = Date.now();
  for (;;) {
    const a = cpuTicks();
    if (!a) return true;
    sleepMs(windowMs);
    const b = cpuTicks()!;
    if ((b[0] - a[0]) / Math.max(1, b[1] - a[1]) < 0.1) return true;
    if (Date.now() - start > maxMs) { contended++; return false; }
  }
}

export interface Timing {
  /** Seconds per call: median, min, max over the runs. */
  median: number;
  min: number;
  max: number;
  runs: number;
  /** The machine was busy with other work during this measurement. */
  contended: boolean;
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
  let busy = false;
  for (let r = 0; r < runs; r++) {
    if (r % 3 === 0 && !waitQuiet()) busy = true;
    const s = performance.now();
    for (let i = 0; i < reps; i++) fn();
    samples.push((performance.now() - s) / reps / 1000);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)]!, min: samples[0]!, max: samples[samples.length - 1]!, runs, contended: busy };
}

export function header(title: string, extra: Record<string, string>): void {
  const c = cpus();
  console.log(`# ${title}`);
  console.log(`date ${new Date().toISOString()}  node ${process.version}  v8 ${process.versions.v8}`);
  console.log(`cpu ${c[0]?.model ?? '?'} x${c.length}  load avg ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const [k, v] of Object.entries(extra)) console.log(`${k} ${v}`);
  console.log('figures: median of the runs after warm-up, [min-max]; runs start only when the CPUs are idle (other');
  console.log('processes share this machine); * marks a figure taken while they were not');
}

export function footer(): void {
  console.log(`load avg at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (contended) console.log(`* ${contended} figure(s) measured while other processes were busy (waited 8 s for idle CPUs, then went ahead)`);
}

export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
