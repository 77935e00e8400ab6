/**
 * Corpus BLEU (Papineni et al. 2002) with the semantics of sacreBLEU 2.x (Post 2018):
 * detokenized text in, 13a tokenization, case-sensitive, n-grams up to 4, clipped counts
 * summed over the corpus, brevity penalty from the summed closest reference lengths.
 *
 *     p_n  = Σ_segments Σ_{g ∈ n-grams(hyp)} min(count_hyp(g), max_ref count_ref(g))
 *            / Σ_segments |n-grams(hyp)|
 *     BP   = 1 if c ≥ r else exp(1 − r/c)      (c = hypothesis tokens, r = closest reference tokens)
 *     BLEU = 100 · BP · exp( (1/4) Σ_n log p_n )
 *
 * Smoothing defaults to 'none' (a zero precision makes BLEU 0), the usual corpus-level choice;
 * 'exp' (sacreBLEU's own CLI default, mteval's NIST smoothing), 'floor' and 'add-k' are
 * available and follow sacreBLEU's `compute_bleu` line by line. On a real test set no
 * precision is zero and all four agree.
 */
import { RecurError } from '../errors.js';
import { pyRstrip, pySplit, tokenize13a } from './tokenize-13a.js';

export type BleuSmoothing = 'none' | 'exp' | 'floor' | 'add-k';

export interface BleuOptions {
  /** Lower-case hypotheses and references first. Default false. */
  lowercase?: boolean;
  /** '13a' (default, sacreBLEU's) or 'none' (split on whitespace only: for pre-tokenized text). */
  tokenize?: '13a' | 'none';
  smooth?: BleuSmoothing;
  /** For 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number;
  /** Highest n-gram order (default 4). */
  maxOrder?: number;
  /** Average only over the orders the hypothesis has n-grams of (sentence-level use). Default false. */
  effectiveOrder?: boolean;
}

