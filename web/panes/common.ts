/**
 * What every task pane shares: the run <select> filled from runs.json, fetching and loading a
 * run's checkpoint once (with a progress line), and showing a failure as one line.
 */
import { $, setStatus } from '../dom.js';

export interface RunListing {
  name: string;
  task: string;
  checkpoints: string[];
}

/** The message of anything thrown, on one line. */
export function errorLine(e: unknown): string {
  return `error: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
}

/** Lets the page paint the status line before a long synchronous step. */
export function nextFrame(): Promise<void> {
  return new Promise((ok) => setTimeout(ok, 0));
}

/** A checkpoint's bytes, reporting "loading NAME: n of m KB" on the status line as they arrive. */
async function fetchCheckpoint(url: string, label: string, statusId: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok || !r.body) throw new Error(`${label}: HTTP ${r.status}`);
  const total = Number(r.headers.get('Content-Length') ?? 0);
  const reader = r.body.getReader();
  const parts: Uint8Array[] = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    setStatus(statusId, `loading ${label}: ${Math.round(got / 1024)}${total > 0 ? ` of ${Math.round(total / 1024)}` : ''} KB…`);
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

/**
 * Fills the pane's run <select> with the runs of `task` and returns the loader of the selected
 * one: each run is fetched and built once (best.safetensors, else the first checkpoint); a run
 * that fails to load fails again (the same line) without another fetch.
 */
export function runPicker<T>(selectId: string, statusId: string, runs: readonly RunListing[], task: string,
  build: (bytes: Uint8Array, name: string) => T): () => Promise<T | null> {
  const sel = $(selectId) as HTMLSelectElement;
  const mine = runs.filter((r) => r.task === task);
  for (const r of mine) sel.add(new Option(r.name, r.name));
  if (mine.length === 0) sel.add(new Option(`no ${task} run: recur serve RUN_DIR`, ''));
  const cache = new Map<string, Promise<T>>();
  return async () => {
    const run = mine.find((r) => r.name === sel.value);
    if (!run) {
      setStatus(statusId, `no ${task} run to use: start the app with recur serve RUN_DIR`);
      return null;
    }
    let p = cache.get(run.name);
    if (!p) {
      const file = run.checkpoints.includes('best.safetensors') ? 'best.safetensors' : run.checkpoints[0]!;
      const label = `${run.name}/${file}`;
      p = fetchCheckpoint(`runs/${encodeURIComponent(run.name)}/${file}`, label, statusId).then(async (bytes) => {
        setStatus(statusId, `building ${run.name}…`);
        await nextFrame();
        return build(bytes, label);
      });
      cache.set(run.name, p);
    }
    return p;
  };
}

/** Runs `action` from the button (and Ctrl+Enter in `inputId`), the button disabled meanwhile, errors as one line. */
export function onRun(buttonId: string, inputId: string, statusId: string, action: () => Promise<void>): void {
  const go = $(buttonId) as HTMLButtonElement;
  const run = async (): Promise<void> => {
    if (go.disabled) return;
    go.disabled = true;
    try {
      await action();
    } catch (e) {
      setStatus(statusId, errorLine(e));
    } finally {
      go.disabled = false;
    }
  };
  go.addEventListener('click', () => void run());
  $(inputId).addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void run();
  });
}

export interface TextPane<T> {
  /** Ids PREFIX-run (select), PREFIX-text, PREFIX-go and PREFIX-status. */
  prefix: string;
  task: string;
  /** "type a text to VERB" when the text has nothing in it (`isEmpty`). */
  verb: string;
  /** The status line while `action` runs ("classifying…"). */
  busy: string;
  build: (bytes: Uint8Array, name: string) => T;
  isEmpty: (text: string, run: T) => boolean;
  /** Runs the model and renders; returns the closing status line. May set progress lines itself. */
  action: (run: T, text: string) => Promise<string> | string;
}

/** A pane that runs a loaded run on a text from its button or Ctrl+Enter, with progress and errors on its status line. */
export function textPane<T>(runs: readonly RunListing[], p: TextPane<T>): void {
  const status = `${p.prefix}-status`;
  const load = runPicker(`${p.prefix}-run`, status, runs, p.task, p.build);
  onRun(`${p.prefix}-go`, `${p.prefix}-text`, status, async () => {
    const run = await load();
    if (!run) return;
    const text = ($(`${p.prefix}-text`) as HTMLTextAreaElement).value;
    if (p.isEmpty(text, run)) return setStatus(status, `type a text to ${p.verb}`);
    setStatus(status, p.busy);
    await nextFrame();
    setStatus(status, await p.action(run, text));
  });
}

/** An element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}
