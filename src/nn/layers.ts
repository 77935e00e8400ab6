import { RecurError } from '../errors.js';
import { dropout, layerNorm, logSoftmax, relu, sigmoid, softmax, tanh } from '../autograd/ops/index.js';
import { shapeStr } from '../tensor/shape.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { ones, Tensor, zeros } from '../tensor/tensor.js';
import { Module } from './module.js';

/**
 * Inverted dropout, as `torch.nn.Dropout`: while `training`, each element is zeroed with
 * probability p and the survivors are scaled by 1/(1−p); in eval mode it is the identity.
 *
 * | tensor | shape |
 * |---|---|
 * | input | `[*]` |
 * | output | `[*]` (same) |
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly rng: Rng;

  constructor(p = 0.5, opts: { rng?: Rng } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RecurError(`Dropout: probability must be in [0, 1], got ${p}`);
    this.p = p;
    this.rng = opts.rng ?? globalRng;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.rng);
  }

  override toString(): string {
    return `Dropout(p=${this.p})`;
  }
}

export interface LayerNormOptions {
  /** Added to the variance inside the square root (default 1e-5). */
  eps?: number;
  /** Learn a per-feature scale `weight` (ones) and shift `bias` (zeros) (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Layer normalisation over the last axis, as `torch.nn.LayerNorm(normalizedShape)` with a
 * 1-D normalized shape:
 *
 *     y = (x − E[x]) / √(Var[x] + eps) · weight + bias
 *
 * with the biased variance (divide by n) over the last axis.
 *
 * | tensor | shape |
 * |---|---|
 * | input | `[*, normalizedShape]` |
 * | output | `[*, normalizedShape]` |
 * | `weight` | `[normalizedShape]` (ones at init) |
 * | `bias` | `[normalizedShape]` (zeros at init) |
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number;
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly [number], opts: LayerNormOptions = {}) {
    super();
    const n = typeof normalizedShape === 'number' ? normalizedShape : normalizedShape.length === 1 ? normalizedShape[0] : NaN;
    if (!Number.isInteger(n) || n! <= 0) {
      throw new RecurError(`LayerNorm: normalizedShape must be a positive integer (or a 1-element array), got ${JSON.stringify(normalizedShape)}`);
    }
    this.normalizedShape = n!;
    this.eps = opts.eps ?? 1e-5;
    if (opts.elementwiseAffine ?? true) {
      this.weight = this.param('weight', ones([this.normalizedShape]));
      this.bias = this.param('bias', zeros([this.normalizedShape]));
    } else {
      this.weight = null;
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.normalizedShape) {
      throw new RecurError(`LayerNorm: input's last dimension is ${x.ndim < 1 ? 'missing' : x.shape[x.ndim - 1]}, ` +
        `expected normalizedShape=${this.normalizedShape} (input shape ${shapeStr(x.shape)})`);
    }
    return layerNorm(x, this.weight, this.bias, this.eps);
  }

  override toString(): string {
    return `LayerNorm(${this.normalizedShape}, eps=${this.eps}, elementwiseAffine=${this.weight !== null})`;
  }
}

/** y = tanh(x), elementwise. Input `[*]`, output `[*]`. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
}

/** y = max(0, x), elementwise (gradient 0 at x = 0, as PyTorch). Input `[*]`, output `[*]`. */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
}

/** y = 1 / (1 + exp(−x)), elementwise. Input `[*]`, output `[*]`. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
}

/** y = x. Input `[*]`, output `[*]`. Useful as a placeholder in a Sequential. */
export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}

/** y = exp(x) / Σ exp(x) along `dim` (default −1). Input `[*]`, output `[*]`. */
export class Softmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return softmax(x, this.dim); }
}

/** y = x − log Σ exp(x) along `dim` (default −1). Input `[*]`, output `[*]`. */
export class LogSoftmax extends Module {
  constructor(readonly dim = -1) { super(); }
  forward(x: Tensor): Tensor { return logSoftmax(x, this.dim); }
}
