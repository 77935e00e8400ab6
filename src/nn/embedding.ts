import { RecurError } from '../errors.js';
import { kernels } from '../kernels/index.js';
import { shapeStr } from '../tensor/shape.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { Tensor, zeros, type Indices } from '../tensor/tensor.js';
import { Module } from './module.js';
import { embedding, normPaddingIdx } from './ops/embedding.js';

export interface EmbeddingOptions {
  /**
   * Row that holds padding: initialised to zeros and never receives a gradient (so it stays
   * whatever it is). Negative values count from the end, as in PyTorch.
   */
  paddingIdx?: number | null;
  /** Generator for the initial weights (default: the global one). */
  rng?: Rng;
}

/**
 * A lookup table of learned vectors, as `torch.nn.Embedding`:
 *
 *     y[..., :] = weight[idx[...], :]
 *
 * | tensor | shape |
 * |---|---|
 * | input `idx` | `[*]` integer ids in `[0, numEmbeddings)` (Int32Array, number[], or a Tensor of whole numbers) |
 * | output `y` | `[*, embeddingDim]` |
 * | `weight` | `[numEmbeddings, embeddingDim]` |
 *
 * Initialisation: N(0, 1), with the `paddingIdx` row zeroed. Gradients of repeated ids
 * accumulate; positions holding `paddingIdx` contribute no gradient.
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    for (const [v, what] of [[numEmbeddings, 'numEmbeddings'], [embeddingDim, 'embeddingDim']] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RecurError(`Embedding: ${what} must be a non-negative integer, got ${v}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = normPaddingIdx(opts.paddingIdx, numEmbeddings, 'Embedding');
    this.weight = this.param('weight', zeros([numEmbeddings, embeddingDim]));
    (opts.rng ?? globalRng).fillNormal(this.weight.data, 0, 1);
    if (this.paddingIdx !== null) {
      const p = this.paddingIdx * embeddingDim;
      kernels().fill(this.weight.data.subarray(p, p + embeddingDim), 0);
    }
  }

  /**
   * An embedding holding a copy of `weights` [N, D], like `nn.Embedding.from_pretrained`.
   * Frozen (no gradient) unless `freeze: false`. The padding row is NOT zeroed.
   */
  static fromPretrained(weights: Tensor, opts: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    if (weights.ndim !== 2) throw new RecurError(`Embedding.fromPretrained: weights must be 2-D [numEmbeddings, embeddingDim], got ${shapeStr(weights.shape)}`);
    const e = new Embedding(weights.shape[0]!, weights.shape[1]!, { paddingIdx: opts.paddingIdx ?? null });
    kernels().copy(weights.data, e.weight.data);
    e.weight.requiresGrad = !(opts.freeze ?? true);
    return e;
  }

  forward(idx: Indices): Tensor {
    try {
      return embedding(idx, this.weight, this.paddingIdx);
    } catch (e) {
      if (e instanceof RecurError) throw new RecurError(e.message.replace(/^embedding:/, 'Embedding:'));
      throw e;
    }
  }

  override toString(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''})`;
  }
}
