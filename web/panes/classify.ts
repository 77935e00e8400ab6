/**
 * The Classify pane: a text in; the label, a bar per class probability, and the words shaded by
 * what they gave the pooled vector (attention weights, or shares of the max-pooled features).
 */
import { classify } from '../../src/index.js';
import { $ } from '../dom.js';
import { el, textPane, type RunListing } from './common.js';

function renderResult(r: ReturnType<typeof classify.classifyText>, pooling: string): void {
  const out = $('cls-out');
  out.replaceChildren();
  out.append(el('p', 'cls-label', r.label));
  const bars = el('div', 'cls-bars');
  for (const [label, p] of Object.entries(r.probs).sort((a, b) => b[1] - a[1])) {
    const row = el('div', 'cls-bar');
    row.dataset.label = label;
    const fill = el('span', 'cls-fill');
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    const track = el('span', 'cls-track');
    track.append(fill);
    row.append(el('span', 'cls-name', label), track, el('span', 'cls-prob', `${(100 * p).toFixed(1)}%`));
    bars.append(row);
  }
  out.append(bars);
  const words = el('p', 'cls-words');
  if (r.weights) {
    const top = Math.max(...r.weights);
    r.tokens.forEach((t, i) => {
      const w = r.weights![i]!;
      const s = el('span', r.known[i] ? 'cls-word' : 'cls-word cls-unk', t);
      s.style.backgroundColor = `rgba(230, 120, 20, ${(w / top).toFixed(3)})`;
      s.dataset.weight = w.toFixed(4);
      s.title = `${r.weightKind === 'attention' ? 'attention' : 'share of the max-pooled features'} ${(100 * w).toFixed(1)}%${r.known[i] ? '' : ' (not in the vocabulary: read as <unk>)'}`;
      words.append(s, ' ');
    });
    const what = r.weightKind === 'attention' ? 'their attention weight' : 'the share of the max-pooled features they supply';
    out.append(el('p', 'hint', `Words shaded by ${what} (darkest = the most); dotted: not in the vocabulary.`), words);
  } else {
    out.append(el('p', 'hint', `This run pools with '${pooling}', which gives no per-word weights (attention and max pooling do).`));
  }
}

export function setupClassifyPane(runs: readonly RunListing[]): void {
  textPane(runs, {
    prefix: 'cls', task: 'classify', verb: 'classify', busy: 'classifying…', build: classify.fromCheckpoint, isEmpty: (text) => text.trim() === '',
    action: (run, text) => {
      const r = classify.classifyText(run, text);
      renderResult(r, run.config.model.pooling);
      return `done: ${r.label} (${(100 * r.probs[r.label]!).toFixed(1)}%), ${r.tokens.length} words`;
    },
  });
}
