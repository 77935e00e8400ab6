import { RecurError } from '../errors.js';
import { linear } from '../autograd/ops/index.js';
import { shapeStr } from '../tensor/shape.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { Tensor, zeros } from '../tensor/tensor.js';
import { Module } from './module.js';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one, see `manualSeed`). */
  rng?: Rng;
}

/**
 * Affine map, as `torch.nn.Linear`:
 *
 *     y = x · Wᵀ + b
 *
 * | tensor | shape |
 * |---|---|
 * | input `x` | `[*, inFeatures]` (any number of leading axes, including none) |
 * | output `y` | `[*, outFeatures]` |
 * | `weight` | `[outFeatures, inFeatures]` |
 * | `bias` | `[outFeatures]` |
 *
 * Initialisation (PyTorch's): `weight` by kaiming_uniform(a=√5), which is U(−k, k) with
 * k = 1/√inFeatures, then `bias` from the same U(−k, k). Weights are drawn before biases.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    for (const [v, what] of [[inFeatures, 'inFeatures'], [outFeatures, 'outFeatures']] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RecurError(`Linear: ${what} must be a non-negative integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = opts.rng ?? globalRng;
    const k = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.weight = this.param('weight', zeros([outFeatures, inFeatures]));
    rng.fillUniform(this.weight.data, -k, k);
    if (opts.bias ?? true) {
      this.bias = this.param('bias', zeros([outFeatures]));
      rng.fillUniform(this.bias.data, -k, k);
    } else {
      this.bias = null;
    }
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.inFeatures) {
      const got = x.ndim < 1 ? 'a scalar' : `${x.shape[x.ndim - 1]} features`;
      throw new RecurError(`Linear: input has ${got}, expected inFeatures=${this.inFeatures} (input shape ${shapeStr(x.shape)})`);
    }
    return linear(x, this.weight, this.bias);
  }

  override toString(): string {
    return `Linear(inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null})`;
  }
}
