/**
 * The activation visualiser's view, used by the app's Visualise pane and by the single HTML
 * file `recur visualize` writes (this module bundled inline, src/cli/visualize.ts). After
 * Karpathy, Johnson & Fei-Fei 2015: the text coloured by one cell's tanh(c) (blue -1 .. red +1),
 * spans the user marks and the cells that best follow them (Pearson correlation with the
 * marked mask), the top-5 next characters under each character, and the gates' saturation per
 * layer (fraction of time below 0.1 against above 0.9, one dot per unit).
 */
import { unb64, type VizData } from '../src/tasks/lm/viz-data.js';

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function color(v: number): string {
  // -1 blue, 0 white, +1 red.
  const a = Math.min(1, Math.abs(v));
  return v >= 0 ? `rgba(220,60,40,${a.toFixed(3)})` : `rgba(40,100,220,${a.toFixed(3)})`;
}

function pearson(x: Float32Array, y: Float32Array): number {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]!; my += y[i]!; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]! - mx, b = y[i]! - my;
    sxy += a * b; sxx += a * a; syy += b * b;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

function saturationPlot(title: string, gates: Array<[string, Uint8Array, string]>, H: number, T: number): SVGSVGElement {
  const S = 180, pad = 28;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${S + pad + 8} ${S + pad + 18}`);
  svg.setAttribute('class', 'saturation');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${title}: gate saturation`);
  const add = (tag: string, attrs: Record<string, string | number>, text?: string): void => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text) e.textContent = text;
    svg.appendChild(e);
  };
  add('rect', { x: pad, y: 4, width: S, height: S, fill: '#fff', stroke: '#999' });
  add('line', { x1: pad, y1: 4 + S, x2: pad + S, y2: 4, stroke: '#ccc' });
  add('text', { x: pad + S / 2, y: S + pad + 12, 'text-anchor': 'middle', 'font-size': 10 }, 'fraction of time < 0.1 (left-saturated)');
  add('text', { x: 10, y: 4 + S / 2, 'font-size': 10, transform: `rotate(-90 10 ${4 + S / 2})`, 'text-anchor': 'middle' }, '> 0.9 (right-saturated)');
  add('text', { x: pad + 4, y: 16, 'font-size': 11, 'font-weight': 600 }, title);
  gates.forEach(([name, g, col], gi) => {
    add('text', { x: pad + S - 4, y: 16 + gi * 12, 'font-size': 10, 'text-anchor': 'end', fill: col }, name);
    for (let j = 0; j < H; j++) {
      let lo = 0, hi = 0;
      for (let t = 0; t < T; t++) {
        const v = g[t * H + j]! / 255;
        if (v < 0.1) lo++;
        else if (v > 0.9) hi++;
      }
      add('circle', { cx: pad + (lo / T) * S, cy: 4 + S - (hi / T) * S, r: 2.2, fill: col, 'fill-opacity': 0.7, class: 'unit' });
    }
  });
  return svg;
}

