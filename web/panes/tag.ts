/**
 * The Tag pane: a text in; the text again with each entity chunk (chunk tags, BIO/BIOES) or
 * each word's tag (plain tags such as parts of speech) coloured inline, and a legend of the
 * tags that occur.
 */
import { tag } from '../../src/index.js';
import { $ } from '../dom.js';
import { el, textPane, type RunListing } from './common.js';

/** A distinct hue per tag index (golden-angle steps), light enough to read text on. */
function colour(index: number): string {
  return `hsl(${Math.round((index * 137.508) % 360)}, 70%, 80%)`;
}

function render(text: string, r: ReturnType<typeof tag.tagText>, tagIndex: (t: string) => number): void {
  const out = $('tag-out'), legend = $('tag-legend');
  out.replaceChildren();
  legend.replaceChildren();
  const used = new Map<string, number>();
  let at = 0;
  const plain = (to: number): void => {
    if (to > at) out.append(text.slice(at, to));
    at = to;
  };
  const mark = (label: string, from: number, to: number, ruby: boolean): void => {
    plain(from);
    const i = tagIndex(label);
    used.set(label, (used.get(label) ?? 0) + 1);
    const m = el('mark', 'tag-mark');
    m.dataset.tag = label;
    m.style.backgroundColor = colour(i);
    m.title = label;
    if (ruby) {
      const rb = el('ruby', '', text.slice(from, to));
      rb.append(el('rt', '', label));
      m.append(rb);
    } else {
      m.append(text.slice(from, to), el('sub', 'tag-type', label));
    }
    out.append(m);
    at = to;
  };
  if (r.chunks) {
    for (const c of r.chunks) mark(c.type || 'chunk', r.words[c.start]!.start, r.words[c.end - 1]!.end, false);
  } else {
    for (const w of r.words) mark(w.tag, w.start, w.end, true);
  }
  plain(text.length);
  for (const [label, n] of [...used].sort((a, b) => tagIndex(a[0]) - tagIndex(b[0]))) {
    const li = el('li', '');
    const sw = el('span', 'tag-swatch');
    sw.style.backgroundColor = colour(tagIndex(label));
    li.append(sw, `${label} (${n})`);
    li.dataset.tag = label;
    legend.append(li);
  }
}

export function setupTagPane(runs: readonly RunListing[]): void {
  textPane(runs, {
    prefix: 'tag', task: 'tag', verb: 'tag', busy: 'tagging…', build: tag.fromCheckpoint, isEmpty: (text) => tag.splitWords(text).length === 0,
    action: (run, text) => {
      const r = tag.tagText(run, text);
      // Chunk types keep the order of their first B- tag in the run's tag list, plain tags their own.
      const types = run.config.model.tags.map((t) => (r.chunks ? t.replace(/^[BIES]-/, '') : t));
      render(text, r, (t) => Math.max(0, types.indexOf(t)));
      return `done: ${r.words.length} words${r.chunks ? `, ${r.chunks.length} chunks` : ''}`;
    },
  });
}
