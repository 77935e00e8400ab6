import { div, linear, maskedFill, max, mul, reshape, slice, softmax, sum, tanh, transpose } from '../autograd/ops/index.js';
import { RecurError } from '../errors.js';
import { allocStorage } from '../kernels/index.js';
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/**
 * Pooling of a padded batch of sequence features into one vector per sequence, for sequence
 * classification. All of them ignore the steps past each sequence's length.
 *
 * | function | input | output |
 * |---|---|---|
 * | `meanPool(x, lengths)` | `x [B, T, F]` | `[B, F]`, Σ_{t<L} x_t / L |
 * | `maxPool(x, lengths)` | `x [B, T, F]` | `[B, F]`, max_{t<L} x_t per feature |
 * | `lastStatePool(h, D)` | final states `h [layers·D, B, H]` of an RNN | `[B, D·H]`: the last layer's directions concatenated (forward, then reverse) |
 * | `AttentionPooling` | `x [B, T, F]` | `[B, F]` = Σ_t a_t x_t, and the weights `a [B, T]` |
 */
export type PoolingKind = 'last' | 'mean' | 'max' | 'attention';
export const POOLING_KINDS: readonly PoolingKind[] = ['last', 'mean', 'max', 'attention'];

function dims(x: Tensor, op: string): [number, number, number] {
  if (x.ndim !== 3) throw new RecurError(`${op}: input must be [B, T, F] (batch, steps, features), got shape ${shapeStr(x.shape)}`);
  return x.shape as [number, number, number];
}

/** Lengths as numbers in [1, T], one per sequence. */
function checkedLengths(lengths: ArrayLike<number>, B: number, T: number, op: string): number[] {
  if (lengths.length !== B) throw new RecurError(`${op}: ${lengths.length} lengths for a batch of ${B}`);
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const L = lengths[b]!;
    if (!Number.isInteger(L) || L < 1 || L > T) throw new RecurError(`${op}: length ${L} of sequence ${b} is not in [1, ${T}]`);
    out.push(L);
  }
  return out;
}

/** [B, T, width] mask: `valid` at steps t < L_b, the other value elsewhere. */
function stepMask(len: readonly number[], T: number, width: number, valid: number): Tensor {
  const B = len.length;
  const m = allocStorage(B * T * width);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const v = t < len[b]! ? valid : 1 - valid;
      if (v !== 0) m.fill(v, (b * T + t) * width, (b * T + t + 1) * width);
    }
  }
  return new Tensor(m, [B, T, width]);
}

/** Mean over the valid steps of each sequence: [B, T, F] -> [B, F]. */
export function meanPool(x: Tensor, lengths: ArrayLike<number>): Tensor {
  const [B, T] = dims(x, 'meanPool');
  const len = checkedLengths(lengths, B, T, 'meanPool');
  const counts = new Tensor(allocStorage(B), [B, 1]);
  len.forEach((L, b) => { counts.data[b] = L; });
  return div(sum(mul(x, stepMask(len, T, 1, 1)), 1), counts);
}

/** Feature-wise maximum over the valid steps: [B, T, F] -> [B, F]. The gradient goes to the (first) maximum. */
export function maxPool(x: Tensor, lengths: ArrayLike<number>): Tensor {
  const [B, T, F] = dims(x, 'maxPool');
  const len = checkedLengths(lengths, B, T, 'maxPool');
  return max(maskedFill(x, stepMask(len, T, F, 0), -Infinity), 1);
}

/**
 * The last layer's final hidden states, directions concatenated as `torch.cat((h[-2], h[-1]), 1)`:
 * h [layers·D, B, H] -> [B, D·H]. For packed variable-length input these are the states after
 * each sequence's last valid step (forward) and after its first step (reverse).
 */
export function lastStatePool(h: Tensor, numDirections: number): Tensor {
  if (h.ndim !== 3 || h.shape[0]! % numDirections !== 0) {
    throw new RecurError(`lastStatePool: expected final states [layers·${numDirections}, B, H], got shape ${shapeStr(h.shape)}`);
  }
  const [LD, B, H] = h.shape as [number, number, number];
  const top = slice(h, 0, LD - numDirections, LD);
  return reshape(numDirections === 1 ? top : transpose(top, 0, 1), [B, numDirections * H]);
}

/**
 * Additive attention pooling (Bahdanau-style scoring, as in Yang et al. 2016's word attention):
 *
 *     s_t = vᵀ tanh(W x_t + b)        a = softmax_t(s) over t < L      pooled = Σ_t a_t x_t
 *
 * | tensor | shape |
 * |---|---|
 * | input `x` | `[B, T, F]` |
 * | output `pooled`, `weights` | `[B, F]`, `[B, T]` (0 past each length) |
 * | `proj.weight`, `proj.bias` (W, b) | `[A, F]`, `[A]` |
 * | `context.weight` (v) | `[1, A]` |
 */
export class AttentionPooling extends Module {
  readonly inputSize: number;
  readonly attentionSize: number;
  readonly proj: Linear;
  readonly context: Linear;

  constructor(inputSize: number, attentionSize = inputSize) {
    super();
    this.inputSize = inputSize;
    this.attentionSize = attentionSize;
    this.proj = this.module('proj', new Linear(inputSize, attentionSize));
    this.context = this.module('context', new Linear(attentionSize, 1, { bias: false }));
  }

  forward(x: Tensor, lengths: ArrayLike<number>): { pooled: Tensor; weights: Tensor } {
    const [B, T, F] = dims(x, 'AttentionPooling');
    if (F !== this.inputSize) throw new RecurError(`AttentionPooling: input has ${F} features, expected inputSize=${this.inputSize} (shape ${shapeStr(x.shape)})`);
    const len = checkedLengths(lengths, B, T, 'AttentionPooling');
    const scores = reshape(linear(tanh(this.proj.forward(x)), this.context.weight), [B, T]);
    const weights = softmax(maskedFill(scores, reshape(stepMask(len, T, 1, 0), [B, T]), -Infinity), 1);
    const pooled = sum(mul(x, reshape(weights, [B, T, 1])), 1);
    return { pooled, weights };
  }

  override toString(): string {
    return `AttentionPooling(inputSize=${this.inputSize}, attentionSize=${this.attentionSize})`;
  }
}
