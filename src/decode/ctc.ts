import { RecurError } from '../errors.js';

/**
 * Decoding of CTC outputs: log-probabilities `[T, C]` of one utterance over C output units, one
 * of which is the blank. A labelling is read off a frame path by collapsing repeats and then
 * dropping blanks (Graves et al. 2006).
 *
 * - {@link ctcGreedy}: the best path, collapsed.
 * - {@link ctcPrefixBeam}: prefix beam search (Hannun et al. 2014), which sums the probability
 *   of every path of a prefix, with optional shallow fusion of a language model over the units
 *   (score = log P_ctc + α·log P_lm + β·|labels|) and an optional word-list constraint.
 *
 * Arrays are row-major; `logProbs[t*C + c]`, first `T` frames.
 */

/** The best-path labelling: per-frame argmax (first maximum on ties), repeats collapsed, blanks dropped. */
export function ctcGreedy(logProbs: ArrayLike<number>, T: number, C: number, blank = 0): number[] {
  checkShape(logProbs, T, C, blank, 'ctcGreedy');
  const out: number[] = [];
  let prev = -1;
  for (let t = 0; t < T; t++) {
    let best = 0, bv = -Infinity;
    for (let c = 0; c < C; c++) {
      const v = logProbs[t * C + c]!;
      if (v > bv) { bv = v; best = c; }
    }
    if (best !== prev && best !== blank) out.push(best);
    prev = best;
  }
  return out;
}

/**
 * A language model over the output units, for shallow fusion. States are immutable values the
 * beam keeps per prefix; `next` is called once per new prefix.
 */
export interface FusionLm<S> {
  /** The state before the first unit. */
  start(): S;
  /** log P(unit | the units that led to `state`), for a non-blank unit. */
  logProb(state: S, unit: number): number;
  /** The state after `unit`. */
  next(state: S, unit: number): S;
}

/** A word-list constraint: outputs are words of the list separated by single `separator` units. */
export interface WordConstraint {
  /** Each word as its units (non-empty, no blank, no separator). */
  words: number[][];
  /** The unit between words (usually the space); null: exactly one word. */
  separator: number | null;
}

export interface PrefixBeamOptions<S> {
  beamSize: number;
  blank?: number;
  lm?: FusionLm<S> | null;
  /** LM weight α (default 0.5 when an LM is given). */
  lmWeight?: number;
  /** Insertion bonus β per emitted unit (default 0). */
  insertionBonus?: number;
  constraint?: WordConstraint | null;
  /**
   * Units whose frame log-probability is below this are not tried as extensions (default −∞,
   * every unit): a speed knob; the best units of each frame are always tried.
   */
  pruneLogProb?: number;
}

export interface CtcHypothesis {
  labels: number[];
  /** log P_ctc of the prefix (all its paths). */
  logProb: number;
  /** log P_ctc + α·log P_lm + β·|labels|: what the ranking uses. */
  score: number;
}

/** A prefix: a node in the tree of every prefix the search made, so that prefixes share storage. */
class Prefix<S> {
  readonly children = new Map<number, Prefix<S>>();
  /** Summed path log-probabilities ending in blank / in the last unit, at the current frame. */
  pb = -Infinity;
  pnb = -Infinity;
  /** Next frame's values, accumulated while the frame is processed. */
  nb = -Infinity;
  nnb = -Infinity;
  /** The last frame whose values were started (nb, nnb reset). */
  frame = -1;
  /** α·log P_lm + β·|labels| of the prefix. */
  bonus: number;
  /** Trie node of the word being spelled (constraint), -1 without one. */
  constructor(readonly parent: Prefix<S> | null, readonly label: number, readonly length: number,
    readonly lmState: S | null, bonus: number, readonly trie: number) {
    this.bonus = bonus;
  }

  labels(): number[] {
    const out: number[] = [];
    for (let p: Prefix<S> | null = this; p && p.parent; p = p.parent) out.push(p.label);
    return out.reverse();
  }
}

function lae(a: number, b: number): number {
  const m = a > b ? a : b;
  if (m === -Infinity) return m;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

function checkShape(logProbs: ArrayLike<number>, T: number, C: number, blank: number, op: string): void {
  if (!Number.isInteger(T) || T < 0 || !Number.isInteger(C) || C < 1) throw new RecurError(`${op}: T=${T}, C=${C} are not a frame count and a unit count`);
  if (logProbs.length < T * C) throw new RecurError(`${op}: ${logProbs.length} log-probabilities for T=${T} frames of C=${C} units (expected ${T * C})`);
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) throw new RecurError(`${op}: blank ${blank} is not a unit id in [0, ${C})`);
}

/** A trie of the constraint's words: node 0 is the root; `end` marks nodes where a word is complete. */
class WordTrie {
  readonly next: Array<Map<number, number>> = [new Map()];
  readonly end: boolean[] = [false];

