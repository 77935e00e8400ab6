/**
 * Greedy decoding and beam search over a BATCH of independent sequences, for
 * encoder-decoder models: every live hypothesis of every sentence is one row of a single
 * model step, and finished sentences drop out of the batch.
 *
 * Semantics per sentence are those of `beamSearch` (beam.ts): each step expands every live
 * hypothesis by every token, ranks the continuations by total log-probability (ties: lower
 * row, then lower token), keeps the best `beamSize` that did not just emit `eos` and sets
 * aside those that did; the sentence stops when `beamSize` hypotheses have finished or its
 * maximum length is reached, and finished plus still-live hypotheses are ranked by
 * logProb / length^lengthPenalty. With beamSize 1 this is exactly greedy decoding.
 */
import { RecurError } from '../errors.js';
import { reclaimMemory } from '../kernels/index.js';
import type { Hypothesis } from './beam.js';

/** What the search needs from a model: one step for many rows, and row selection. */
export interface BatchedBeamStepper<S> {
  /**
   * Next-token log-probabilities [rows, vocabSize] for the last tokens of `rows` hypotheses,
   * and optionally their attention weights [rows, attentionWidth] for inspection.
   */
  step(lastTokens: Int32Array, state: S): { logProbs: Float32Array; vocabSize: number; state: S; attention?: Float32Array; attentionWidth?: number };
  /** The state rows of the given hypotheses, in that order (rows may repeat). */
  select(state: S, rows: Int32Array): S;
}

export interface BatchedDecodeOptions {
  /** Maximum tokens per sentence (including eos): one number, or one per sentence. */
  maxLength: number | ArrayLike<number>;
  eos: number;
  /** Hypotheses kept per sentence (1 = greedy). Default 1. */
  beamSize?: number;
  /** Finished hypotheses rank by logProb / length^lengthPenalty (0 = raw sum). Default 1. */
  lengthPenalty?: number;
  /** Yield to the event loop (reclaiming tensor storage) every this many steps. Default 16. */
  reclaimEvery?: number;
}

export interface DecodedHypothesis extends Hypothesis {
  /** Attention weights that produced each token (when the stepper reports them). */
  attention?: Float32Array[];
}

interface Live {
  tokens: number[];
  logProb: number;
  attention: Float32Array[] | null;
}

/** Indices of the k largest values of row `r` of `lp` (ties: lower index first), best first. */
function topK(lp: Float32Array, r: number, V: number, k: number): number[] {
  const idx: number[] = [], val: number[] = [];
  const base = r * V;
  for (let v = 0; v < V; v++) {
    const x = lp[base + v]!;
    if (idx.length === k && !(x > val[k - 1]!)) continue;
    let i = idx.length === k ? k - 1 : idx.length;
    if (idx.length < k) {
      idx.push(v);
      val.push(x);
    }
    // Insertion: strictly greater moves up, so an equal value stays after the earlier index.
    while (i > 0 && x > val[i - 1]!) {
      idx[i] = idx[i - 1]!;
      val[i] = val[i - 1]!;
      i--;
    }
    idx[i] = v;
    val[i] = x;
  }
  return idx;
}

/**
 * Beam search for `start.tokens.length` sentences at once. `start.state` has one row per
 * sentence. Returns, per sentence, up to beamSize hypotheses, best first.
 */
