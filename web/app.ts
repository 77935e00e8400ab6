/**
 * The recur web app (`recur serve`, `npm run build:web`): one pane per task, each loading any
 * compatible run the server lists in runs.json, plus in-browser training in a Web Worker.
 * Everything is plain DOM on the static page (index.html); every control is a native input or
 * button, so the keyboard reaches all of it (tabs also move with the arrow keys).
 */
import { backendName, initWasm, kernels, lm, type WasmKernels } from '../src/index.js';
import { beamContinue, generateText } from '../src/tasks/lm/generate.js';
import { startTrainPane } from './train.js';
import { renderViz, VIZ_CSS } from './viz.js';
import { traceLstm } from '../src/tasks/lm/inspect.js';
import { encodeViz } from '../src/tasks/lm/viz-data.js';
import { noGrad } from '../src/index.js';
import { $, setStatus } from './dom.js';
import { setupClassifyPane } from './panes/classify.js';
import { setupTagPane } from './panes/tag.js';
import { setupTranslatePane } from './panes/translate.js';
import { setupSpeechPane } from './panes/speech.js';
import { setupMusicPane } from './panes/music.js';

interface RunListing {
  name: string;
  task: string;
  checkpoints: string[];
}

async function showBackend(): Promise<void> {
  try {
    await initWasm();
  } catch {
    // No WebAssembly SIMD: recur stays on its plain TypeScript backend.
  }
  const name = backendName();
  let text = `backend: ${name}`;
  if (name === 'wasm') {
    // Worker threads need shared memory, which only a cross-origin isolated page gets.
    const n = globalThis.crossOriginIsolated === true ? (kernels() as WasmKernels).threads().max : 1;
    text += ` (${(kernels() as WasmKernels & { variant?: string }).variant ?? 'simd'} SIMD, ${n} thread${n > 1 ? 's' : ''})`;
  } else {
    text += ' (no WebAssembly SIMD here: the plain TypeScript kernels, much slower)';
  }
  $('backend').textContent = text;
  $('backend').dataset.backend = name;
  $('threads-hint').hidden = globalThis.crossOriginIsolated === true;
}

function setupTabs(): void {
  const tabs = Array.from(document.querySelectorAll<HTMLButtonElement>('[role=tab]'));
  const select = (tab: HTMLButtonElement): void => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')!).hidden = !on;
    }
    tab.focus();
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'ArrowRight') select(tabs[(i + 1) % tabs.length]!);
      if (e.key === 'ArrowLeft') select(tabs[(i + tabs.length - 1) % tabs.length]!);
    });
  });
}

type LoadedLm = ReturnType<typeof lm.fromCheckpoint>;
const loaded = new Map<string, Promise<LoadedLm>>();

function loadLm(run: RunListing): Promise<LoadedLm> {
  let p = loaded.get(run.name);
  if (!p) {
    const file = run.checkpoints.includes('best.safetensors') ? 'best.safetensors' : run.checkpoints[0]!;
    p = fetch(`runs/${encodeURIComponent(run.name)}/${file}`)
      .then((r) => {
        if (!r.ok) throw new Error(`runs/${run.name}/${file}: HTTP ${r.status}`);
        return r.arrayBuffer();
      })
      .then((b) => lm.fromCheckpoint(new Uint8Array(b), `${run.name}/${file}`));
    loaded.set(run.name, p);
  }
  return p;
}

