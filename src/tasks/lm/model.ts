import { RecurError } from '../../errors.js';
import { Dropout, Embedding, Linear } from '../../nn/index.js';
import { Module } from '../../nn/module.js';
import { GRU, LSTM, RNN, type CellKind } from '../../nn/index.js';
import { linear } from '../../autograd/ops/matmul.js';
import { globalRng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import type { StateDict } from '../../nn/module.js';
import { tokenizerFromJSON } from '../../text/from-json.js';
import { checkModelSize, Fields, MAX_LAYERS, MAX_VOCAB, MAX_WIDTH, runConfig } from '../../io/validate.js';
import type { LmRunConfig } from './run.js';

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
    const c = (this.config = checkLmConfig(config));
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

/** The task and noun of language-model runs (src/tasks/lm/run.ts adds the loader's check). */
export const LM_KIND = { task: 'lm', noun: 'language-model' } as const;

/** Gates per unit of each cell: the rows of weight_hh are gates × hidden. */
const GATES: Readonly<Record<CellKind, number>> = { lstm: 4, gru: 3, rnn: 1 };

/**
 * A LanguageModelConfig checked field by field (from options or a checkpoint), sizes bounded;
 * with `weights` (a checkpoint's), the file must hold the parameters the config implies.
 */
export function checkLmConfig(value: unknown, where = 'LanguageModel config', weights?: StateDict): LanguageModelConfig {
  const f = Fields.of(value, where);
  const c: LanguageModelConfig = {
    vocabSize: f.int('vocabSize', 1, MAX_VOCAB), embedSize: f.int('embedSize', 1, MAX_WIDTH), hiddenSize: f.int('hiddenSize', 1, MAX_WIDTH),
    numLayers: f.int('numLayers', 1, MAX_LAYERS), cell: f.oneOf('cell', ['lstm', 'gru', 'rnn'] as const), dropout: f.num('dropout', 0, 1),
    tieWeights: f.bool('tieWeights'),
  };
  const { vocabSize: V, embedSize: E, hiddenSize: H, numLayers: L } = c;
  checkModelSize(where, V * E + GATES[c.cell] * H * (E + H + (L - 1) * 2 * H) + V * H, weights);
  return c;
}

function initUniform(t: Tensor, r: number): void {
  globalRng.fillUniform(t.data, -r, r);
}

/** The config of a language-model checkpoint, checked against its weights (see src/io/validate.ts); browser-safe. */
export function checkLmRun(ck: { config: unknown; weights: StateDict }, dir: string): LmRunConfig {
  const f = runConfig(ck.config, LM_KIND, dir);
  const model = checkLmConfig(f.present('model'), `${f.where}.model`, ck.weights);
  const tokenizer = tokenizerFromJSON(f.present('tokenizer') as LmRunConfig['tokenizer']);
  if (tokenizer.vocabSize !== model.vocabSize) {
    throw new RecurError(`${f.where}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabSize is ${model.vocabSize}`);
  }
  const train = f.obj('train');
  train.optional('bptt', (k) => train.int(k, 1, 1 << 20));
  const valid = f.optional('valid', (k) => f.str(k)), test = f.optional('test', (k) => f.str(k));
  return {
    task: 'lm', corpus: f.str('corpus'), ...(valid !== undefined ? { valid } : {}), ...(test !== undefined ? { test } : {}), level: f.oneOf('level', ['char', 'word', 'bpe'] as const), model,
    tokenizer: tokenizer.toJSON(), train: train.o,
  };
}
