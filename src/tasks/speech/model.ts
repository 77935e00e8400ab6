import { logSoftmax, maskedFill, relu, transpose } from '../../autograd/ops/index.js';
import { RecurError } from '../../errors.js';
import { allocStorage } from '../../kernels/index.js';
import { Conv1d, Dropout, GRU, Linear, LSTM } from '../../nn/index.js';
import { Module } from '../../nn/module.js';
import { maxPool, meanPool } from '../../nn/pooling.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

export type SpeechCell = 'lstm' | 'gru';
export type SpeechHead = 'ctc' | 'classify';

export interface SpeechRecognizerConfig {
  /** Feature size per frame (I). */
  inputSize: number;
  /** Convolutional subsampling layers before the recurrent stack: 0 or 2 (each halves T). */
  convLayers: 0 | 2;
  /** Channels of the subsampling convolutions. */
  convChannels: number;
  cell: SpeechCell;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  /** Dropout between recurrent layers and before the output layer. */
  dropout: number;
  head: SpeechHead;
  /** 'ctc': output units including the blank (id 0); 'classify': classes. */
  numOutputs: number;
  /** 'classify' only: how frames become one vector. */
  pooling: 'mean' | 'max';
}

/** A padded batch of features: [B, T, I] batch-major and each utterance's frame count in [1, T]. */
export interface FeatureBatch {
  features: Tensor;
  lengths: number[];
}

/** CTC head output: time-first log-probabilities and each utterance's frame count after subsampling. */
export interface CtcOutput {
  /** [T', B, C]. */
  logProbs: Tensor;
  lengths: number[];
}

/** Output length of one subsampling convolution (kernel 3, stride 2, padding 1): ⌈T / 2⌉. */
export function subsampledLength(T: number, convLayers: number): number {
  let t = T;
  for (let i = 0; i < convLayers; i++) t = Math.floor((t - 1) / 2) + 1;
  return t;
}

/**
 * Speech recogniser: features -> optional convolutional subsampling -> stacked (Bi)LSTM/GRU
 * with packed lengths -> linear -> CTC log-probabilities (or, with `head: 'classify'`, pooling
 * -> class scores for isolated words and commands).
 *
 *     x = features                                        [B, T, I]
 *     x = ReLU(Conv1d(x)), twice (kernel 3, stride 2)     [B, T', Cc]    T' = ⌈⌈T/2⌉/2⌉  (convLayers 2)
 *     o = RNN(x, lengths')                                [B, T', D·H]   zero past each length
 *     ctc:      logProbs = logSoftmax(W · Dropout(o) + b) [T', B, C]     (time-first, for F.ctcLoss)
 *     classify: logits = W · Dropout(pool(o, lengths'))   [B, C]         (mean or max over valid frames)
 *
 * Between the convolutions, frames past each utterance's length are zeroed, so an utterance's
 * output does not depend on the padding of the batch it is in.
 *
 * | tensor | shape |
 * |---|---|
 * | `conv.0.weight`, `conv.1.weight` | `[Cc, I, 3]`, `[Cc, Cc, 3]` (torch Conv1d layout) |
 * | `rnn.*` | PyTorch names, see LSTM / GRU |
 * | `output.weight`, `output.bias` | `[C, D·H]`, `[C]` |
 */
export class SpeechRecognizer extends Module {
  readonly config: SpeechRecognizerConfig;
  readonly convs: Conv1d[];
  readonly rnn: LSTM | GRU;
  readonly drop: Dropout;
  readonly output: Linear;

