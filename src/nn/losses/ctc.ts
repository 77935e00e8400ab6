import { mean, mul, sum } from '../../autograd/ops/index.js';
import { gradOf, outGrad, record } from '../../autograd/engine.js';
import { RecurError } from '../../errors.js';
import { allocStorage, freeStorage, kernels } from '../../kernels/index.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor, type Indices } from '../../tensor/tensor.js';
import { checkReduction, type Reduction } from './reduction.js';

export interface CtcLossOptions {
  /** Class id of the blank (default 0). */
  blank?: number;
  /** 'mean' (default) divides each loss by its target length (at least 1), then averages over the batch. */
  reduction?: Reduction;
  /** Infinite losses (alignments that cannot fit the input) and their gradients become 0 (default false). */
  zeroInfinity?: boolean;
}

/** Whole numbers of a length or label argument, as an Int32Array. */
function ints(x: Indices, what: string, op: string): Int32Array {
  const src: ArrayLike<number> = x instanceof Tensor ? x.data : x;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (!Number.isInteger(v)) throw new RecurError(`${op}: ${what}[${i}] = ${v} is not a whole number`);
    out[i] = v;
  }
  return out;
}

/** The targets as a padded [B, S] Int32Array, from a padded [B, S] tensor or the concatenated 1-D form. */
function padTargets(targets: Indices, tl: Int32Array, B: number, C: number, blank: number, op: string): { t: Int32Array; S: number } {
  let S = 0;
  for (const L of tl) S = Math.max(S, L);
  const padded = targets instanceof Tensor && targets.ndim === 2;
  if (targets instanceof Tensor && targets.ndim > 2) {
    throw new RecurError(`${op}: targets must be [B, S] (padded) or 1-D (concatenated), got shape ${shapeStr(targets.shape)}`);
  }
  const flat = ints(targets, 'targets', op);
  let width: number;
  if (padded) {
    const [rows, cols] = (targets as Tensor).shape as [number, number];
    if (rows !== B || cols < S) {
      throw new RecurError(`${op}: padded targets must be [${B}, >= ${S}] (batch ${B}, longest target ${S}), got ${shapeStr((targets as Tensor).shape)}`);
    }
    width = cols;
  } else {
    const total = tl.reduce((a, b) => a + b, 0);
    if (flat.length !== total) {
      throw new RecurError(`${op}: concatenated targets have ${flat.length} labels but targetLengths sum to ${total}`);
    }
    width = 0;
  }
  const t = new Int32Array(B * S);
  let off = 0;
  for (let b = 0; b < B; b++) {
    const from = padded ? b * width : off;
    for (let j = 0; j < tl[b]!; j++) {
      const v = flat[from + j]!;
      if (v < 0 || v >= C || v === blank) {
        throw new RecurError(`${op}: label ${v} at position ${j} of target ${b} is ${v === blank ? 'the blank' : `out of range [0, ${C})`} (blank ${blank}, ${C} classes)`);
      }
      t[b * S + j] = v;
    }
    off += tl[b]!;
  }
  return { t, S };
}

/**
 * Connectionist temporal classification loss, as `torch.nn.functional.ctc_loss`: the negative
 * log-likelihood of each target over every alignment of it (with blanks and repeats) to the
 * input, by the forward–backward algorithm in log space (kernels ctcForward / ctcBackward,
 * contract in src/kernels/ctc-types.ts).
 *
 *     nll_b    = −log Σ_{π ∈ B⁻¹(y_b)} Π_t exp(logProbs[t, b, π_t])   (t < inputLengths[b])
 *     'none' : nll_b                      [B]
 *     'sum'  : Σ_b nll_b
 *     'mean' : mean_b( nll_b / max(targetLengths[b], 1) )
 *
 * The gradient is torch's, which assumes `logProbs = logSoftmax(logits)`: through logSoftmax it
 * is the exact gradient with respect to the logits. Pass log-softmax outputs.
 *
 * | argument | shape |
 * |---|---|
 * | `logProbs` | `[T, B, C]` log-probabilities, time-first |
 * | `targets` | `[B, S]` labels padded to S ≥ the longest target, or 1-D: every target concatenated |
 * | `inputLengths` | `B` whole numbers in `[1, T]` |
 * | `targetLengths` | `B` whole numbers ≥ 0 |
 * | output | `[]`, or `[B]` for `reduction: 'none'` |
 */
export function ctcLoss(logProbs: Tensor, targets: Indices, inputLengths: Indices, targetLengths: Indices,
  opts: CtcLossOptions = {}): Tensor {
  const op = 'ctcLoss';
  const reduction = checkReduction(opts.reduction ?? 'mean', op);
  const zeroInfinity = opts.zeroInfinity ?? false;
  if (logProbs.ndim !== 3) throw new RecurError(`${op}: logProbs must be [T, B, C] (steps, batch, classes), got shape ${shapeStr(logProbs.shape)}`);
  const [T, B, C] = logProbs.shape as [number, number, number];
  if (T < 1 || B < 1 || C < 1) throw new RecurError(`${op}: logProbs shape ${shapeStr(logProbs.shape)} has no steps, sequences or classes`);
  const blank = opts.blank ?? 0;
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) throw new RecurError(`${op}: blank ${blank} is not a class id in [0, ${C})`);
  const il = ints(inputLengths, 'inputLengths', op), tl = ints(targetLengths, 'targetLengths', op);
  if (il.length !== B || tl.length !== B) {
    throw new RecurError(`${op}: ${il.length} input lengths and ${tl.length} target lengths for a batch of ${B}`);
  }
  for (let b = 0; b < B; b++) {
    if (il[b]! < 1 || il[b]! > T) throw new RecurError(`${op}: input length ${il[b]} of sequence ${b} is not in [1, ${T}] (logProbs have T=${T} steps)`);
    if (tl[b]! < 0) throw new RecurError(`${op}: target length ${tl[b]} of sequence ${b} is negative`);
  }
  const { t, S } = padTargets(targets, tl, B, C, blank, op);
  const W = 2 * S + 2;
  const alpha = allocStorage(B * T * W);
  const out = new Tensor(allocStorage(B), [B]);
  kernels().ctcForward(T, B, C, S, logProbs.data, t, il, tl, blank, alpha, out.data);
  const nll = allocStorage(B);
  nll.set(out.data);
  if (zeroInfinity) for (let b = 0; b < B; b++) if (out.data[b] === Infinity) out.data[b] = 0;
  const loss = record(out, op, [logProbs], () => {
    const beta = allocStorage(B * T * W);
    kernels().ctcBackward(T, B, C, S, logProbs.data, t, il, tl, blank, alpha, nll, outGrad(out), zeroInfinity, beta, gradOf(logProbs));
    freeStorage(beta);
  }, () => freeStorage(alpha, nll));
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  const inv = allocStorage(B);
  for (let b = 0; b < B; b++) inv[b] = 1 / Math.max(tl[b]!, 1);
  return mean(mul(loss, new Tensor(inv, [B])));
}