function setupGenerate(runs: RunListing[]): void {
  const sel = $('gen-run') as HTMLSelectElement;
  const lms = runs.filter((r) => r.task === 'lm');
  for (const r of lms) sel.add(new Option(r.name, r.name));
  if (lms.length === 0) sel.add(new Option('no language-model run: recur serve RUN_DIR', ''));
  for (const id of ['gen-temperature', 'gen-topk', 'gen-topp']) {
    const input = $(id) as HTMLInputElement;
    const out = input.nextElementSibling as HTMLOutputElement;
    const show = (): void => { out.value = input.value; };
    input.addEventListener('input', show);
    show();
  }
  const go = $('gen-go') as HTMLButtonElement, stop = $('gen-stop') as HTMLButtonElement, out = $('gen-out');
  let stopped = false;
  stop.addEventListener('click', () => { stopped = true; });
  const num = (id: string): number => Number(($(id) as HTMLInputElement).value);
  const run = async (): Promise<void> => {
    const r = lms.find((x) => x.name === sel.value);
    if (!r) return setStatus('gen-status', 'no language-model run to generate from');
    go.disabled = true;
    stop.disabled = false;
    stopped = false;
    out.textContent = '';
    try {
      setStatus('gen-status', `loading ${r.name}…`);
      const { model, tokenizer } = await loadLm(r);
      const prompt = ($('gen-prompt') as HTMLTextAreaElement).value, length = num('gen-length'), beam = num('gen-beam');
      if (beam > 1) {
        setStatus('gen-status', `beam search, ${beam} beams…`);
        await new Promise((res) => setTimeout(res, 0));
        const best = beamContinue(model, tokenizer, prompt, length, beam)[0];
        out.textContent = best ? tokenizer.decode(best.tokens) : '';
      } else {
        let n = 0;
        const o = { prompt, length, temperature: num('gen-temperature'), topK: num('gen-topk'), topP: num('gen-topp'), seed: num('gen-seed') };
        for await (const piece of generateText(model, tokenizer, o)) {
          if (n === 0 && !out.dataset.firstTokenMs) out.dataset.firstTokenMs = String(Math.round(performance.now()));
          out.textContent += piece;
          if (++n % 8 === 0) {
            setStatus('gen-status', `generating: ${n} of ${length} tokens`);
            await new Promise((res) => setTimeout(res, 0)); // let the page paint and take clicks
          }
          if (stopped) break;
        }
      }
      setStatus('gen-status', stopped ? 'stopped' : 'done');
    } catch (e) {
      setStatus('gen-status', `error: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      go.disabled = false;
      stop.disabled = true;
    }
  };
  go.addEventListener('click', () => void run());
  $('gen-prompt').addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void run();
  });
}

function setupVisualize(runs: RunListing[]): void {
  const style = document.createElement('style');
  style.textContent = VIZ_CSS;
  document.head.append(style);
  const sel = $('viz-run') as HTMLSelectElement;
  const lms = runs.filter((r) => r.task === 'lm');
  for (const r of lms) sel.add(new Option(r.name, r.name));
  if (lms.length === 0) sel.add(new Option('no language-model run: recur serve RUN_DIR', ''));
  const go = $('viz-go') as HTMLButtonElement;
  go.addEventListener('click', () => void (async () => {
    const r = lms.find((x) => x.name === sel.value);
    if (!r) return setStatus('viz-status', 'no language-model run to visualise');
    go.disabled = true;
    try {
      setStatus('viz-status', `loading ${r.name}…`);
      const { model, tokenizer } = await loadLm(r);
      setStatus('viz-status', 'running the model over the text…');
      await new Promise((res) => setTimeout(res, 0));
      const ids = tokenizer.encode(($('viz-text') as HTMLTextAreaElement).value);
      const trace = noGrad(() => traceLstm(model, ids, 5));
      const chars = Array.from(ids, (id) => tokenizer.decode([id]));
      renderViz($('viz-view'), encodeViz(trace, chars, (id) => tokenizer.decode([id]), r.name));
      setStatus('viz-status', `${trace.T} characters, ${trace.L} layer${trace.L > 1 ? 's' : ''} × ${trace.H} cells`);
    } catch (e) {
      setStatus('viz-status', `error: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      go.disabled = false;
    }
  })());
}

async function main(): Promise<void> {
  setupTabs();
  await showBackend();
  let runs: RunListing[] = [];
  try {
    const r = await fetch('runs.json');
    if (r.ok) runs = (await r.json()) as RunListing[];
  } catch {
    // A static host without runs: the panes say there is nothing to load.
  }
  setupGenerate(runs);
  startTrainPane();
  setupVisualize(runs);
  setupClassifyPane(runs);
  setupTagPane(runs);
  setupTranslatePane(runs);
  setupSpeechPane(runs);
  setupMusicPane(runs);
  document.body.dataset.ready = 'true';
}

void main();
