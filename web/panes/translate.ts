/**
 * The Translate pane: a source in; the greedy and the beam-search output, and the attention of
 * either as a heat map (SVG: source tokens along x, output tokens down y, darker = more weight).
 */
import { translate } from '../../src/index.js';
import { $, setStatus } from '../dom.js';
import { el, nextFrame, textPane, type RunListing } from './common.js';

type Translation = Awaited<ReturnType<typeof translate.translateText>>;
const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text = ''): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text) e.textContent = text;
  return e;
}

/** A token as an axis label: spaces and empty pieces made visible. */
function shown(t: string): string {
  return t === ' ' ? '␣' : t === '' ? '·' : t;
}

function heatMap(t: Translation, caption: string): SVGSVGElement | HTMLElement {
  const rows = t.attention ?? [];
  if (rows.length === 0) return el('p', 'hint', 'This model has no attention (the plain encoder-decoder), so there is no map.');
  const xs = t.sourceTokens.map(shown), ys = [...t.targetTokens.map(shown), '</s>'].slice(0, rows.length);
  const cell = 22, chars = (a: string[]): number => Math.max(2, ...a.map((s) => [...s].length));
  // Short source tokens (characters) stand upright; longer ones (words) slant up at 60°.
  const slant = chars(xs) > 2;
  const left = Math.max(60, 14 + 7.5 * chars(ys)), top = slant ? 20 + 6.5 * chars(xs) : 34;
  const W = left + cell * xs.length + (slant ? 60 : 8), H = top + cell * ys.length + 24;
  const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'tr-heat' });
  root.append(svg('title', {}, caption));
  xs.forEach((x, j) => {
    const cx = left + cell * j + cell / 2;
    root.append(slant
      ? svg('text', { x: cx, y: top - 6, transform: `rotate(-60 ${cx} ${top - 6})`, class: 'tr-axis tr-x' }, x)
      : svg('text', { x: cx, y: top - 6, 'text-anchor': 'middle', class: 'tr-axis tr-x' }, x));
  });
  ys.forEach((y, i) => {
    root.append(svg('text', { x: left - 6, y: top + cell * i + cell / 2 + 4, 'text-anchor': 'end', class: 'tr-axis tr-y' }, y));
    const row = rows[i]!;
    xs.forEach((x, j) => {
      const w = row[j] ?? 0;
      const r = svg('rect', { x: left + cell * j, y: top + cell * i, width: cell - 1, height: cell - 1, fill: `rgba(40, 80, 200, ${Math.max(0.03, w).toFixed(3)})`, class: 'tr-cell' });
      r.append(svg('title', {}, `${y} ← ${x}: ${(100 * w).toFixed(1)}%`));
      root.append(r);
    });
  });
  root.append(svg('text', { x: left, y: H - 6, class: 'tr-axis-name' }, 'source →'));
  root.append(svg('text', { x: 4, y: top - 6, class: 'tr-axis-name' }, 'output ↓'));
  return root;
}

export function setupTranslatePane(runs: readonly RunListing[]): void {
  let last: { greedy: Translation; beam: Translation; k: number } | null = null;
  const showMap = (): void => {
    if (!last) return;
    const which = ($('tr-map') as HTMLSelectElement).value === 'greedy' ? 'greedy' : 'beam';
    const caption = `attention of the ${which === 'greedy' ? 'greedy' : `beam (${last.k})`} output: rows output tokens, columns source tokens`;
    $('tr-heat').replaceChildren(el('p', 'hint', caption), heatMap(last[which], caption));
  };
  $('tr-map').addEventListener('change', showMap);
  textPane(runs, {
    prefix: 'tr', task: 'translate', verb: 'translate', busy: 'greedy decoding…', build: translate.fromCheckpoint,
    isEmpty: (text, run) => run.src.encode(text.trim()).length === 0,
    action: async (run, raw) => {
      const text = raw.trim();
      const k = Number(($('tr-beam') as HTMLInputElement).value) || run.config.decode.beam;
      const greedy = await translate.translateText(run, text, { beam: 1 });
      $('tr-greedy').textContent = greedy.text;
      setStatus('tr-status', `beam search, ${k} beams…`);
      await nextFrame();
      const beam = await translate.translateText(run, text, { beam: k });
      $('tr-beam-out').textContent = beam.text;
      last = { greedy, beam, k };
      showMap();
      return `done: ${greedy.targetTokens.length} tokens greedy, ${beam.targetTokens.length} with ${k} beams`;
    },
  });
}