  constructor(c: WordConstraint, C: number, blank: number) {
    if (c.words.length === 0) throw new RecurError('ctcPrefixBeam: the word list is empty');
    for (const w of c.words) {
      if (w.length === 0) throw new RecurError('ctcPrefixBeam: the word list has an empty word');
      let n = 0;
      for (const u of w) {
        if (!Number.isInteger(u) || u < 0 || u >= C || u === blank || u === c.separator) {
          throw new RecurError(`ctcPrefixBeam: word [${w.join(',')}] has unit ${u}, which is the blank, the separator or not in [0, ${C})`);
        }
        let m = this.next[n]!.get(u);
        if (m === undefined) {
          m = this.next.length;
          this.next.push(new Map());
          this.end.push(false);
          this.next[n]!.set(u, m);
        }
        n = m;
      }
      this.end[n] = true;
    }
  }
}

/**
 * Prefix beam search over `logProbs [T, C]`. Returns up to beamSize hypotheses, best first. With
 * a constraint only complete word sequences are returned (none if no path spells one).
 *
 * Each frame extends every kept prefix by the blank (same prefix), by its last unit (same prefix
 * through a repeat, or a new copy of the unit after a blank) and by every other unit; the
 * probabilities of the paths that reach the same prefix are summed. The beamSize prefixes of
 * highest score are kept. The LM term is added once per emitted unit, when the prefix is made.
 */
export function ctcPrefixBeam<S = unknown>(logProbs: ArrayLike<number>, T: number, C: number, o: PrefixBeamOptions<S>): CtcHypothesis[] {
  const op = 'ctcPrefixBeam';
  const blank = o.blank ?? 0;
  checkShape(logProbs, T, C, blank, op);
  const K = o.beamSize;
  if (!Number.isInteger(K) || K < 1) throw new RecurError(`${op}: beam size must be a whole number >= 1, got ${K}`);
  const lm = o.lm ?? null;
  const alpha = lm ? (o.lmWeight ?? 0.5) : 0, beta = o.insertionBonus ?? 0;
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) throw new RecurError(`${op}: LM weight ${alpha} and insertion bonus ${beta} must be finite`);
  const trie = o.constraint ? new WordTrie(o.constraint, C, blank) : null;
  const sep = o.constraint?.separator ?? null;
  const prune = o.pruneLogProb ?? -Infinity;

  const root = new Prefix<S>(null, -1, 0, lm ? lm.start() : null, 0, trie ? 0 : -1);
  root.pb = 0;
  let beam: Array<Prefix<S>> = [root];
  const total = (p: Prefix<S>): number => lae(p.pb, p.pnb);
  const score = (p: Prefix<S>): number => total(p) + p.bonus;

  /** The child of p by unit u, or null where the constraint forbids it. */
  const child = (p: Prefix<S>, u: number): Prefix<S> | null => {
    let c = p.children.get(u);
    if (c) return c;
    let node = -1;
    if (trie) {
      if (u === sep) {
        if (p.trie === 0 || !trie.end[p.trie]) return null; // a separator ends a complete word only
        node = 0;
      } else {
        const m = trie.next[p.trie]!.get(u);
        if (m === undefined) return null;
        node = m;
      }
    }
    const lmTerm = lm ? alpha * lm.logProb(p.lmState as S, u) : 0;
    c = new Prefix<S>(p, u, p.length + 1, lm ? lm.next(p.lmState as S, u) : null, p.bonus + lmTerm + beta, node);
    p.children.set(u, c);
    return c;
  };

  const order = new Int32Array(C);
  for (let t = 0; t < T; t++) {
    const row = t * C;
    const touched: Array<Prefix<S>> = [];
    const touch = (p: Prefix<S>): void => {
      if (p.frame === t) return;
      p.frame = t;
      p.nb = -Infinity; p.nnb = -Infinity;
      touched.push(p);
    };
    // Units tried as extensions: all above the pruning threshold, always including the frame's best.
    let n = 0, best = 0;
    for (let c = 0; c < C; c++) {
      if (logProbs[row + c]! > logProbs[row + best]!) best = c;
      if (c !== blank && logProbs[row + c]! >= prune) order[n++] = c;
    }
    if (n === 0 && best !== blank) order[n++] = best;
    for (const p of beam) {
      const all = total(p);
      // Blank: same prefix, now ending in blank.
      const lb = logProbs[row + blank]!;
      touch(p);
      p.nb = lae(p.nb, all + lb);
      for (let i = 0; i < n; i++) {
        const u = order[i]!, lu = logProbs[row + u]!;
        if (p.parent && u === p.label) {
          // Repeat without a blank between: collapses into the same prefix.
          touch(p);
          p.nnb = lae(p.nnb, p.pnb + lu);
          // After a blank: a second copy of the unit.
          const c = child(p, u);
          if (c) { touch(c); c.nnb = lae(c.nnb, p.pb + lu); }
        } else {
          const c = child(p, u);
          if (c) { touch(c); c.nnb = lae(c.nnb, all + lu); }
        }
      }
    }
    // Every beam prefix was touched (by its blank extension), so this replaces all their values.
    for (const p of touched) { p.pb = p.nb; p.pnb = p.nnb; }
    touched.sort((a, b) => score(b) - score(a) || a.length - b.length);
    beam = touched.filter((p) => total(p) > -Infinity).slice(0, K);
    if (beam.length === 0) break;
  }
  let out = beam;
  if (trie) out = beam.filter((p) => p.trie > 0 && trie.end[p.trie]!);
  return out.map((p) => ({ labels: p.labels(), logProb: total(p), score: score(p) }));
}
