import { RecurError } from '../../errors.js';
import { Dropout, Embedding, Linear } from '../../nn/index.js';
import { Module } from '../../nn/module.js';
import { GRU, LSTM, RNN, type CellKind } from '../../nn/index.js';
import { linear } from '../../autograd/ops/matmul.js';
import { globalRng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';

export interface LanguageModelConfig {
  vocabSize: number;
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  cell: CellKind;
  /** Dropout on embeddings, between recurrent layers and before the decoder. */
  dropout: number;
  /** Share the embedding and decoder weights (needs embedSize == hiddenSize). */
  tieWeights: boolean;
}

/** Carried recurrent state: h [L, B, H] (and c for LSTM). */
export interface LmState {
  h: Tensor;
  c?: Tensor;
}

/**
 * Embedding -> RNN/LSTM/GRU stack -> dropout -> linear decoder, time-major, as PyTorch's
 * examples/word_language_model (same submodule names: encoder, rnn, decoder).
 *
 * | input  | [T, B] token ids            |
 * | logits | [T*B, V]                    |
 * | state  | h, c: [numLayers, B, H]     |
 */
export class LanguageModel extends Module {
  readonly config: LanguageModelConfig;
  readonly encoder: Embedding;
  readonly rnn: LSTM | GRU | RNN;
  readonly drop: Dropout;
  readonly decoder: Linear;

  constructor(config: LanguageModelConfig) {
    super();
    const c = (this.config = { ...config });
    if (c.tieWeights && c.embedSize !== c.hiddenSize) {
      throw new RecurError(`tied weights need embedSize == hiddenSize, got embed ${c.embedSize} and hidden ${c.hiddenSize}`);
    }
    this.encoder = this.module('encoder', new Embedding(c.vocabSize, c.embedSize));
    const opts = { inputSize: c.embedSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, dropout: c.numLayers > 1 ? c.dropout : 0 };
    this.rnn = this.module('rnn', c.cell === 'lstm' ? new LSTM(opts) : c.cell === 'gru' ? new GRU(opts) : new RNN(opts));
    this.drop = this.module('drop', new Dropout(c.dropout));
    this.decoder = this.module('decoder', new Linear(c.hiddenSize, c.vocabSize));
    // PyTorch's example initialises encoder/decoder U(-0.1, 0.1) with a zero decoder bias.
    initUniform(this.encoder.weight, 0.1);
    initUniform(this.decoder.weight, 0.1);
    this.decoder.bias!.data.fill(0);
    // Tied: decoder.weight IS encoder.weight (both names in the state dict, as in PyTorch).
    if (c.tieWeights) this.decoder.replaceParameter('weight', this.encoder.weight);
  }

  private decode(x: Tensor): Tensor {
    return this.config.tieWeights ? linear(x, this.encoder.weight, this.decoder.bias) : this.decoder.forward(x);
  }

  /** ids [T, B] time-major -> logits [T*B, V] and the final state. */
  forward(ids: Int32Array, T: number, B: number, state: LmState | null): { logits: Tensor; state: LmState } {
    if (ids.length !== T * B) throw new RecurError(`LanguageModel: got ${ids.length} ids for a [${T}, ${B}] batch`);
    const emb = this.drop.forward(this.encoder.forward(new Tensor(Float32Array.from(ids), [T, B])));
    const out = this.rnn.forward(emb, state ? { h0: state.h, ...(state.c ? { c0: state.c } : {}) } : {});
    const H = this.config.hiddenSize;
    const logits = this.decode(this.drop.forward(out.output).reshape([T * B, H]));
    const c = 'c' in out ? (out as { c?: Tensor | null }).c : null;
    return { logits, state: { h: out.h, ...(c ? { c } : {}) } };
  }
}

function initUniform(t: Tensor, r: number): void {
  globalRng.fillUniform(t.data, -r, r);
}
