import { RecurError } from '../../errors.js';
import { add, div, logSoftmax, maskedFill, mul, neg, pick, reshape, sum } from '../../autograd/ops/index.js';
import { allocStorage, kernels } from '../../kernels/index.js';
import { sameShape, shapeStr } from '../../tensor/shape.js';
import { Tensor, type Indices } from '../../tensor/tensor.js';
import { positionStr } from '../ops/embedding.js';
import { checkReduction, type Reduction } from './reduction.js';

export interface NllLossOptions {
  /** Per-class rescaling weight [C]; a constant (no gradient flows into it). */
  weight?: Tensor | null;
  /** Targets equal to this contribute neither loss nor gradient, nor count in the mean (default −100). */
  ignoreIndex?: number;
  reduction?: Reduction;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** ε in [0, 1]: the target distribution becomes (1−ε)·onehot + ε/C (default 0). */
  labelSmoothing?: number;
}

/**
 * Cross entropy between class scores and targets, exactly as `F.cross_entropy` in PyTorch 1.13.
 *
 * With `lp = logSoftmax(input)` over the class axis, class weights `w` (ones if absent),
 * `ε = labelSmoothing` and `keep_i = (target_i != ignoreIndex)`:
 *
 *     nll_i    = −w[t_i] · lp[i, t_i]            (0 when not keep_i)
 *     smooth_i = −Σ_c w[c] · lp[i, c]            (0 when not keep_i)
 *     loss_i   = (1−ε) · nll_i + (ε/C) · smooth_i
 *     'sum'  : Σ_i loss_i
 *     'mean' : Σ_i loss_i / Σ_{keep} w[t_i]      (NaN when every target is ignored, as PyTorch)
 *     'none' : loss_i, shaped like the target
 *
 * | argument | shape |
 * |---|---|
 * | `input` (unnormalised scores) | `[N, C]`, or `[..., C]`: **classes on the last axis** (for PyTorch's `[N, C, d1, ...]` layout, transpose first), or `[C]` |
 * | `target` class indices | `[N]` / `[...]` (a Tensor of whole numbers must have exactly this shape; a plain array or Int32Array may also be the flat list), or `[]` for input `[C]` |
 * | `target` probabilities | same shape as `input` (soft labels; `ignoreIndex` does not apply and 'mean' divides by the number of rows) |
 * | output | `[]`, or the target's shape for `reduction: 'none'` |
 */
export function crossEntropy(input: Tensor, target: Indices | Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new RecurError(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  if (input.ndim < 1) throw new RecurError(`${op}: input must have a class axis, got shape ${shapeStr(input.shape)}`);
  if (target instanceof Tensor && target.ndim > 0 && sameShape(target.shape, input.shape)) {
    return softTargetCrossEntropy(input, target, opts, eps);
  }
  return nllCore(logSoftmax(input, -1), target, opts, eps, op);
}

/**
 * Negative log likelihood of log-probabilities, as `F.nll_loss`:
 * `loss_i = −w[t_i] · input[i, t_i]` with the same shapes, `ignoreIndex`, `weight` and
 * weighted-mean rules as {@link crossEntropy} (which is `nllLoss(logSoftmax(x), t)`).
 */
export function nllLoss(input: Tensor, target: Indices, opts: NllLossOptions = {}): Tensor {
  if (input.ndim < 1) throw new RecurError(`nllLoss: input must have a class axis, got shape ${shapeStr(input.shape)}`);
  return nllCore(input, target, opts, 0, 'nllLoss');
}

function checkWeight(weight: Tensor | null | undefined, C: number, op: string): Tensor | null {
  if (!weight) return null;
  if (weight.ndim !== 1 || weight.size !== C) {
    throw new RecurError(`${op}: weight must have shape [${C}] (one per class), got ${shapeStr(weight.shape)}`);
  }
  return weight.detach();
}

/** Reads class-index targets, checking shape and range; the error names the position and value. */
function readTargets(target: Indices, input: Tensor, C: number, ignoreIndex: number, op: string): { t: Int32Array; shape: number[] } {
  const rowsShape = input.shape.slice(0, -1);
  const rows = input.size / Math.max(C, 1);
  let shape: number[];
  if (target instanceof Tensor) {
    if (!sameShape(target.shape, rowsShape)) {
      throw new RecurError(`${op}: target shape ${shapeStr(target.shape)} does not match input shape ${shapeStr(input.shape)} ` +
        `(class scores on the last axis: expected target shape ${shapeStr(rowsShape)}, or probabilities of shape ${shapeStr(input.shape)})`);
    }
    shape = [...rowsShape];
  } else {
    if (target.length !== rows) {
      throw new RecurError(`${op}: ${target.length} targets for input shape ${shapeStr(input.shape)} ` +
        `(class scores on the last axis: expected ${rows} targets, shape ${shapeStr(rowsShape)})`);
    }
    shape = [...rowsShape];
  }
  const src: ArrayLike<number> = target instanceof Tensor ? target.data : target;
  const t = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = src[i]!;
    if (v === ignoreIndex) { t[i] = v; continue; }
    if (!Number.isInteger(v) || v < 0 || v >= C) {
      throw new RecurError(`${op}: target ${v} at position ${positionStr(i, shape)} is out of range [0, ${C}) ` +
        `(${C} classes, ignoreIndex=${ignoreIndex}, target shape ${shapeStr(shape)})`);
    }
    t[i] = v;
  }
  return { t, shape };
}

