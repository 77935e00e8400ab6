import { argmax, concat, neg, reshape, sum } from '../../autograd/ops/index.js';
import { RecurError } from '../../errors.js';
import { CRF } from '../../nn/crf.js';
import { allowedTransitions } from '../../nn/crf-constraints.js';
import { Dropout, Embedding, Linear, LSTM } from '../../nn/index.js';
import { crossEntropy } from '../../nn/losses/index.js';
import { Module } from '../../nn/module.js';
import { globalRng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import { CharCNN, CharLSTM, gatherWordFeatures, type CharEncoderKind } from './char-encoder.js';
import type { StateDict } from '../../nn/module.js';
import { checkModelSize, Fields, MAX_LAYERS, MAX_VOCAB, MAX_WIDTH, runConfig } from '../../io/validate.js';
import { Vocabulary } from '../../text/vocab.js';
import { CHAR_ENCODERS } from './char-encoder.js';
import type { SchemeChoice, TagDataSpec } from './data.js';
import type { TagBatch } from './encode.js';
import type { TagRunConfig } from './run.js';

export interface SequenceTaggerConfig {
  wordVocabSize: number;
  charVocabSize: number;
  /** Tag strings in id order (needed for the CRF's BIO/BIOES constraints). */
  tags: string[];
  wordEmbed: number;
  charEncoder: CharEncoderKind;
  charEmbed: number;
  /** CNN filters, or hidden size per direction of the char BiLSTM. */
  charHidden: number;
  hiddenSize: number;
  numLayers: number;
  dropout: number;
  /** Output layer: a linear-chain CRF (true) or an independent softmax per token. */
  crf: boolean;
  /** Chunk scheme of the tags; 'bio'/'bioes' constrain the CRF's transitions. */
  scheme: SchemeChoice;
}

/**
 * Sequence tagger: word embedding ⊕ character features -> BiLSTM -> per-token tag scores ->
 * softmax or a linear-chain CRF.
 *
 *     x_t = Dropout([Embedding(word_t) ; CharEnc(chars of word_t)])      [E + F]
 *     o   = BiLSTM(x, lengths)                                           [B, T, 2H]
 *     s_t = W · Dropout(o_t) + b                                         [K] emission scores
 *     softmax: p(y_t) = softmax(s_t)         CRF: p(y) ∝ exp(score(y; s, transitions))
 *
 * | tensor | shape |
 * |---|---|
 * | input | `TagBatch` (word ids `[B, T]`, distinct words' characters, lengths) |
 * | output emissions | `[B, T, K]` |
 * | `word_embeddings.weight` | `[wordVocabSize, wordEmbed]` |
 * | `char_encoder.*` | CharCNN / CharLSTM |
 * | `lstm.*` | LSTM(E + F, H, numLayers, bidirectional), PyTorch names |
 * | `hidden2tag.weight`, `.bias` | `[K, 2H]`, `[K]` |
 * | `crf.*` (crf) | `start_transitions [K]`, `end_transitions [K]`, `transitions [K, K]` |
 */
export class SequenceTagger extends Module {
  readonly config: SequenceTaggerConfig;
  readonly wordEmbeddings: Embedding;
  readonly charEncoder: CharCNN | CharLSTM | null;
  readonly lstm: LSTM;
  readonly drop: Dropout;
  readonly hidden2tag: Linear;
  readonly crf: CRF | null;

  constructor(config: SequenceTaggerConfig) {
    super();
    const c = (this.config = checkTaggerConfig(config));
    const K = c.tags.length;
    this.wordEmbeddings = this.module('word_embeddings', new Embedding(c.wordVocabSize, c.wordEmbed, { paddingIdx: 0 }));
    this.charEncoder = c.charEncoder === 'cnn' ? this.module('char_encoder', new CharCNN(c.charVocabSize, c.charEmbed, c.charHidden))
      : c.charEncoder === 'lstm' ? this.module('char_encoder', new CharLSTM(c.charVocabSize, c.charEmbed, c.charHidden)) : null;
    const inSize = c.wordEmbed + (this.charEncoder?.outputSize ?? 0);
    this.lstm = this.module('lstm', new LSTM({
      inputSize: inSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, batchFirst: true, bidirectional: true,
      dropout: c.numLayers > 1 ? c.dropout : 0, forgetBias: 1,
    }));
    this.drop = this.module('drop', new Dropout(c.dropout));
    this.hidden2tag = this.module('hidden2tag', new Linear(2 * c.hiddenSize, K));
    const constraints = c.crf && c.scheme !== 'none' ? allowedTransitions(c.tags, c.scheme) : null;
    this.crf = c.crf ? this.module('crf', new CRF(K, { constraints, tagNames: c.tags })) : null;
    // Embeddings U(−√(3/d), √(3/d)) (variance 1/d, Lample et al. 2016) instead of N(0, 1): unit
    // variance per coordinate would saturate the LSTM gates at the start and slow training.
    scaledUniform(this.wordEmbeddings);
    if (this.charEncoder) scaledUniform(this.charEncoder.embedding);
  }

  get numTags(): number {
    return this.config.tags.length;
  }

  /** Emission scores [B, T, K]. */
  forward(b: TagBatch): Tensor {
    const { B, T } = b;
    let x = this.wordEmbeddings.forward(b.wordIds); // [B·T, E]
    if (this.charEncoder) {
      const f = this.charEncoder.forward({ U: b.U, maxChars: b.maxChars, chars: b.uniqueChars, lengths: b.uniqueLengths });
      x = concat([x, gatherWordFeatures(f, b.wordSlot)], 1);
    }
    const { output } = this.lstm.forward(reshape(this.drop.forward(x), [B, T, x.shape[1]!]), { lengths: b.lengths });
    return reshape(this.hidden2tag.forward(this.drop.forward(output)), [B, T, this.numTags]);
  }

  /**
   * Training loss, the sum over sentences divided by the number of tokens: the CRF's negative
   * log-likelihood, or the softmax's cross-entropy (padding ignored).
   */
  loss(b: TagBatch, em: Tensor = this.forward(b)): Tensor {
    if (!b.tagIds) throw new RecurError('SequenceTagger.loss: the batch has no gold tags');
    if (this.crf) {
      const tags = Int32Array.from(b.tagIds, (t) => (t < 0 ? 0 : t));
      return neg(sum(this.crf.forward(em, tags, b.lengths))).div(b.tokens);
    }
    return crossEntropy(reshape(em, [b.B * b.T, this.numTags]), b.tagIds, { ignoreIndex: -1 });
  }

  /** Best tag ids per sentence: Viterbi with a CRF, the per-token argmax otherwise. */
  decode(b: TagBatch, em: Tensor = this.forward(b)): number[][] {
    if (this.crf) return this.crf.decode(em, b.lengths).paths;
    const best = argmax(em, -1);
    return b.lengths.map((L, i) => Array.from(best.subarray(i * b.T, i * b.T + L)));
  }
}

/** Re-draws an embedding table U(−√(3/d), √(3/d)), keeping its padding row 0 at zero. */
function scaledUniform(e: Embedding): void {
  const d = e.embeddingDim, r = Math.sqrt(3 / d);
  globalRng.fillUniform(e.weight.data, -r, r);
  if (e.paddingIdx !== null) e.weight.data.fill(0, e.paddingIdx * d, (e.paddingIdx + 1) * d);
}

/**
 * A SequenceTaggerConfig checked field by field (from options or a checkpoint), sizes bounded;
 * with `weights` (a checkpoint's), the file must hold the parameters it implies.
 */
export function checkTaggerConfig(value: unknown, where = 'SequenceTagger config', weights?: StateDict): SequenceTaggerConfig {
  const f = Fields.of(value, where);
  const tags = f.strings('tags');
  if (tags.length < 1) throw new RecurError(`${where}.tags: no tags`);
  const c: SequenceTaggerConfig = {
    wordVocabSize: f.int('wordVocabSize', 1, MAX_VOCAB), charVocabSize: f.int('charVocabSize', 1, MAX_VOCAB), tags: [...tags],
    wordEmbed: f.int('wordEmbed', 1, MAX_WIDTH), charEncoder: f.oneOf('charEncoder', CHAR_ENCODERS), charEmbed: f.int('charEmbed', 1, MAX_WIDTH),
    charHidden: f.int('charHidden', 1, MAX_WIDTH), hiddenSize: f.int('hiddenSize', 1, MAX_WIDTH), numLayers: f.int('numLayers', 1, MAX_LAYERS),
    dropout: f.num('dropout', 0, 1), crf: f.bool('crf'), scheme: f.oneOf('scheme', ['bio', 'bioes', 'none'] as const),
  };
  const { wordVocabSize: V, wordEmbed: E, hiddenSize: H, numLayers: L } = c;
  const K = tags.length;
  const chars = c.charEncoder === 'none' ? 0 : c.charVocabSize * c.charEmbed;
  checkModelSize(where, V * E + chars + 2 * 4 * H * (E + H + (L - 1) * 3 * H) + K * 2 * H + (c.crf ? K * K : 0), weights);
  return c;
}

/** The task and noun of tagging runs (src/tasks/tag/run.ts adds the loader's check). */
export const TAG_KIND = { task: 'tag', noun: 'tagging' } as const;

/** The config of a tagging checkpoint, checked against its weights (see src/io/validate.ts); browser-safe. */
export function checkTagRun(ck: { config: unknown; weights: StateDict }, dir: string): TagRunConfig {
  const f = runConfig(ck.config, TAG_KIND, dir);
  const model = checkTaggerConfig(f.present('model'), `${f.where}.model`, ck.weights);
  const words = Vocabulary.fromJSON(f.present('words')), chars = Vocabulary.fromJSON(f.present('chars'));
  if (words.size !== model.wordVocabSize || chars.size !== model.charVocabSize) {
    throw new RecurError(`${f.where}: vocabularies of ${words.size} words and ${chars.size} characters for a model of ` +
      `${model.wordVocabSize} and ${model.charVocabSize}`);
  }
  const d = f.obj('data');
  const tagColumn = d.optional('tagColumn', (k) => d.int(k, -1e6, 1e6));
  const validData = d.optional('validData', (k) => d.str(k)), testData = d.optional('testData', (k) => d.str(k));
  const data: TagDataSpec = {
    source: d.str('source'), seed: d.int('seed', 0, Number.MAX_SAFE_INTEGER), ...(tagColumn !== undefined ? { tagColumn } : {}),
    ...(validData !== undefined ? { validData } : {}), ...(testData !== undefined ? { testData } : {}),
  };
  return { task: 'tag', data, words: words.toJSON(), chars: chars.toJSON(), model, train: f.obj('train').o };
}
