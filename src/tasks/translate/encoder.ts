import { concat } from '../../autograd/ops/index.js';
import { RecurError } from '../../errors.js';
import { Dropout, Embedding, GRU, LSTM } from '../../nn/index.js';
import { Module } from '../../nn/module.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Seq2SeqConfig } from './config.js';

/** A padded batch of source sequences, batch-major. */
export interface SourceBatch {
  /** [B, S] ids, padded with the source pad id. */
  ids: Int32Array;
  B: number;
  S: number;
  /** Valid tokens per sequence, each in [1, S]. */
  lengths: Int32Array;
}

export interface EncoderOutput {
  /** [B, S, H]: both directions concatenated, zero past each length. */
  output: Tensor;
  /** The top layer's final state [B, H] (forward ⊕ backward); for LSTM also the cell state. */
  final: { h: Tensor; c: Tensor | null };
}

/**
 * Embedding -> dropout -> (bi)GRU/LSTM over packed source lengths.
 *
 * | tensor | shape |
 * |---|---|
 * | ids | [B, S] |
 * | output | [B, S, H] (H = hiddenSize; H/2 per direction when bidirectional) |
 * | final.h, final.c | [B, H] |
 * | `embedding.weight` | [srcVocab, E] |
 * | `rnn.*` | torch.nn.GRU / LSTM names, inputSize E, hiddenSize H/D |
 */
export class Encoder extends Module {
  readonly embedding: Embedding;
  readonly drop: Dropout;
  readonly rnn: GRU | LSTM;
  private readonly dirs: number;
  private readonly layers: number;

  constructor(c: Seq2SeqConfig) {
    super();
    this.dirs = c.bidirectional ? 2 : 1;
    this.layers = c.encoderLayers;
    this.embedding = this.module('embedding', new Embedding(c.srcVocabSize, c.embedSize, { paddingIdx: c.srcPadId }));
    this.drop = this.module('drop', new Dropout(c.dropout));
    const opts = {
      inputSize: c.embedSize, hiddenSize: c.hiddenSize / this.dirs, numLayers: c.encoderLayers,
      bidirectional: c.bidirectional, batchFirst: true, dropout: c.encoderLayers > 1 ? c.dropout : 0,
    };
    this.rnn = this.module('rnn', c.cell === 'lstm' ? new LSTM(opts) : new GRU(opts));
  }

  forward(src: SourceBatch): EncoderOutput {
    const { ids, B, S, lengths } = src;
    if (ids.length !== B * S) throw new RecurError(`Encoder: ${ids.length} source ids for a [${B}, ${S}] batch`);
    const emb = this.drop.forward(this.embedding.forward(new Tensor(Float32Array.from(ids), [B, S])));
    const r = this.rnn.forward(emb, { lengths });
    const top = (s: Tensor): Tensor => {
      // s [L·D, B, H/D]: the last layer's D rows, directions side by side as in `output`.
      const D = this.dirs, L = this.layers;
      const rows = s.slice(0, (L - 1) * D, L * D);
      return D === 1 ? rows.reshape([B, s.shape[2]!]) : concat([rows.slice(0, 0, 1), rows.slice(0, 1, 2)], 2).reshape([B, D * s.shape[2]!]);
    };
    const c = 'c' in r ? (r as { c: Tensor }).c : null;
    return { output: r.output, final: { h: top(r.h), c: c ? top(c) : null } };
  }
}
