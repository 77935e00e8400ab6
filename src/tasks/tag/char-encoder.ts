import { indexSelect, maskedFill, max, reshape, slice, tanh, transpose } from '../../autograd/ops/index.js';
import { RecurError } from '../../errors.js';
import { allocStorage } from '../../kernels/index.js';
import { Embedding, Linear, LSTM } from '../../nn/index.js';
import { Module } from '../../nn/module.js';
import { Tensor } from '../../tensor/tensor.js';

/** Distinct words of a batch as padded character ids [U, maxChars] (0 = padding) and their lengths. */
export interface CharInput {
  U: number;
  maxChars: number;
  chars: Int32Array;
  lengths: number[];
}

export type CharEncoderKind = 'cnn' | 'lstm' | 'none';
export const CHAR_ENCODERS: readonly CharEncoderKind[] = ['cnn', 'lstm', 'none'];

/**
 * Character CNN word features (Ma & Hovy 2016): embed each character, convolve a window of
 * `kernel` characters (zero-padded at both ends), max over positions, tanh.
 *
 *     c_p = Embedding(char_p)                                  [Ec]
 *     z_p = W [c_{p−k/2} ; ... ; c_{p+k/2}] + b                [F]
 *     f   = tanh(max_{p<len} z_p)                              [F]
 *
 * The convolution is one GEMM over gathered windows ("im2col" through an embedding lookup).
 *
 * | tensor | shape |
 * |---|---|
 * | input | `CharInput`: `[U, maxChars]` ids, lengths |
 * | output | `[U, filters]` |
 * | `embedding.weight` | `[numChars, charEmbed]` (row 0 = padding) |
 * | `conv.weight`, `conv.bias` | `[filters, kernel·charEmbed]`, `[filters]` |
 */
export class CharCNN extends Module {
  readonly embedding: Embedding;
  readonly conv: Linear;
  readonly kernel: number;
  readonly outputSize: number;

  constructor(numChars: number, charEmbed: number, filters: number, kernel = 3) {
    super();
    if (kernel < 1 || kernel % 2 === 0) throw new RecurError(`CharCNN: kernel must be a positive odd number, got ${kernel}`);
    this.kernel = kernel;
    this.outputSize = filters;
    this.embedding = this.module('embedding', new Embedding(numChars, charEmbed, { paddingIdx: 0 }));
    this.conv = this.module('conv', new Linear(kernel * charEmbed, filters));
  }

  forward(x: CharInput): Tensor {
    const { U, maxChars: L, chars, lengths } = x;
    const k = this.kernel, half = (k - 1) >> 1, E = this.embedding.embeddingDim, F = this.outputSize;
    // Window ids: position p of word u reads characters p−half .. p+half (0 = padding outside).
    const win = new Int32Array(U * L * k);
    for (let u = 0; u < U; u++) {
      for (let p = 0; p < L; p++) {
        for (let j = 0; j < k; j++) {
          const q = p + j - half;
          win[(u * L + p) * k + j] = q >= 0 && q < L ? chars[u * L + q]! : 0;
        }
      }
    }
    const z = this.conv.forward(reshape(this.embedding.forward(win), [U * L, k * E]));
    const pad = allocStorage(U * L * F);
    for (let u = 0; u < U; u++) pad.fill(1, (u * L + lengths[u]!) * F, (u + 1) * L * F);
    return tanh(max(maskedFill(reshape(z, [U, L, F]), new Tensor(pad, [U, L, F]), -Infinity), 1));
  }
}

/**
 * Character BiLSTM word features (Lample et al. 2016): the final forward state after the
 * last character and the final backward state after the first, concatenated.
 *
 * | tensor | shape |
 * |---|---|
 * | input | `CharInput` |
 * | output | `[U, 2·hidden]` |
 * | `embedding.weight` | `[numChars, charEmbed]` |
 * | `lstm.*` | bidirectional LSTM(charEmbed, hidden), PyTorch names |
 */
export class CharLSTM extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly outputSize: number;

  constructor(numChars: number, charEmbed: number, hidden: number) {
    super();
    this.outputSize = 2 * hidden;
    this.embedding = this.module('embedding', new Embedding(numChars, charEmbed, { paddingIdx: 0 }));
    this.lstm = this.module('lstm', new LSTM({ inputSize: charEmbed, hiddenSize: hidden, batchFirst: true, bidirectional: true }));
  }

  forward(x: CharInput): Tensor {
    const { U, maxChars: L } = x;
    const emb = reshape(this.embedding.forward(x.chars), [U, L, this.embedding.embeddingDim]);
    const { h } = this.lstm.forward(emb, { lengths: x.lengths });
    return reshape(transpose(slice(h, 0, 0, 2), 0, 1), [U, this.outputSize]);
  }
}

/** Features [B·T, F] of every position, gathered from the per-distinct-word features [U, F]. */
export function gatherWordFeatures(features: Tensor, wordSlot: Int32Array): Tensor {
  return indexSelect(features, wordSlot);
}
