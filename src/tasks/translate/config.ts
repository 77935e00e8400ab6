import { RecurError } from '../../errors.js';
import type { AttentionScore } from '../../nn/attention.js';
import type { StateDict } from '../../nn/module.js';
import { checkModelSize, Fields, MAX_LAYERS, MAX_VOCAB, MAX_WIDTH, runConfig } from '../../io/validate.js';
import { tokenizerFromJSON } from '../../text/from-json.js';
import type { TranslateRunConfig } from './run.js';
import type { CellKind } from '../../nn/index.js';

/**
 * Where the decoder attends:
 * - 'bahdanau': additive score, queried with the previous decoder state s_{t-1}; the context is
 *   fed into the recurrent cell with the previous word (Bahdanau et al. 2015).
 * - 'luong-dot' | 'luong-general' | 'luong-concat': queried with the new state h_t after the
 *   cell (Luong et al. 2015's global attention); 'concat' is the additive score.
 * - 'none': no attention, the plain encoder-decoder (Sutskever et al. 2014, Cho et al. 2014):
 *   the bridged final encoder state is all the decoder knows of the source.
 */
export type AttentionType = 'bahdanau' | 'luong-dot' | 'luong-general' | 'luong-concat' | 'none';
export const ATTENTION_TYPES: readonly AttentionType[] = ['bahdanau', 'luong-dot', 'luong-general', 'luong-concat', 'none'];

/** Seq2seq stacks gated cells only. */
export type Seq2SeqCell = Exclude<CellKind, 'rnn'>;

export interface Seq2SeqConfig {
  srcVocabSize: number;
  tgtVocabSize: number;
  /** Padding ids: their embedding rows stay zero and receive no gradient. */
  srcPadId: number;
  tgtPadId: number;
  embedSize: number;
  /**
   * Decoder hidden size H, and the encoder's output size: with a bidirectional encoder each
   * direction has H/2 units (as OpenNMT's brnn), so every attention score, dot included, works.
   */
  hiddenSize: number;
  encoderLayers: number;
  decoderLayers: number;
  cell: Seq2SeqCell;
  bidirectional: boolean;
  attention: AttentionType;
  /** Hidden size of the additive scoring MLP (default hiddenSize). */
  attentionSize?: number;
  /** Feed the previous attentional vector h̃_{t-1} to the cell with the word (Luong's input feeding). */
  inputFeeding: boolean;
  /** On embeddings, between layers and on the attentional vector. */
  dropout: number;
  /** 'dense': decoder initial states = tanh(Linear(final encoder states)); 'zero': zeros. */
  bridge: 'dense' | 'zero';
}

/** How the attention type maps to a score and a query position. */
export function attentionScore(a: AttentionType): AttentionScore | null {
  switch (a) {
    case 'bahdanau': return 'additive';
    case 'luong-concat': return 'additive';
    case 'luong-dot': return 'dot';
    case 'luong-general': return 'general';
    case 'none': return null;
    default: throw new RecurError(`unknown attention '${String(a)}' (expected ${ATTENTION_TYPES.join(', ')})`);
  }
}

/**
 * A Seq2SeqConfig checked field by field (from options or a checkpoint), sizes bounded; with
 * `weights` (a checkpoint's), the file must hold the parameters the config implies.
 */
export function checkSeq2SeqConfig(value: unknown, where = 'Seq2Seq config', weights?: StateDict): Seq2SeqConfig {
  const f = Fields.of(value, where);
  const c: Seq2SeqConfig = {
    srcVocabSize: f.int('srcVocabSize', 2, MAX_VOCAB), tgtVocabSize: f.int('tgtVocabSize', 3, MAX_VOCAB), srcPadId: 0, tgtPadId: 0,
    embedSize: f.int('embedSize', 1, MAX_WIDTH), hiddenSize: f.int('hiddenSize', 1, MAX_WIDTH),
    encoderLayers: f.int('encoderLayers', 1, MAX_LAYERS), decoderLayers: f.int('decoderLayers', 1, MAX_LAYERS),
    cell: f.oneOf('cell', ['gru', 'lstm'] as const), bidirectional: f.bool('bidirectional'), attention: f.present('attention') as AttentionType,
    inputFeeding: f.bool('inputFeeding'), dropout: f.num('dropout', 0, 0.999999), bridge: f.oneOf('bridge', ['dense', 'zero'] as const),
  };
  attentionScore(c.attention);
  for (const k of ['srcPadId', 'tgtPadId'] as const) {
    const v = f.o[k], n = k === 'srcPadId' ? c.srcVocabSize : c.tgtVocabSize;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) throw new RecurError(`Seq2Seq: ${k} ${String(v)} is not an id of the ${n}-token vocabulary`);
    c[k] = v;
  }
  const attentionSize = f.optional('attentionSize', (k) => f.int(k, 1, MAX_WIDTH));
  if (attentionSize !== undefined) c.attentionSize = attentionSize;
  if (c.bidirectional && c.hiddenSize % 2 !== 0) {
    throw new RecurError(`Seq2Seq: a bidirectional encoder splits hiddenSize between its two directions, so it must be even, got ${c.hiddenSize}`);
  }
  const { srcVocabSize: S, tgtVocabSize: V, embedSize: E, hiddenSize: H } = c;
  const G = c.cell === 'lstm' ? 4 : 3, D = c.bidirectional ? 2 : 1, He = H / D;
  checkModelSize(where, (S + V) * E + c.encoderLayers * D * G * He * He + c.decoderLayers * G * H * H + V * H, weights);
  return c;
}

/** The task and noun of translation runs (src/tasks/translate/run.ts adds the loader's check). */
export const TRANSLATE_KIND = { task: 'translate', noun: 'translation' } as const;

export interface DecodeDefaults {
  beam: number;
  lengthPenalty: number;
  /** Maximum output length = maxLenA · source length + maxLenB (fairseq's rule). */
  maxLenA: number;
  maxLenB: number;
}

export const DEFAULT_DECODE: DecodeDefaults = { beam: 5, lengthPenalty: 1, maxLenA: 2, maxLenB: 10 };

/** The config of a translation checkpoint, checked against its weights (see src/io/validate.ts); browser-safe. */
export function checkTranslateRun(ck: { config: unknown; weights: StateDict }, dir: string): TranslateRunConfig {
  const f = runConfig(ck.config, TRANSLATE_KIND, dir);
  const model = checkSeq2SeqConfig(f.present('model'), `${f.where}.model`, ck.weights);
  const src = tokenizerFromJSON(f.present('srcTokenizer')), tgt = tokenizerFromJSON(f.present('tgtTokenizer'));
  if (src.vocabSize !== model.srcVocabSize || tgt.vocabSize !== model.tgtVocabSize) {
    throw new RecurError(`${f.where}: tokenizers of ${src.vocabSize} and ${tgt.vocabSize} tokens for a model of ${model.srcVocabSize} and ${model.tgtVocabSize}`);
  }
  const d = f.obj('decode');
  const decode: DecodeDefaults = {
    beam: d.int('beam', 1, 1000), lengthPenalty: d.num('lengthPenalty', -100, 100), maxLenA: d.num('maxLenA', 0, 1000), maxLenB: d.int('maxLenB', 0, 1 << 20),
  };
  return {
    task: 'translate', data: f.str('data'), reverse: f.bool('reverse'), metric: f.oneOf('metric', ['bleu', 'g2p'] as const), model,
    srcTokenizer: src.toJSON(), tgtTokenizer: tgt.toJSON(), decode, train: f.obj('train').o,
  };
}
