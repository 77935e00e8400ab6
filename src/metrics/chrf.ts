/**
 * chrF (Popović 2015) with sacreBLEU 2.x's defaults: character n-grams of orders 1..6 over
 * the text with whitespace removed, no word n-grams (chrF++ is wordOrder 2), β = 2, and
 * sacreBLEU's "effective order" averaging: precision and recall are averaged over the orders
 * where both hypothesis and reference have n-grams, then
 *
 *     chrF = 100 · (1 + β²) · P · R / (β² · P + R)
 *
 * Statistics (hyp n-grams, ref n-grams, matches per order) are summed over the corpus before
 * the score is computed. With several references, each segment keeps the statistics of the
 * reference with the best segment-level score. Characters are Unicode code points.
 */
import { RecurError } from '../errors.js';
import type { References } from './bleu.js';
import { pySplit } from './tokenize-13a.js';

export interface ChrfOptions {
  /** Character n-gram order (default 6). */
  charOrder?: number;
  /** Word n-gram order (default 0; 2 gives chrF++). */
  wordOrder?: number;
  /** Recall weight (default 2). */
  beta?: number;
  lowercase?: boolean;
  /** Keep whitespace in character n-grams (default false). */
  whitespace?: boolean;
}

const PUNCTS = new Set([...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~']);

function counter(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) m.set(it, (m.get(it) ?? 0) + 1);
  return m;
}

function charNgrams(line: string, maxOrder: number, whitespace: boolean): Array<Map<string, number>> {
  const chars = [...(whitespace ? line : pySplit(line).join(''))];
  const out: Array<Map<string, number>> = [];
  for (let n = 1; n <= maxOrder; n++) {
    const items: string[] = [];
    for (let i = 0; i + n <= chars.length; i++) items.push(chars.slice(i, i + n).join(''));
    out.push(counter(items));
  }
  return out;
}

/** chrF+'s word splitting: a punctuation mark at the end (else the start) of a word is split off. */
function punctSplit(sent: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sent)) {
    const cs = [...w];
    if (cs.length === 1) out.push(w);
    else if (PUNCTS.has(cs[cs.length - 1]!)) out.push(cs.slice(0, -1).join(''), cs[cs.length - 1]!);
    else if (PUNCTS.has(cs[0]!)) out.push(cs[0]!, cs.slice(1).join(''));
    else out.push(w);
  }
  return out;
}

function allNgrams(s: string, o: Required<ChrfOptions>): Array<Map<string, number>> {
  const t = o.lowercase ? s.toLowerCase() : s;
  const grams = charNgrams(t, o.charOrder, o.whitespace);
  if (o.wordOrder > 0) {
    const words = punctSplit(t);
    for (let n = 1; n <= o.wordOrder; n++) {
      const items: string[] = [];
      for (let i = 0; i + n <= words.length; i++) items.push(words.slice(i, i + n).join(' '));
      grams.push(counter(items));
    }
  }
  return grams;
}

function fill(o: ChrfOptions): Required<ChrfOptions> {
  return { charOrder: o.charOrder ?? 6, wordOrder: o.wordOrder ?? 0, beta: o.beta ?? 2, lowercase: o.lowercase ?? false, whitespace: o.whitespace ?? false };
}

/** The chrF score (0..100) of summed statistics [hyp, ref, match] × orders. */
export function chrfFromStats(stats: readonly number[], o: ChrfOptions = {}): number {
  const f = fill(o);
  const factor = f.beta ** 2;
  let avgP = 0, avgR = 0, eff = 0;
  for (let i = 0; i < f.charOrder + f.wordOrder; i++) {
    const nHyp = stats[3 * i]!, nRef = stats[3 * i + 1]!, nMatch = stats[3 * i + 2]!;
    if (nHyp > 0 && nRef > 0) {
      avgP += nMatch / nHyp;
      avgR += nMatch / nRef;
      eff++;
    }
  }
  if (eff === 0) return 0;
  avgP /= eff;
  avgR /= eff;
  return avgP + avgR > 0 ? (100 * (1 + factor) * avgP * avgR) / (factor * avgP + avgR) : 0;
}

/** Statistics of one segment against its best reference. */
export function chrfSegmentStats(hypothesis: string, references: References, o: ChrfOptions = {}): number[] {
  const f = fill(o);
  const refs = typeof references === 'string' ? [references] : references;
  if (refs.length === 0) throw new RecurError('chrF: a segment has no reference');
  const hyp = allNgrams(hypothesis, f);
  let best: number[] = [], bestScore = -1;
  for (const r of refs) {
    const ref = allNgrams(r, f);
    const stats: number[] = [];
    hyp.forEach((h, k) => {
      const rg = ref[k]!;
      let match = 0, hypCount = 0, refCount = 0;
      for (const [g, c] of h) {
        hypCount += c;
        const rc = rg.get(g);
        if (rc !== undefined) match += Math.min(c, rc);
      }
      for (const c of rg.values()) refCount += c;
      // As sacreBLEU: hypothesis n-grams do not count when the reference has none of that order.
      stats.push(rg.size > 0 ? hypCount : 0, refCount, match);
    });
    const score = chrfFromStats(stats, f);
    if (score > bestScore) {
      bestScore = score;
      best = stats;
    }
  }
  return best;
}

/** Corpus chrF, as `sacrebleu.corpus_chrf(hyps, [refs])`. */
export function corpusChrf(hypotheses: readonly string[], references: readonly References[], o: ChrfOptions = {}): number {
  if (hypotheses.length !== references.length) {
    throw new RecurError(`corpusChrf: ${hypotheses.length} hypotheses but ${references.length} references`);
  }
  const f = fill(o);
  const sum = new Array<number>(3 * (f.charOrder + f.wordOrder)).fill(0);
  hypotheses.forEach((h, i) => chrfSegmentStats(h, references[i]!, f).forEach((v, k) => (sum[k]! += v)));
  return chrfFromStats(sum, f);
}
