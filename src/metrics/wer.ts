/**
 * Edit-distance error rates.
 *
 * - `errorRate`: Σ Levenshtein(hyp, ref) / Σ |ref| over token sequences — word error rate
 *   for speech, phoneme error rate (PER) for grapheme-to-phoneme.
 * - `sequenceErrorRate`: the fraction of sequences that differ from every reference — what the
 *   grapheme-to-phoneme literature calls word error rate (a word is wrong if any phoneme is).
 *
 * With several references (CMUdict lists alternative pronunciations), a hypothesis is scored
 * against the reference it is closest to, as is usual for G2P.
 */
import { RecurError } from '../errors.js';

/** Levenshtein distance (unit-cost insertions, deletions, substitutions) between two sequences. */
export function editDistance<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  const n = a.length, m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev = new Int32Array(m + 1), cur = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= m; j++) {
      const sub = prev[j - 1]! + (ai === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m]!;
}

export interface ErrorRate {
  /** Edits (errorRate) or wrong sequences (sequenceErrorRate). */
  errors: number;
  /** Reference tokens (errorRate) or sequences (sequenceErrorRate). */
  total: number;
  /** errors / total, a fraction (0.25 = 25%). */
  rate: number;
}

/** One reference sequence, or several alternatives. */
export type TokenReferences = readonly string[] | ReadonlyArray<readonly string[]>;

function alternatives(r: TokenReferences): ReadonlyArray<readonly string[]> {
  if (r.length > 0 && typeof r[0] !== 'string') return r as ReadonlyArray<readonly string[]>;
  return [r as readonly string[]];
}

function check(h: number, r: number, what: string): void {
  if (h !== r) throw new RecurError(`${what}: ${h} hypotheses but ${r} references`);
}

/** Σ edit distance / Σ reference length; with alternatives, the closest reference (fewest edits, then shortest) counts. */
export function errorRate(hypotheses: ReadonlyArray<readonly string[]>, references: readonly TokenReferences[]): ErrorRate {
  check(hypotheses.length, references.length, 'errorRate');
  let errors = 0, total = 0;
  hypotheses.forEach((h, i) => {
    let bestE = Infinity, bestLen = 0;
    for (const r of alternatives(references[i]!)) {
      const e = editDistance(h, r);
      if (e < bestE || (e === bestE && r.length < bestLen)) {
        bestE = e;
        bestLen = r.length;
      }
    }
    errors += bestE;
    total += bestLen;
  });
  return { errors, total, rate: total > 0 ? errors / total : 0 };
}

/** Fraction of hypotheses equal to none of their references. */
export function sequenceErrorRate(hypotheses: ReadonlyArray<readonly string[]>, references: readonly TokenReferences[]): ErrorRate {
  check(hypotheses.length, references.length, 'sequenceErrorRate');
  let errors = 0;
  hypotheses.forEach((h, i) => {
    const ok = alternatives(references[i]!).some((r) => r.length === h.length && r.every((t, k) => t === h[k]));
    if (!ok) errors++;
  });
  return { errors, total: hypotheses.length, rate: hypotheses.length > 0 ? errors / hypotheses.length : 0 };
}

/** Speech-style word error rate of whitespace-separated strings. */
export function wordErrorRate(hypotheses: readonly string[], references: readonly string[]): ErrorRate {
  const split = (s: string): string[] => s.split(/\s+/).filter((t) => t.length > 0);
  return errorRate(hypotheses.map(split), references.map(split));
}