/** Renders the visualiser into `root` (replacing its content). */
export function renderViz(root: HTMLElement, d: VizData): void {
  root.replaceChildren();
  root.classList.add('viz');
  const cells = d.cells.map((s) => new Int8Array(unb64(s).buffer));
  const gate = (a: string[]): Uint8Array[] => a.map(unb64);
  const input = gate(d.input), forget = gate(d.forget), output = gate(d.output);
  const marked = new Uint8Array(d.T);
  let layer = d.L - 1, unit = 0;

  const controls = el('div', { class: 'viz-controls' });
  const layerSel = el('select', { 'aria-label': 'layer' });
  for (let l = 0; l < d.L; l++) layerSel.add(new Option(`layer ${l + 1}`, String(l)));
  layerSel.value = String(layer);
  const unitIn = el('input', { type: 'number', min: '0', max: String(d.H - 1), value: '0', 'aria-label': 'cell' });
  const prev = el('button', {}, '◀ cell'), next = el('button', {}, 'cell ▶');
  const mark = el('button', { title: 'select text, then press M' }, 'Mark selection');
  const clear = el('button', {}, 'Clear marks');
  const showTop = el('label', {}, ' top-5 under each character');
  const topBox = el('input', { type: 'checkbox' });
  showTop.prepend(topBox);
  controls.append(layerSel, prev, unitIn, next, mark, clear, showTop);
  const info = el('div', { class: 'viz-info', role: 'status', 'aria-live': 'polite' });
  const text = el('div', { class: 'viz-text' });
  const spans: HTMLSpanElement[] = [];
  d.chars.forEach((ch, t) => {
    const s = el('span', { class: 'viz-char', 'data-t': String(t), tabindex: '-1' });
    const glyph = el('span', { class: 'viz-glyph' }, ch === '\n' ? '↵' : ch === ' ' ? '\u00a0' : ch);
    const top = el('span', { class: 'viz-top' });
    for (const [tok, p] of d.top[t] ?? []) top.append(el('span', { style: `opacity:${Math.max(0.25, p).toFixed(2)}` }, tok === '\n' ? '↵' : tok === ' ' ? '␣' : tok));
    s.append(glyph, top);
    s.title = `"${ch}" → ${(d.top[t] ?? []).map(([tok, p]) => `${JSON.stringify(tok)} ${(p * 100).toFixed(1)}%`).join(', ')}`;
    spans.push(s);
    text.append(s);
    if (ch === '\n') text.append(el('br'));
  });
  const ranking = el('ol', { class: 'viz-ranking', 'aria-label': 'cells that best follow the marked spans' });
  const plots = el('div', { class: 'viz-plots' });
  for (let l = 0; l < d.L; l++) {
    plots.append(saturationPlot(`layer ${l + 1}`, [['input', input[l]!, '#2a9d4b'], ['forget', forget[l]!, '#3b6fd8'], ['output', output[l]!, '#d8643b']], d.H, d.T));
  }
  root.append(el('h2', {}, d.title), controls, info, text, el('h3', {}, 'Cells that follow the marked spans'), ranking, el('h3', {}, 'Gate saturation'), plots);

  const paint = (): void => {
    const c = cells[layer]!;
    for (let t = 0; t < d.T; t++) {
      spans[t]!.style.background = color(c[t * d.H + unit]! / 127);
      spans[t]!.classList.toggle('marked', marked[t] === 1);
    }
    info.textContent = `layer ${layer + 1}, cell ${unit}: tanh(c) from blue (−1) to red (+1); ${marked.reduce((a, b) => a + b, 0)} characters marked`;
    root.dataset.layer = String(layer);
    root.dataset.unit = String(unit);
  };
  const rank = (): void => {
    ranking.replaceChildren();
    if (!marked.some((m) => m === 1)) return;
    const mask = Float32Array.from(marked);
    const scored: Array<[number, number, number]> = [];
    for (let l = 0; l < d.L; l++) {
      for (let j = 0; j < d.H; j++) {
        const series = new Float32Array(d.T);
        for (let t = 0; t < d.T; t++) series[t] = cells[l]![t * d.H + j]! / 127;
        scored.push([pearson(series, mask), l, j]);
      }
    }
    scored.sort((a, b) => Math.abs(b[0]) - Math.abs(a[0]));
    for (const [r, l, j] of scored.slice(0, 10)) {
      const b = el('button', {}, `layer ${l + 1} cell ${j}: r = ${r.toFixed(3)}`);
      b.addEventListener('click', () => { layer = l; unit = j; layerSel.value = String(l); unitIn.value = String(j); paint(); });
      ranking.append(el('li', {}, undefined));
      ranking.lastElementChild!.append(b);
    }
  };
  const setUnit = (u: number): void => {
    unit = (u + d.H) % d.H;
    unitIn.value = String(unit);
    paint();
  };
  layerSel.addEventListener('change', () => { layer = Number(layerSel.value); paint(); });
  unitIn.addEventListener('change', () => setUnit(Math.max(0, Math.min(d.H - 1, Number(unitIn.value) | 0))));
  prev.addEventListener('click', () => setUnit(unit - 1));
  next.addEventListener('click', () => setUnit(unit + 1));
  const markSelection = (): void => {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0) return;
    const range = sel.getRangeAt(0);
    for (let t = 0; t < d.T; t++) if (range.intersectsNode(spans[t]!)) marked[t] = 1;
    sel.removeAllRanges();
    paint();
    rank();
  };
  mark.addEventListener('click', markSelection);
  clear.addEventListener('click', () => { marked.fill(0); paint(); rank(); });
  topBox.addEventListener('change', () => root.classList.toggle('show-top', topBox.checked));
  root.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === 'm' || e.key === 'M') markSelection();
    if (e.key === 'j') setUnit(unit + 1);
    if (e.key === 'k') setUnit(unit - 1);
  });
  /** Marks positions [from, to) programmatically (tests, and spans computed by a caller). */
  (root as HTMLElement & { markRange?: (from: number, to: number) => void }).markRange = (from, to) => {
    for (let t = Math.max(0, from); t < Math.min(d.T, to); t++) marked[t] = 1;
    paint();
    rank();
  };
  paint();
}

export const VIZ_CSS = `
.viz-text { font-family: ui-monospace, monospace; line-height: 2.1; word-break: break-all; background: #fff; padding: .6rem; border: 1px solid #dde; }
.viz-char { display: inline-flex; flex-direction: column; align-items: center; vertical-align: top; cursor: default; }
.viz-char.marked .viz-glyph { text-decoration: underline 2px #111; }
.viz-top { display: none; font-size: .62rem; line-height: 1.05; color: #333; }
.viz.show-top .viz-top { display: flex; flex-direction: column; }
.viz-controls { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin: .4rem 0; }
.viz-info { font-size: .85rem; color: #445; margin: .3rem 0; }
.viz-plots { display: flex; flex-wrap: wrap; gap: 1rem; }
.viz-plots svg { width: 240px; height: auto; }
.viz-ranking button { font-family: ui-monospace, monospace; font-size: .8rem; }
`;