export async function batchedBeamSearch<S>(stepper: BatchedBeamStepper<S>, start: { tokens: Int32Array; state: S },
  o: BatchedDecodeOptions): Promise<DecodedHypothesis[][]> {
  const K = o.beamSize ?? 1, alpha = o.lengthPenalty ?? 1;
  const N = start.tokens.length;
  if (!Number.isInteger(K) || K < 1) throw new RecurError(`beam size must be a whole number >= 1, got ${K}`);
  const maxLen = Array.from({ length: N }, (_, b) => (typeof o.maxLength === 'number' ? o.maxLength : o.maxLength[b]!));
  if (typeof o.maxLength !== 'number' && o.maxLength.length !== N) throw new RecurError(`maxLength has ${o.maxLength.length} entries for ${N} sentences`);
  for (const m of maxLen) if (!Number.isInteger(m) || m < 1) throw new RecurError(`maxLength must be a whole number >= 1, got ${m}`);
  const norm = (lp: number, len: number): number => (alpha === 0 ? lp : lp / Math.pow(Math.max(len, 1), alpha));

  const finished: DecodedHypothesis[][] = Array.from({ length: N }, () => []);
  // Live hypotheses per active sentence; their rows in the batch are consecutive, in this order.
  let active = Array.from({ length: N }, (_, b) => b);
  let live: Live[][] = Array.from({ length: N }, () => [{ tokens: [], logProb: 0, attention: null }]);
  let state = start.state;
  let last = Int32Array.from(start.tokens);
  const reclaimEvery = o.reclaimEvery ?? 16;

  for (let t = 0; active.length > 0; t++) {
    const { logProbs, vocabSize: V, state: next, attention, attentionWidth } = stepper.step(last, state);
    const W = attentionWidth ?? 0;
    const rowsNext: number[] = [], lastNext: number[] = [], activeNext: number[] = [], liveNext: Live[][] = [];
    let row0 = 0;
    for (const b of active) {
      const hyps = live[b]!;
      const cands: Array<{ row: number; tok: number; logProb: number }> = [];
      hyps.forEach((h, r) => {
        // Per row at most one candidate is eos, so 2K per row always leaves K that are not.
        for (const tok of topK(logProbs, row0 + r, V, Math.min(2 * K, V))) {
          cands.push({ row: r, tok, logProb: h.logProb + logProbs[(row0 + r) * V + tok]! });
        }
      });
      cands.sort((x, y) => y.logProb - x.logProb || x.row - y.row || x.tok - y.tok);
      const kept: Live[] = [], keptRows: number[] = [];
      for (const c of cands) {
        if (kept.length >= K) break;
        const parent = hyps[c.row]!;
        const tokens = [...parent.tokens, c.tok];
        const att = attention && W > 0 ? [...(parent.attention ?? []), attention.slice((row0 + c.row) * W, (row0 + c.row + 1) * W)] : null;
        if (c.tok === o.eos) {
          finished[b]!.push({ tokens, logProb: c.logProb, score: norm(c.logProb, tokens.length), ...(att ? { attention: att } : {}) });
        } else {
          kept.push({ tokens, logProb: c.logProb, attention: att });
          keptRows.push(row0 + c.row);
        }
      }
      row0 += hyps.length;
      const done = finished[b]!.length >= K || t + 1 >= maxLen[b]!;
      if (done) {
        if (finished[b]!.length < K) {
          for (const h of kept) finished[b]!.push({ tokens: h.tokens, logProb: h.logProb, score: norm(h.logProb, h.tokens.length), ...(h.attention ? { attention: h.attention } : {}) });
        }
        continue;
      }
      activeNext.push(b);
      liveNext[b] = kept;
      rowsNext.push(...keptRows);
      for (const h of kept) lastNext.push(h.tokens[h.tokens.length - 1]!);
    }
    active = activeNext;
    live = liveNext;
    if (active.length === 0) break;
    state = stepper.select(next, Int32Array.from(rowsNext));
    last = Int32Array.from(lastNext);
    if (reclaimEvery > 0 && t % reclaimEvery === reclaimEvery - 1) await reclaimMemory();
  }
  return finished.map((f) => f.sort((a, b) => b.score - a.score).slice(0, K));
}

/**
 * Greedy decoding of a batch: each sentence takes its most likely token (the first on ties)
 * until eos or its maximum length. Equal to batchedBeamSearch with beamSize 1, but cheaper.
 */
export async function greedyDecode<S>(stepper: BatchedBeamStepper<S>, start: { tokens: Int32Array; state: S },
  o: Omit<BatchedDecodeOptions, 'beamSize' | 'lengthPenalty'> & { lengthPenalty?: number }): Promise<DecodedHypothesis[]> {
  const N = start.tokens.length, alpha = o.lengthPenalty ?? 1;
  const maxLen = Array.from({ length: N }, (_, b) => (typeof o.maxLength === 'number' ? o.maxLength : o.maxLength[b]!));
  const out: DecodedHypothesis[] = Array.from({ length: N }, () => ({ tokens: [], logProb: 0, score: 0 }));
  const atts: Float32Array[][] = Array.from({ length: N }, () => []);
  let active = Array.from({ length: N }, (_, b) => b);
  let state = start.state;
  let last = Int32Array.from(start.tokens);
  const reclaimEvery = o.reclaimEvery ?? 16;
  let withAttention = false;
  for (let t = 0; active.length > 0; t++) {
    const { logProbs, vocabSize: V, state: next, attention, attentionWidth } = stepper.step(last, state);
    const W = attentionWidth ?? 0;
    const keep: number[] = [], activeNext: number[] = [], lastNext: number[] = [];
    active.forEach((b, r) => {
      let best = 0;
      for (let v = 1; v < V; v++) if (logProbs[r * V + v]! > logProbs[r * V + best]!) best = v;
      const h = out[b]!;
      h.tokens.push(best);
      h.logProb += logProbs[r * V + best]!;
      if (attention && W > 0) {
        withAttention = true;
        atts[b]!.push(attention.slice(r * W, (r + 1) * W));
      }
      if (best !== o.eos && t + 1 < maxLen[b]!) {
        keep.push(r);
        activeNext.push(b);
        lastNext.push(best);
      }
    });
    active = activeNext;
    if (active.length === 0) break;
    state = stepper.select(next, Int32Array.from(keep));
    last = Int32Array.from(lastNext);
    if (reclaimEvery > 0 && t % reclaimEvery === reclaimEvery - 1) await reclaimMemory();
  }
  return out.map((h, b) => ({
    ...h,
    score: alpha === 0 ? h.logProb : h.logProb / Math.pow(Math.max(h.tokens.length, 1), alpha),
    ...(withAttention ? { attention: atts[b]! } : {}),
  }));
}
