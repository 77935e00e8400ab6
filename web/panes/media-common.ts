/**
 * What the Speech and Music panes share: the run <select> of one task, fetching a served
 * checkpoint with progress (once per run), one-line errors, handing the page back to the event
 * loop, and downloads.
 */
import { $, setStatus } from '../dom.js';

/** An entry of the server's runs.json (src/web/server.ts). */
export interface RunListing {
  name: string;
  task: string;
  checkpoints: string[];
}

/**
 * The run <select> of a pane: filled with the served runs of `task` (none: one entry saying how
 * to serve one); `selected()` is the chosen run, `load` fetches and builds it once.
 */
export function runPicker<T>(selectId: string, runs: readonly RunListing[], task: string, noun: string, build: (bytes: Uint8Array, name: string) => T): {
  selected(): RunListing | undefined;
  load(run: RunListing, progress: (text: string) => void): Promise<T>;
} {
  const select = $(selectId) as HTMLSelectElement;
  const mine = runs.filter((r) => r.task === task && r.checkpoints.some((c) => c.endsWith('.safetensors')));
  for (const r of mine) select.add(new Option(r.name, r.name));
  if (mine.length === 0) select.add(new Option(`no ${noun} run: recur serve RUN_DIR`, ''));
  return { selected: () => mine.find((r) => r.name === select.value), load: runLoader(build) };
}

/** The checkpoint bytes of a served run (best, else last), with "loading NAME: x of y KB" as it arrives. */
export async function fetchCheckpoint(run: RunListing, progress: (text: string) => void): Promise<{ bytes: Uint8Array; name: string }> {
  const file = run.checkpoints.includes('best.safetensors') ? 'best.safetensors' : run.checkpoints.find((c) => c.endsWith('.safetensors'))!;
  const name = `${run.name}/${file}`;
  const r = await fetch(`runs/${encodeURIComponent(run.name)}/${file}`);
  if (!r.ok || !r.body) throw new Error(`${name}: HTTP ${r.status}`);
  const total = Number(r.headers.get('Content-Length') ?? 0);
  const kb = (n: number): string => `${Math.ceil(n / 1024)} KB`;
  const parts: Uint8Array[] = [];
  let got = 0;
  const reader = r.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    progress(`loading ${name}: ${kb(got)}${total ? ` of ${kb(total)}` : ''}`);
  }
  const bytes = new Uint8Array(got);
  let o = 0;
  for (const p of parts) { bytes.set(p, o); o += p.length; }
  return { bytes, name };
}

/** A loader that fetches and builds each run once (a failed load is retried next time). */
function runLoader<T>(build: (bytes: Uint8Array, name: string) => T): (run: RunListing, progress: (text: string) => void) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (run, progress) => {
    let p = cache.get(run.name);
    if (!p) {
      p = fetchCheckpoint(run, progress).then(({ bytes, name }) => build(bytes, name));
      p.catch(() => cache.delete(run.name));
      cache.set(run.name, p);
    }
    return p;
  };
}

/** The first line of an error's message, as a pane shows it. */
export function errorLine(e: unknown): string {
  return `error: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
}

/** Shows `text` in the pane's status line and lets the page paint it before work continues. */
export async function showStatus(id: string, text: string): Promise<void> {
  setStatus(id, text);
  await new Promise((ok) => setTimeout(ok, 0));
}

/** Offers bytes as a file download. */
export function download(bytes: Uint8Array, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The number in an <input>, checked to lie in [min, max]; otherwise an error naming the field. */
export function numberInput(id: string, label: string, min: number, max: number): number {
  const v = Number(($(id) as HTMLInputElement).value);
  if (!Number.isFinite(v) || v < min || v > max) throw new Error(`${label} must be between ${min} and ${max}, got '${($(id) as HTMLInputElement).value}'`);
  return v;
}

/**
 * A colour for v in [0, 1] on a dark-blue -> teal -> yellow ramp (after viridis), for
 * spectrogram cells and note velocities.
 */
export function ramp(v: number): [number, number, number] {
  const stops: Array<[number, number, number]> = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(1, Math.max(0, v)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  const a = stops[i]!, b = stops[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}
