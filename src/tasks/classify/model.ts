import { RecurError } from '../../errors.js';
import { Dropout, Embedding, GRU, Linear, LSTM, RNN, type CellKind } from '../../nn/index.js';
import { Module } from '../../nn/module.js';
import { AttentionPooling, lastStatePool, maxPool, meanPool, type PoolingKind } from '../../nn/pooling.js';
import { concat } from '../../autograd/ops/index.js';
import { Tensor } from '../../tensor/tensor.js';
import type { StateDict } from '../../nn/module.js';
import { checkModelSize, Fields, MAX_LAYERS, MAX_VOCAB, MAX_WIDTH, runConfig } from '../../io/validate.js';
import { WordTokenizer } from '../../text/word-tokenizer.js';
import type { ClassifyDataSpec } from './data.js';
import type { ClassifyRunConfig } from './run.js';
import { LEXICONS, type LexiconName } from './lexicon-features.js';

export interface SequenceClassifierConfig {
  vocabSize: number;
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  cell: CellKind;
  bidirectional: boolean;
  pooling: PoolingKind;
  /** Dropout on the embeddings, between recurrent layers and on the pooled vector. */
  dropout: number;
  numClasses: number;
  /** Token id of padding (its embedding is zero and gets no gradient). */
  paddingIdx: number;
  /** A per-token lexicon feature appended to each embedding (see lexicon.ts). Default none. */
  lexicon?: LexiconName;
}

/** A padded batch: ids [B, T] batch-major, each sequence's length in [1, T]. */
export interface TokenBatch {
  ids: Int32Array;
  lengths: number[];
  B: number;
  T: number;
  /** Per-token lexicon feature [B, T] (0 at padding), when the model uses one. */
  features?: Float32Array;
}

/**
 * Sequence classifier: embedding -> (bi)RNN/LSTM/GRU -> pooling -> dropout -> linear.
 *
 *     e = Dropout(Embedding(ids)) [⊕ lexicon feature]   [B, T, E (+1)]
 *     o, h = RNN(e, lengths)                           o [B, T, D·H], h [L·D, B, H]
 *     v = pool(o, h)                                   [B, D·H]   (last | mean | max | attention)
 *     logits = W · Dropout(v) + b                      [B, C]
 *
 * Padded steps never reach the pooled vector: the RNN runs packed (exact PyTorch semantics for
 * variable lengths), and mean/max/attention pooling mask the steps past each length.
 *
 * | tensor | shape |
 * |---|---|
 * | input ids | `[B, T]` (batch-major Int32Array) and `lengths` (B values in [1, T]) |
 * | output logits | `[B, numClasses]` |
 * | `embedding.weight` | `[vocabSize, embedSize]` |
 * | `rnn.*` | PyTorch names, see LSTM/GRU/RNN |
 * | `attention.*` (pooling 'attention') | see AttentionPooling |
 * | `classifier.weight`, `classifier.bias` | `[numClasses, D·H]`, `[numClasses]` |
 */
export class SequenceClassifier extends Module {
  readonly config: SequenceClassifierConfig;
  readonly embedding: Embedding;
  readonly rnn: LSTM | GRU | RNN;
  readonly attention: AttentionPooling | null;
  readonly drop: Dropout;
  readonly classifier: Linear;

  constructor(config: SequenceClassifierConfig) {
    super();
    const c = (this.config = checkClassifierConfig(config));
    this.embedding = this.module('embedding', new Embedding(c.vocabSize, c.embedSize, { paddingIdx: c.paddingIdx }));
    const opts = {
      inputSize: c.embedSize + (this.usesLexicon ? 1 : 0), hiddenSize: c.hiddenSize, numLayers: c.numLayers, batchFirst: true,
      bidirectional: c.bidirectional, dropout: c.numLayers > 1 ? c.dropout : 0,
    };
    this.rnn = this.module('rnn', c.cell === 'lstm' ? new LSTM({ ...opts, forgetBias: 1 }) : c.cell === 'gru' ? new GRU(opts) : new RNN(opts));
    const features = (c.bidirectional ? 2 : 1) * c.hiddenSize;
    this.attention = c.pooling === 'attention' ? this.module('attention', new AttentionPooling(features)) : null;
    this.drop = this.module('drop', new Dropout(c.dropout));
    this.classifier = this.module('classifier', new Linear(features, c.numClasses));
  }

  get usesLexicon(): boolean {
    return (this.config.lexicon ?? 'none') !== 'none';
  }

  /** Class scores (logits) [B, C] for a padded batch. */
  forward(batch: TokenBatch): Tensor {
    return this.scores(batch).logits;
  }