  constructor(config: SpeechRecognizerConfig) {
    super();
    const c = (this.config = { ...config });
    const whole = (v: number, min: number): boolean => Number.isInteger(v) && v >= min;
    if (!whole(c.inputSize, 1)) throw new RecurError(`SpeechRecognizer: inputSize must be a whole number >= 1, got ${c.inputSize}`);
    if (c.convLayers !== 0 && c.convLayers !== 2) throw new RecurError(`SpeechRecognizer: convLayers must be 0 or 2, got ${String(c.convLayers)}`);
    if (c.convLayers > 0 && !whole(c.convChannels, 1)) throw new RecurError(`SpeechRecognizer: convChannels must be a whole number >= 1, got ${c.convChannels}`);
    if (c.cell !== 'lstm' && c.cell !== 'gru') throw new RecurError(`SpeechRecognizer: cell must be 'lstm' or 'gru', got '${String(c.cell)}'`);
    if (c.head !== 'ctc' && c.head !== 'classify') throw new RecurError(`SpeechRecognizer: head must be 'ctc' or 'classify', got '${String(c.head)}'`);
    if (!whole(c.numOutputs, 2)) throw new RecurError(`SpeechRecognizer: numOutputs must be a whole number >= 2, got ${c.numOutputs}`);
    if (c.pooling !== 'mean' && c.pooling !== 'max') throw new RecurError(`SpeechRecognizer: pooling must be 'mean' or 'max', got '${String(c.pooling)}'`);
    this.convs = [];
    for (let i = 0; i < c.convLayers; i++) {
      this.convs.push(this.module(`conv.${i}`, new Conv1d(i === 0 ? c.inputSize : c.convChannels, c.convChannels, 3, { stride: 2, padding: 1 })));
    }
    const opts = {
      inputSize: c.convLayers > 0 ? c.convChannels : c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers,
      batchFirst: true, bidirectional: c.bidirectional, dropout: c.numLayers > 1 ? c.dropout : 0,
    };
    this.rnn = this.module('rnn', c.cell === 'lstm' ? new LSTM({ ...opts, forgetBias: 1 }) : new GRU(opts));
    this.drop = this.module('drop', new Dropout(c.dropout));
    this.output = this.module('output', new Linear((c.bidirectional ? 2 : 1) * c.hiddenSize, c.numOutputs));
  }

  /** Frames per utterance after subsampling. */
  outputLengths(lengths: readonly number[]): number[] {
    return lengths.map((L) => subsampledLength(L, this.config.convLayers));
  }

  /** The recurrent stack's output [B, T', D·H] and the lengths it ran with. */
  encode(batch: FeatureBatch): { hidden: Tensor; lengths: number[] } {
    const x0 = batch.features;
    if (x0.ndim !== 3 || x0.shape[2] !== this.config.inputSize) {
      throw new RecurError(`SpeechRecognizer: features must be [B, T, ${this.config.inputSize}], got shape ${shapeStr(x0.shape)}`);
    }
    const [B, T] = x0.shape as [number, number, number];
    if (batch.lengths.length !== B) throw new RecurError(`SpeechRecognizer: ${batch.lengths.length} lengths for a batch of ${B}`);
    for (const L of batch.lengths) {
      if (!Number.isInteger(L) || L < 1 || L > T) throw new RecurError(`SpeechRecognizer: length ${L} is not a whole number in [1, ${T}] (features ${shapeStr(x0.shape)})`);
    }
    let x = x0, lengths = [...batch.lengths];
    for (const conv of this.convs) {
      x = relu(conv.forwardChannelsLast(x));
      lengths = lengths.map((L) => conv.outputLength(L));
      x = maskPast(x, lengths);
    }
    const { output } = this.rnn.forward(x, { lengths });
    return { hidden: output, lengths };
  }

  /** CTC head: log-probabilities [T', B, C] and the lengths to pass to F.ctcLoss. */
  forwardCtc(batch: FeatureBatch): CtcOutput {
    if (this.config.head !== 'ctc') throw new RecurError(`SpeechRecognizer: this model has a '${this.config.head}' head, not 'ctc'`);
    const { hidden, lengths } = this.encode(batch);
    const scores = this.output.forward(this.drop.forward(hidden));
    return { logProbs: transpose(logSoftmax(scores, -1), 0, 1), lengths };
  }

  /** Classification head: class scores [B, C]. */
  forwardClassify(batch: FeatureBatch): Tensor {
    if (this.config.head !== 'classify') throw new RecurError(`SpeechRecognizer: this model has a '${this.config.head}' head, not 'classify'`);
    const { hidden, lengths } = this.encode(batch);
    const pooled = this.config.pooling === 'mean' ? meanPool(hidden, lengths) : maxPool(hidden, lengths);
    return this.output.forward(this.drop.forward(pooled));
  }
}

/** x [B, T, C] with the frames at or past each length set to 0. */
function maskPast(x: Tensor, lengths: readonly number[]): Tensor {
  const [B, T, C] = x.shape as [number, number, number];
  if (lengths.every((L) => L === T)) return x;
  const m = allocStorage(B * T * C);
  for (let b = 0; b < B; b++) m.fill(1, (b * T + lengths[b]!) * C, (b + 1) * T * C);
  return maskedFill(x, new Tensor(m, [B, T, C]), 0);
}
