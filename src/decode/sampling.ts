import { RecurError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';

export interface SamplingOptions {
  /** Softmax temperature; 0 means greedy. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = off). */
  topK?: number;
  /** Nucleus: keep the smallest set of tokens whose probability reaches p (1 = off). */
  topP?: number;
}

/** Index of the largest logit; the first one on ties. */
export function argmaxOf(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

export function checkSamplingOptions(o: SamplingOptions): void {
  const t = o.temperature ?? 1, k = o.topK ?? 0, p = o.topP ?? 1;
  if (!(t >= 0) || !Number.isFinite(t)) throw new RecurError(`temperature must be a finite number >= 0, got ${t}`);
  if (!Number.isInteger(k) || k < 0) throw new RecurError(`topK must be a whole number >= 0, got ${k}`);
  if (!(p > 0 && p <= 1)) throw new RecurError(`topP must be in (0, 1], got ${p}`);
}

/**
 * The filtered, renormalised distribution that sampling draws from: temperature, then top-k,
 * then top-p, as Hugging Face's generate() orders them. Returns probabilities (zeros outside
 * the kept set).
 */
export function samplingDistribution(logits: ArrayLike<number>, o: SamplingOptions = {}): Float64Array {
  checkSamplingOptions(o);
  const V = logits.length;
  const t = o.temperature ?? 1;
  const probs = new Float64Array(V);
  if (t === 0) {
    probs[argmaxOf(logits)] = 1;
    return probs;
  }
  let mx = -Infinity;
  for (let i = 0; i < V; i++) mx = Math.max(mx, logits[i]!);
  let s = 0;
  for (let i = 0; i < V; i++) s += probs[i] = Math.exp((logits[i]! - mx) / t);
  for (let i = 0; i < V; i++) probs[i]! /= s;

  const k = o.topK ?? 0, p = o.topP ?? 1;
  if ((k > 0 && k < V) || p < 1) {
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
    let keep = k > 0 ? Math.min(k, V) : V;
    if (p < 1) {
      // Nucleus over the top-k survivors: renormalise within them, then cut at p.
      let cum = 0, n = 0;
      const totalK = order.slice(0, keep).reduce((a, i) => a + probs[i]!, 0);
      while (n < keep) {
        cum += probs[order[n]!]! / totalK;
        n++;
        if (cum >= p) break;
      }
      keep = Math.max(1, n);
    }
    const mask = new Uint8Array(V);
    for (let j = 0; j < keep; j++) mask[order[j]!] = 1;
    let z = 0;
    for (let i = 0; i < V; i++) z += mask[i] ? probs[i]! : (probs[i] = 0);
    for (let i = 0; i < V; i++) probs[i]! /= z;
  }
  return probs;
}

/** Draws one token id from logits with temperature / top-k / top-p, reproducibly from rng. */
export function sampleLogits(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  if ((o.temperature ?? 1) === 0) return argmaxOf(logits);
  const probs = samplingDistribution(logits, o);
  const u = rng.random();
  let cum = 0, last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    cum += probs[i]!;
    last = i;
    if (u < cum) return i;
  }
  return last;
}
