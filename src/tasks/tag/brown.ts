/**
 * Tagging tasks derived from the Brown corpus (`loadBrownSentences`, NLTK's copy: 500 files,
 * 57,340 sentences, 472 distinct tag strings).
 *
 * Part of speech (`brown-pos`): the 87 base tags. A raw Brown tag is mapped by
 *  1. compound tags (contractions, `ppss+ber` = we're) -> their first part (`ppss`);
 *  2. dropping the modifiers -tl (title), -hl (headline), -nc (cited word): `nn-tl` -> `nn`;
 *  3. foreign words `fw-X` -> `fw`;
 *  4. negated forms with a fused n't (`md*`, `bez*`, `do*`, ...) -> the verb's tag (`md`);
 *     `*` alone (not, n't) stays `*`;
 *  5. possessives outside the tagset's own ones (nn$ nns$ np$ nps$ pn$ pp$ pp$$ wp$), such as
 *     `nr$`, `jj$`, `cd$`, -> the tag without `$`.
 * The result is exactly the 87 tags in BROWN_POS_TAGS (including `nil`, the corpus's 157
 * untagged tokens, and the punctuation tags).
 *
 * Name chunks (`brown-names`): a token is part of a name when it is a proper noun (base tag
 * np, np$, nps, nps$) or carries the title modifier -tl; maximal runs of such tokens are
 * chunks, typed NAME when the run has a proper noun ("Fulton County Grand Jury", "Ivan Allen
 * Jr.") and TITLE otherwise ("City Executive Committee"), encoded as BIO (IOB2).
 *
 * Split by file, fixed: within every genre, files numbered ≡ 0 (mod 10) are the test set
 * (ca10, ca20, ...), ≡ 5 (mod 10) the development set, the rest train (~80/10/10 of the
 * sentences, every genre in each part).
 */
import { loadBrownSentences } from '../../data/corpora.js';
import type { TaggedSentence } from './data.js';

export const BROWN_POS_TAGS: readonly string[] = [
  '(', ')', '*', ',', '--', '.', ':', "'", "''", '``', 'abl', 'abn', 'abx', 'ap', 'at', 'be', 'bed', 'bedz', 'beg', 'bem', 'ben',
  'ber', 'bez', 'cc', 'cd', 'cs', 'do', 'dod', 'doz', 'dt', 'dti', 'dts', 'dtx', 'ex', 'fw', 'hv', 'hvd', 'hvg', 'hvn', 'hvz', 'in',
  'jj', 'jjr', 'jjs', 'jjt', 'md', 'nil', 'nn', 'nn$', 'nns', 'nns$', 'np', 'np$', 'nps', 'nps$', 'nr', 'nrs', 'od', 'pn', 'pn$',
  'pp$', 'pp$$', 'ppl', 'ppls', 'ppo', 'pps', 'ppss', 'ql', 'qlp', 'rb', 'rbr', 'rbt', 'rn', 'rp', 'to', 'uh', 'vb', 'vbd', 'vbg',
  'vbn', 'vbz', 'wdt', 'wp$', 'wpo', 'wps', 'wql', 'wrb',
];

const OWN_POSSESSIVES = new Set(['nn$', 'nns$', 'np$', 'nps$', 'pn$', 'pp$', 'pp$$', 'wp$']);

/** A raw Brown tag's base part-of-speech tag (rules 1–5 above). */
export function brownBaseTag(raw: string): string {
  let t = raw.toLowerCase().split('+')[0]!;
  while (/-(tl|hl|nc)$/.test(t)) t = t.slice(0, -3);
  if (t.startsWith('fw-')) return 'fw';
  if (t.length > 1 && t.endsWith('*')) t = t.slice(0, -1);
  if (t.length > 1 && t.endsWith('$') && !OWN_POSSESSIVES.has(t)) t = t.slice(0, -1);
  return t;
}

const PROPER = new Set(['np', 'np$', 'nps', 'nps$']);

/** BIO name-chunk tags (NAME / TITLE) of one Brown sentence's raw tags. */
export function brownNameTags(rawTags: readonly string[]): string[] {
  const proper = rawTags.map((t) => PROPER.has(brownBaseTag(t.replace(/^fw-/, ''))));
  const inName = rawTags.map((t, i) => proper[i]! || /-tl(\b|$|-|\+)/.test(t));
  const out = new Array<string>(rawTags.length).fill('O');
  for (let i = 0; i < rawTags.length;) {
    if (!inName[i]) { i++; continue; }
    let j = i;
    let hasProper = false;
    for (; j < rawTags.length && inName[j]; j++) if (proper[j]) hasProper = true;
    const type = hasProper ? 'NAME' : 'TITLE';
    for (let k = i; k < j; k++) out[k] = `${k === i ? 'B' : 'I'}-${type}`;
    i = j;
  }
  return out;
}

export type BrownPart = 'train' | 'valid' | 'test';

/** The fixed split of a Brown file id such as "ca10" (see the module doc). */
export function brownFilePart(file: string): BrownPart {
  const n = Number(file.slice(2));
  return n % 10 === 0 ? 'test' : n % 10 === 5 ? 'valid' : 'train';
}

export type BrownTask = 'pos' | 'names';

/** Brown sentences tagged for `task`, split by file. */
export function loadBrownTagging(task: BrownTask): Record<BrownPart, TaggedSentence[]> {
  const out: Record<BrownPart, TaggedSentence[]> = { train: [], valid: [], test: [] };
  const seen = new Map<string, number>();
  for (const s of loadBrownSentences()) {
    const k = (seen.get(s.file) ?? 0) + 1;
    seen.set(s.file, k);
    const tags = task === 'pos' ? s.tags.map(brownBaseTag) : brownNameTags(s.tags);
    out[brownFilePart(s.file)].push({ words: s.words, tags, where: `brown ${s.file} sentence ${k}` });
  }
  return out;
}
