import { noGrad } from '../../autograd/grad-mode.js';
import { argmax, stack, tanh } from '../../autograd/ops/index.js';
import { RecurError } from '../../errors.js';
import type { AttentionMemory } from '../../nn/attention.js';
import { selectMemory } from '../../nn/attention.js';
import { Linear } from '../../nn/index.js';
import { Module } from '../../nn/module.js';
import type { Rng } from '../../tensor/rng.js';
import { Tensor, zeros } from '../../tensor/tensor.js';
import { checkSeq2SeqConfig, type Seq2SeqConfig } from './config.js';
import { Decoder, selectDecoderState, type DecoderState } from './decoder.js';
import { Encoder, type SourceBatch } from './encoder.js';

/** A training batch: padded sources (batch-major) and targets (time-major). */
export interface Seq2SeqBatch extends SourceBatch {
  /** [T, B] decoder inputs: <bos> y_1 ... y_{n}, padded. */
  tgtIn: Int32Array;
  /** [T, B] expected outputs: y_1 ... y_n <eos>, padded with the target pad id (ignored by the loss). */
  tgtOut: Int32Array;
  T: number;
}

/** What the decoder needs from one encoded batch. */
export interface Encoded {
  mem: AttentionMemory | null;
  state: DecoderState;
}

/**
 * Initial decoder states from the encoder's final states: per decoder layer,
 * h_l = tanh(W_h^l [h→; h←] + b), and for LSTM c_l = W_c^l [c→; c←] + b (no squashing: a
 * cell state is unbounded). One Linear produces all layers at once.
 *
 * | `h.weight` / `c.weight` | [L_dec·H, H] |
 */
export class Bridge extends Module {
  readonly h: Linear;
  readonly c: Linear | null;
  constructor(private readonly H: number, private readonly L: number, lstm: boolean) {
    super();
    this.h = this.module('h', new Linear(H, L * H));
    this.c = lstm ? this.module('c', new Linear(H, L * H)) : null;
  }

  forward(h: Tensor, c: Tensor | null): { h: Tensor[]; c: Tensor[] | null } {
    const split = (t: Tensor): Tensor[] => Array.from({ length: this.L }, (_, l) => t.slice(1, l * this.H, (l + 1) * this.H));
    return { h: split(tanh(this.h.forward(h))), c: this.c && c ? split(this.c.forward(c)) : null };
  }
}

/**
 * Encoder–decoder with attention (or without, as the baseline), trained with teacher forcing.
 * Submodule names: encoder, bridge (when dense), decoder — the same in the PyTorch twin
 * (scripts/eval/torch_translate.py), so a checkpoint's weights load there unchanged.
 */
export class Seq2Seq extends Module {
  readonly config: Seq2SeqConfig;
  readonly encoder: Encoder;
  readonly bridge: Bridge | null;
  readonly decoder: Decoder;

  constructor(config: Seq2SeqConfig) {
    super();
    this.config = checkSeq2SeqConfig(config);
    this.encoder = this.module('encoder', new Encoder(config));
    this.bridge = config.bridge === 'dense' ? this.module('bridge', new Bridge(config.hiddenSize, config.decoderLayers, config.cell === 'lstm')) : null;
    this.decoder = this.module('decoder', new Decoder(config));
  }

  /** Runs the encoder and prepares attention memory and the initial decoder state. */
  encode(src: SourceBatch): Encoded {
    const enc = this.encoder.forward(src);
    const { B } = src;
    const H = this.config.hiddenSize, L = this.config.decoderLayers, lstm = this.config.cell === 'lstm';
    let h: Tensor[], c: Tensor[] | null;
    if (this.bridge) ({ h, c } = this.bridge.forward(enc.final.h, enc.final.c));
    else {
      h = Array.from({ length: L }, () => zeros([B, H]));
      c = lstm ? Array.from({ length: L }, () => zeros([B, H])) : null;
    }
    const feed = this.decoder.feeds ? zeros([B, H]) : null;
    const mem = this.decoder.attention ? this.decoder.attention.prepare(enc.output, src.lengths) : null;
    return { mem, state: { h, c, feed } };
  }

  /**
   * Teacher-forced logits [T·B, V] (time-major rows). With `teacherForcing` < 1, each row of
   * each step after the first is fed the gold previous token with that probability, else the
   * model's own argmax prediction (scheduled-sampling style), drawn from `rng`.
   */
  forward(batch: Seq2SeqBatch, o: { teacherForcing?: number; rng?: Rng } = {}): Tensor {
    const { B, T } = batch;
    if (batch.tgtIn.length !== T * B || batch.tgtOut.length !== T * B) {
      throw new RecurError(`Seq2Seq: target ids of length ${batch.tgtIn.length}/${batch.tgtOut.length} for a [${T}, ${B}] batch`);
    }
    const ratio = o.teacherForcing ?? 1;
    if (!(ratio >= 0 && ratio <= 1)) throw new RecurError(`teacher forcing ratio must be in [0, 1], got ${ratio}`);
    if (ratio < 1 && !o.rng) throw new RecurError('Seq2Seq: a teacher forcing ratio below 1 needs an rng');
    let { mem, state } = this.encode(batch);
    if (ratio === 1) {
      const fused = this.decoder.teacherForced(batch.tgtIn, T, B, state, mem);
      if (fused) return this.decoder.generate(fused);
    }
    const outs: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      let prev = batch.tgtIn.subarray(t * B, (t + 1) * B);
      if (t > 0 && ratio < 1) {
        const own = Int32Array.from({ length: B }, () => (o.rng!.random() < ratio ? -1 : 0));
        if (own.some((v) => v === 0)) {
          const pred = noGrad(() => argmax(this.decoder.generate(outs[t - 1]!), -1));
          prev = Int32Array.from(prev, (g, b) => (own[b] === 0 ? pred[b]! : g));
        }
      }
      const r = this.decoder.step(prev, state, mem);
      outs.push(r.output);
      state = r.state;
    }
    const H = this.config.hiddenSize;
    return this.decoder.generate(stack(outs, 0).reshape([T * B, H]));
  }

  /** One decoding step: logits [B, V], the next state and the attention weights [B, S] (or null). */
  step(prev: Int32Array, state: DecoderState, mem: AttentionMemory | null): { logits: Tensor; state: DecoderState; weights: Tensor | null } {
    const r = this.decoder.step(prev, state, mem);
    return { logits: this.decoder.generate(r.output), state: r.state, weights: r.weights };
  }

  /** The encoded rows of the given batch entries, for beam search. */
  selectEncoded(e: Encoded, rows: Int32Array): Encoded {
    return { mem: e.mem ? selectMemory(e.mem, rows) : null, state: selectDecoderState(e.state, rows) };
  }
}
