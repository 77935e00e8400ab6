import { RecurError } from '../../errors.js';
import { gradOf, outGrad, record } from '../../autograd/engine.js';
import { allocStorage, kernels } from '../../kernels/index.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * Valid steps of each of B sequences as an Int32Array, checked to be whole numbers in [1, T].
 * Absent lengths mean every sequence is T long.
 */
export function crfLengths(lengths: ArrayLike<number> | undefined, B: number, T: number, op: string): Int32Array {
  const out = new Int32Array(B);
  if (lengths === undefined) return out.fill(T);
  if (lengths.length !== B) throw new RecurError(`${op}: ${lengths.length} lengths for a batch of ${B} sequences`);
  for (let b = 0; b < B; b++) {
    const L = lengths[b]!;
    if (!Number.isInteger(L) || L < 1 || L > T) {
      throw new RecurError(`${op}: length ${L} of sequence ${b} is not a whole number in [1, ${T}] (emissions have T=${T} steps)`);
    }
    out[b] = L;
  }
  return out;
}

/** Checks emissions [B, T, K] against transitions [K, K], start [K], end [K]; returns B, T, K. */
function checkCrfShapes(op: string, em: Tensor, trans: Tensor, start: Tensor, end: Tensor): [number, number, number] {
  if (em.ndim !== 3) throw new RecurError(`${op}: emissions must be [B, T, K] (batch, steps, tags), got shape ${shapeStr(em.shape)}`);
  const [B, T, K] = em.shape as [number, number, number];
  if (T < 1 || K < 1) throw new RecurError(`${op}: emissions shape ${shapeStr(em.shape)} has no steps or no tags`);
  if (trans.ndim !== 2 || trans.shape[0] !== K || trans.shape[1] !== K) {
    throw new RecurError(`${op}: transitions must be [${K}, ${K}] for ${K} tags, got ${shapeStr(trans.shape)} (emissions ${shapeStr(em.shape)})`);
  }
  for (const [t, what] of [[start, 'start'], [end, 'end']] as const) {
    if (t.ndim !== 1 || t.size !== K) throw new RecurError(`${op}: ${what} transitions must be [${K}], got ${shapeStr(t.shape)}`);
  }
  return [B, T, K];
}

/**
 * Log partition function of a linear-chain CRF, by the forward algorithm:
 *
 *     log Z_b = log Σ_{y_0..y_{L−1}} exp( start[y_0] + Σ_t em[b,t,y_t] + Σ_{t≥1} trans[y_{t−1}, y_t] + end[y_{L−1}] )
 *
 * with L = lengths[b]. Its gradient is the tag marginals: ∂logZ/∂em[b,t,j] = P(y_t = j),
 * ∂logZ/∂trans[i,j] = Σ_t P(y_{t−1} = i, y_t = j) (forward–backward, kernels.crfBackward).
 * Entries of −Infinity (forbidden transitions) are allowed and get zero gradient.
 *
 * | argument | shape |
 * |---|---|
 * | `emissions` | `[B, T, K]` tag scores per step (batch-first) |
 * | `transitions` | `[K, K]`, `[i, j]` = score of tag i followed by tag j |
 * | `start`, `end` | `[K]` scores of the first / last tag |
 * | `lengths` | `B` whole numbers in `[1, T]` (default: all T); steps past a length are ignored |
 * | output | `[B]` |
 */
export function crfLogPartition(emissions: Tensor, transitions: Tensor, start: Tensor, end: Tensor, lengths?: ArrayLike<number>): Tensor {
  const op = 'crfLogPartition';
  const [B, T, K] = checkCrfShapes(op, emissions, transitions, start, end);
  const len = crfLengths(lengths, B, T, op);
  const alpha = allocStorage(B * T * K);
  const out = new Tensor(allocStorage(B), [B]);
  kernels().crfForward(B, T, K, emissions.data, len, transitions.data, start.data, end.data, alpha, out.data);
  return record(out, op, [emissions, transitions, start, end], () => {
    const beta = allocStorage(B * T * K);
    kernels().crfBackward(B, T, K, emissions.data, len, transitions.data, start.data, end.data, alpha, out.data, outGrad(out), beta,
      emissions.requiresGrad ? gradOf(emissions) : null, transitions.requiresGrad ? gradOf(transitions) : null,
      start.requiresGrad ? gradOf(start) : null, end.requiresGrad ? gradOf(end) : null);
  });
}

/** Best tag paths: `paths[b]` has lengths[b] tag ids; `scores[b]` is that path's unnormalised score. */
export interface ViterbiResult {
  paths: number[][];
  scores: number[];
}

/**
 * Viterbi decoding of a linear-chain CRF (no gradient): for each sequence the tag path with the
 * highest score (the same score as inside {@link crfLogPartition}'s sum). Ties go to the lowest
 * tag index. Shapes as for crfLogPartition.
 */
export function crfViterbi(emissions: Tensor, transitions: Tensor, start: Tensor, end: Tensor, lengths?: ArrayLike<number>): ViterbiResult {
  const op = 'crfViterbi';
  const [B, T, K] = checkCrfShapes(op, emissions, transitions, start, end);
  const len = crfLengths(lengths, B, T, op);
  const delta = allocStorage(B * T * K);
  const backptr = new Int32Array(B * T * K);
  const flat = new Int32Array(B * T);
  const scores = allocStorage(B);
  kernels().crfViterbi(B, T, K, emissions.data, len, transitions.data, start.data, end.data, delta, backptr, flat, scores);
  const paths: number[][] = [];
  for (let b = 0; b < B; b++) paths.push(Array.from(flat.subarray(b * T, b * T + len[b]!)));
  return { paths, scores: Array.from(scores) };
}
