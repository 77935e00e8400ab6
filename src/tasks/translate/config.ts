import { RecurError } from '../../errors.js';
import type { AttentionScore } from '../../nn/attention.js';
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

export function checkSeq2SeqConfig(c: Seq2SeqConfig): void {
  const ints: Array<[keyof Seq2SeqConfig, number]> = [['srcVocabSize', 2], ['tgtVocabSize', 3], ['embedSize', 1], ['hiddenSize', 1], ['encoderLayers', 1], ['decoderLayers', 1]];
  for (const [k, min] of ints) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RecurError(`Seq2Seq: ${k} must be a whole number >= ${min}, got ${String(v)}`);
  }
  if (c.bidirectional && c.hiddenSize % 2 !== 0) {
    throw new RecurError(`Seq2Seq: a bidirectional encoder splits hiddenSize between its two directions, so it must be even, got ${c.hiddenSize}`);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new RecurError(`Seq2Seq: dropout must be in [0, 1), got ${c.dropout}`);
  if (c.cell !== 'gru' && c.cell !== 'lstm') throw new RecurError(`Seq2Seq: cell must be 'gru' or 'lstm', got '${String(c.cell)}'`);
  if (c.bridge !== 'dense' && c.bridge !== 'zero') throw new RecurError(`Seq2Seq: bridge must be 'dense' or 'zero', got '${String(c.bridge)}'`);
  attentionScore(c.attention);
  for (const [k, v] of [['srcPadId', c.srcPadId], ['tgtPadId', c.tgtPadId]] as const) {
    const n = k === 'srcPadId' ? c.srcVocabSize : c.tgtVocabSize;
    if (!Number.isInteger(v) || v < 0 || v >= n) throw new RecurError(`Seq2Seq: ${k} ${v} is not an id of the ${n}-token vocabulary`);
  }
}