export interface BleuResult {
  /** 0..100. */
  score: number;
  /** Clipped matches per order, 1..maxOrder. */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  /** Per-order precisions in percent, after smoothing. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  sysLen: number;
  refLen: number;
}

/** One segment's references: a string, or several alternatives. */
export type References = string | readonly string[];

function prepare(s: string, o: BleuOptions): string[] {
  const t = o.lowercase ? s.toLowerCase() : s;
  return (o.tokenize ?? '13a') === '13a' ? pySplit(tokenize13a(pyRstrip(t))) : pySplit(t);
}

/** Counts of each n-gram, one map per order (index n-1); keys are JSON arrays, so any token text is safe. */
function ngramCounts(tokens: readonly string[], maxOrder: number): Array<Map<string, number>> {
  const out: Array<Map<string, number>> = [];
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = JSON.stringify(tokens.slice(i, i + n));
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

/** sacreBLEU's `_get_closest_ref_len`: the reference length nearest the hypothesis's, the shorter on ties. */
function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let bestDiff = -1, best = -1;
  for (const r of refLens) {
    const d = Math.abs(hypLen - r);
    if (bestDiff === -1 || d < bestDiff) {
      bestDiff = d;
      best = r;
    } else if (d === bestDiff && r < best) best = r;
  }
  return best;
}

/** Sufficient statistics of one segment: [sysLen, refLen, counts..., totals...]. */
export function bleuSegmentStats(hypothesis: string, references: References, o: BleuOptions = {}): number[] {
  const N = o.maxOrder ?? 4;
  const refs = typeof references === 'string' ? [references] : references;
  if (refs.length === 0) throw new RecurError('BLEU: a segment has no reference');
  // Clipping count of an n-gram: its largest count in any one reference.
  const refMax = Array.from({ length: N }, () => new Map<string, number>());
  const refLens: number[] = [];
  for (const r of refs) {
    const toks = prepare(r, o);
    refLens.push(toks.length);
    ngramCounts(toks, N).forEach((m, n) => {
      for (const [g, c] of m) refMax[n]!.set(g, Math.max(refMax[n]!.get(g) ?? 0, c));
    });
  }
  const hyp = prepare(hypothesis, o);
  const correct = new Array<number>(N).fill(0), total = new Array<number>(N).fill(0);
  ngramCounts(hyp, N).forEach((m, n) => {
    for (const [g, c] of m) {
      total[n]! += c;
      const rc = refMax[n]!.get(g);
      if (rc !== undefined) correct[n]! += Math.min(c, rc);
    }
  });
  return [hyp.length, closestRefLen(hyp.length, refLens), ...correct, ...total];
}

/** BLEU from summed statistics; sacreBLEU's `BLEU.compute_bleu`. */
export function bleuFromStats(stats: readonly number[], o: BleuOptions = {}): BleuResult {
  const N = o.maxOrder ?? 4;
  const method = o.smooth ?? 'none';
  const smoothValue = o.smoothValue ?? (method === 'floor' ? 0.1 : 1);
  const sysLen = stats[0]!, refLen = stats[1]!;
  const correct = stats.slice(2, 2 + N), total = stats.slice(2 + N, 2 + 2 * N);
  const counts = [...correct], totals = [...total];
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(N).fill(0);
  const result = (score: number): BleuResult => ({ score, counts, totals, precisions, bp, sysLen, refLen });
  if (!correct.some((c) => c > 0)) return result(0);

  let smoothMteval = 1, effOrder = N;
  for (let n = 1; n <= N; n++) {
    if (method === 'add-k' && n > 1) {
      correct[n - 1]! += smoothValue;
      total[n - 1]! += smoothValue;
    }
    if (total[n - 1] === 0) break;
    if (o.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (method === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]!);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / total[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!;
    }
  }
  // sacreBLEU's my_log: log(0) is a huge negative number, so one zero precision zeroes BLEU.
  const myLog = (p: number): number => (p === 0 ? -9999999999 : Math.log(p));
  let s = 0;
  for (let n = 0; n < effOrder; n++) s += myLog(precisions[n]!);
  return result(bp * Math.exp(s / effOrder));
}

function checkLengths(hyps: readonly string[], refs: readonly References[], what: string): void {
  if (hyps.length !== refs.length) {
    throw new RecurError(`${what}: ${hyps.length} hypotheses but ${refs.length} references (one reference, or a list of them, per hypothesis)`);
  }
}

/**
 * Corpus BLEU of `hypotheses` against `references` (one string, or a list of alternative
 * strings, per hypothesis), as `sacrebleu.corpus_bleu(hyps, [refs], smooth_method='none')`.
 */
export function corpusBleu(hypotheses: readonly string[], references: readonly References[], o: BleuOptions = {}): BleuResult {
  checkLengths(hypotheses, references, 'corpusBleu');
  const N = o.maxOrder ?? 4;
  const sum = new Array<number>(2 + 2 * N).fill(0);
  hypotheses.forEach((h, i) => {
    bleuSegmentStats(h, references[i]!, o).forEach((v, k) => (sum[k]! += v));
  });
  return bleuFromStats(sum, o);
}

/** BLEU of one segment (use `effectiveOrder: true` and a smoothing for sentence-level scores). */
export function sentenceBleu(hypothesis: string, references: References, o: BleuOptions = {}): BleuResult {
  return bleuFromStats(bleuSegmentStats(hypothesis, references, o), o);
}

/** sacreBLEU's one-line summary: `BLEU = 25.31 58.0/31.2/19.4/12.1 (BP = 1.000 ratio = 1.012 hyp_len = 512 ref_len = 506)`. */
export function formatBleu(r: BleuResult): string {
  const ratio = r.refLen ? r.sysLen / r.refLen : 0;
  return `BLEU = ${r.score.toFixed(2)} ${r.precisions.map((p) => p.toFixed(1)).join('/')} ` +
    `(BP = ${r.bp.toFixed(3)} ratio = ${ratio.toFixed(3)} hyp_len = ${r.sysLen} ref_len = ${r.refLen})`;
}