  /**
   * Class scores [B, C], the recurrent output the pooling read [B, T, D·H], and with attention
   * pooling each step's weight [B, T] (0 past each length).
   */
  scores(batch: TokenBatch): { logits: Tensor; output: Tensor; weights: Tensor | null } {
    const { B, T, lengths } = batch;
    if (batch.ids.length !== B * T) throw new RecurError(`SequenceClassifier: ${batch.ids.length} ids for a [${B}, ${T}] batch`);
    let emb = this.drop.forward(this.embedding.forward(new Tensor(Float32Array.from(batch.ids), [B, T])));
    if (this.usesLexicon) {
      if (!batch.features || batch.features.length !== B * T) throw new RecurError(`SequenceClassifier: the model uses the '${this.config.lexicon}' lexicon feature but the batch has no [${B}, ${T}] features`);
      emb = concat([emb, new Tensor(batch.features, [B, T, 1])], 2);
    }
    const { output, h } = this.rnn.forward(emb, { lengths });
    let pooled: Tensor, weights: Tensor | null = null;
    switch (this.config.pooling) {
      case 'last': pooled = lastStatePool(h, this.rnn.numDirections); break;
      case 'mean': pooled = meanPool(output, lengths); break;
      case 'max': pooled = maxPool(output, lengths); break;
      case 'attention': ({ pooled, weights } = this.attention!.forward(output, lengths)); break;
      default: throw new RecurError(`SequenceClassifier: unknown pooling '${String(this.config.pooling)}'`);
    }
    return { logits: this.classifier.forward(this.drop.forward(pooled)), output, weights };
  }
}

const GATES: Readonly<Record<CellKind, number>> = { lstm: 4, gru: 3, rnn: 1 };

/**
 * A SequenceClassifierConfig checked field by field (from options or a checkpoint), sizes
 * bounded; with `weights` (a checkpoint's), the file must hold the parameters it implies.
 */
export function checkClassifierConfig(value: unknown, where = 'SequenceClassifier config', weights?: StateDict): SequenceClassifierConfig {
  const f = Fields.of(value, where);
  const c: SequenceClassifierConfig = {
    vocabSize: f.int('vocabSize', 1, MAX_VOCAB), embedSize: f.int('embedSize', 1, MAX_WIDTH), hiddenSize: f.int('hiddenSize', 1, MAX_WIDTH),
    numLayers: f.int('numLayers', 1, MAX_LAYERS), cell: f.oneOf('cell', ['lstm', 'gru', 'rnn'] as const), bidirectional: f.bool('bidirectional'),
    pooling: f.oneOf('pooling', ['last', 'mean', 'max', 'attention'] as const), dropout: f.num('dropout', 0, 1),
    numClasses: f.int('numClasses', 2, MAX_VOCAB), paddingIdx: 0,
  };
  c.paddingIdx = f.int('paddingIdx', 0, c.vocabSize - 1);
  const lexicon = f.optional('lexicon', (k) => f.oneOf(k, LEXICONS));
  if (lexicon !== undefined) c.lexicon = lexicon;
  const { vocabSize: V, embedSize: E, hiddenSize: H, numLayers: L, numClasses: C } = c;
  const D = c.bidirectional ? 2 : 1;
  checkModelSize(where, V * E + D * GATES[c.cell] * H * (E + H + (L - 1) * (D * H + H)) + C * D * H, weights);
  return c;
}

/** The task and noun of classification runs (src/tasks/classify/run.ts adds the loader's check). */
export const CLASSIFY_KIND = { task: 'classify', noun: 'classification' } as const;

/** The config of a classification checkpoint, checked against its weights (see src/io/validate.ts); browser-safe. */
export function checkClassifyRun(ck: { config: unknown; weights: StateDict }, dir: string): ClassifyRunConfig {
  const f = runConfig(ck.config, CLASSIFY_KIND, dir);
  const model = checkClassifierConfig(f.present('model'), `${f.where}.model`, ck.weights);
  const labels = f.strings('labels');
  if (labels.length !== model.numClasses) throw new RecurError(`${f.where}: ${labels.length} labels for a model of ${model.numClasses} classes`);
  const tokenizer = WordTokenizer.fromJSON(f.present('tokenizer'));
  if (tokenizer.vocabSize !== model.vocabSize) {
    throw new RecurError(`${f.where}: the tokenizer has ${tokenizer.vocabSize} words but the model's vocabSize is ${model.vocabSize}`);
  }
  const d = f.obj('data');
  const column = (k: string): string | number => (typeof d.o[k] === 'number' ? d.int(k, -1e6, 1e6) : d.str(k));
  const sp = d.obj('split');
  const split: ClassifyDataSpec['split'] = 'folds' in sp.o
    ? { folds: sp.int('folds', 2, 1e6), fold: sp.int('fold', 0, 1e6) }
    : { valid: sp.num('valid', 0, 1), test: sp.num('test', 0, 1) };
  if ('folds' in split && split.fold >= split.folds) throw new RecurError(`${sp.where}: fold ${split.fold} of ${split.folds} folds`);
  const textColumn = d.optional('textColumn', column), labelColumn = d.optional('labelColumn', column);
  const data: ClassifyDataSpec = {
    source: d.str('source'), ...(textColumn !== undefined ? { textColumn } : {}), ...(labelColumn !== undefined ? { labelColumn } : {}),
    split, seed: d.int('seed', 0, Number.MAX_SAFE_INTEGER), size: d.int('size', 0, Number.MAX_SAFE_INTEGER),
  };
  return {
    task: 'classify', data, labels, tokenizer: tokenizer.toJSON(), maxLength: f.int('maxLength', 0, 1 << 24), model, train: f.obj('train').o,
  };
}
