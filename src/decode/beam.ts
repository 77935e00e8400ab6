import { RecurError } from '../errors.js';

/** What beam search needs from a model: one step for many hypotheses, and state selection. */
export interface BeamStepper<S> {
  /** Next-token log-probabilities for each live hypothesis, row-major [rows, vocabSize]. */
  step(lastTokens: Int32Array, state: S): { logProbs: Float32Array; vocabSize: number; state: S };
  /** The state rows of the given hypotheses, in that order (rows may repeat). */
  select(state: S, rows: Int32Array): S;
}

export interface BeamOptions {
  beamSize: number;
  maxLength: number;
  /** End-of-sequence id: a hypothesis that emits it is finished. */
  eos?: number;
  /** Scores are divided by length^lengthPenalty (0 = raw log-probability). Default 1. */
  lengthPenalty?: number;
}

export interface Hypothesis {
  tokens: number[];
  /** Sum of log-probabilities. */
  logProb: number;
  /** logProb / length^lengthPenalty: what the ranking uses. */
  score: number;
}

/**
 * Beam search from one start token and state. Returns up to beamSize hypotheses, best first.
 * Each step expands every live hypothesis by every token, keeps the beamSize best
 * continuations that did not just end, and sets aside those that emitted eos.
 */
export function beamSearch<S>(stepper: BeamStepper<S>, start: { token: number; state: S }, o: BeamOptions): Hypothesis[] {
  const K = o.beamSize, alpha = o.lengthPenalty ?? 1;
  if (!Number.isInteger(K) || K < 1) throw new RecurError(`beam size must be a whole number >= 1, got ${K}`);
  if (!Number.isInteger(o.maxLength) || o.maxLength < 1) throw new RecurError(`maxLength must be a whole number >= 1, got ${o.maxLength}`);
  const norm = (lp: number, len: number): number => (alpha === 0 ? lp : lp / Math.pow(Math.max(len, 1), alpha));

  let live: Array<{ tokens: number[]; logProb: number }> = [{ tokens: [], logProb: 0 }];
  let state = start.state;
  let last = Int32Array.of(start.token);
  const finished: Hypothesis[] = [];

  for (let t = 0; t < o.maxLength && live.length > 0; t++) {
    const { logProbs, vocabSize: V, state: next } = stepper.step(last, state);
    const cands: Array<{ row: number; tok: number; logProb: number }> = [];
    for (let r = 0; r < live.length; r++) {
      for (let v = 0; v < V; v++) cands.push({ row: r, tok: v, logProb: live[r]!.logProb + logProbs[r * V + v]! });
    }
    // Stable order on ties: lower row, then lower token, so K=1 equals greedy's first-max rule.
    cands.sort((a, b) => b.logProb - a.logProb || a.row - b.row || a.tok - b.tok);
    const nextLive: typeof live = [];
    const rows: number[] = [];
    for (const c of cands) {
      if (nextLive.length >= K) break;
      const tokens = [...live[c.row]!.tokens, c.tok];
      if (c.tok === o.eos) {
        finished.push({ tokens, logProb: c.logProb, score: norm(c.logProb, tokens.length) });
      } else {
        nextLive.push({ tokens, logProb: c.logProb });
        rows.push(c.row);
      }
    }
    if (finished.length >= K) {
      live = [];
      break;
    }
    live = nextLive;
    state = stepper.select(next, Int32Array.from(rows));
    last = Int32Array.from(live.map((h) => h.tokens[h.tokens.length - 1]!));
  }
  for (const h of live) finished.push({ ...h, score: norm(h.logProb, h.tokens.length) });
  return finished.sort((a, b) => b.score - a.score).slice(0, K);
}