/** The shared NLL / cross-entropy body on log-probabilities lp [..., C]. */
function nllCore(lp: Tensor, target: Indices, opts: NllLossOptions, eps: number, op: string): Tensor {
  const reduction = checkReduction(opts.reduction ?? 'mean', op);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw new RecurError(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  const C = lp.shape[lp.ndim - 1]!;
  const weight = checkWeight(opts.weight, C, op);
  const { t, shape } = readTargets(target, lp, C, ignoreIndex, op);
  const R = t.length;
  const K = kernels();

  // Ignored rows read class 0 (any valid class) and are masked out afterwards; `gidx` points
  // them at an extra zero weight so that they drop out of the weighted-mean denominator.
  const safe = new Int32Array(R), gidx = new Int32Array(R);
  const ignoredMask = allocStorage(R);
  let nIgnored = 0;
  for (let i = 0; i < R; i++) {
    if (t[i] === ignoreIndex) { ignoredMask[i] = 1; gidx[i] = C; nIgnored++; }
    else { safe[i] = t[i]!; gidx[i] = t[i]!; }
  }

  const lp2 = reshape(lp, [R, C]);
  let rowLoss = neg(pick(lp2, safe)); // [R]
  let wt: Float32Array | null = null;
  if (weight) {
    const ext = allocStorage(C + 1);
    K.copy(weight.data, ext);
    wt = allocStorage(R);
    K.gatherRows(ext, 1, gidx, wt);
    rowLoss = mul(rowLoss, new Tensor(wt, [R]));
  }
  if (eps > 0) {
    const smooth = neg(sum(weight ? mul(lp2, weight) : lp2, -1)); // [R]
    rowLoss = add(mul(rowLoss, 1 - eps), mul(smooth, eps / C));
  }
  // maskedFill (not a multiply by 0) so ignored rows get exactly zero gradient, even when the
  // mean's denominator is 0 and the upstream gradient is infinite (PyTorch does the same).
  if (nIgnored > 0) rowLoss = maskedFill(rowLoss, new Tensor(ignoredMask, [R]), 0);

  if (reduction === 'none') return reshape(rowLoss, shape);
  const total = sum(rowLoss);
  if (reduction === 'sum') return total;
  let denom = R - nIgnored;
  if (wt) {
    const d = allocStorage(1);
    K.reduce('sum', wt, 1, R, 1, d);
    denom = d[0]!;
  }
  return div(total, denom);
}

/** Cross entropy against class probabilities (soft labels), as PyTorch 1.13 does for float targets. */
function softTargetCrossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions, eps: number): Tensor {
  const op = 'crossEntropy';
  const reduction = checkReduction(opts.reduction ?? 'mean', op);
  const C = input.shape[input.ndim - 1]!;
  const weight = checkWeight(opts.weight, C, op);
  const q = eps > 0 ? add(mul(target, 1 - eps), eps / C) : target;
  let prod = mul(logSoftmax(input, -1), q);
  if (weight) prod = mul(prod, weight);
  const loss = neg(sum(prod, -1));
  if (reduction === 'none') return loss;
  const total = sum(loss);
  return reduction === 'sum' ? total : div(total, input.size / Math.max(C, 1));
}
