import { concat, indexSelect, tanh } from '../../autograd/ops/index.js';
import { RecurError } from '../../errors.js';
import { createAttention, DotAttention, GeneralAttention, type Attention, type AttentionMemory } from '../../nn/attention.js';
import { Dropout, Embedding, GRUCell, Linear, LSTMCell } from '../../nn/index.js';
import { Module } from '../../nn/module.js';
import { Tensor } from '../../tensor/tensor.js';
import { attentionScore, type Seq2SeqConfig } from './config.js';
import { luongGruDecode } from './fused-decoder.js';

/** What the decoder carries from one step to the next. */
export interface DecoderState {
  /** Per layer [B, H]. */
  h: Tensor[];
  /** LSTM cell states per layer [B, H]; null for GRU. */
  c: Tensor[] | null;
  /** The previous attentional vector h̃_{t-1} [B, H] (input feeding); null when not fed. */
  feed: Tensor | null;
}

export interface DecoderStep {
  /** The attentional vector h̃_t [B, H] (after dropout), which the generator turns into logits. */
  output: Tensor;
  state: DecoderState;
  /** Attention weights [B, S] of this step; null without attention. */
  weights: Tensor | null;
}

/**
 * One step of the attentional decoder; the loop over time is the caller's (teacher forcing,
 * greedy, beam search all share this step).
 *
 *     Luong  (query after the cell):   h_t = cell([E y_{t-1}; h̃_{t-1}], h_{t-1})
 *                                      c_t, a_t = attend(h_t);   h̃_t = tanh(W_c [c_t; h_t])
 *     Bahdanau (query before):         c_t, a_t = attend(s_{t-1})
 *                                      s_t = cell([E y_{t-1}; c_t (; h̃_{t-1})], s_{t-1});   h̃_t = tanh(W_c [s_t; c_t])
 *     none:                            h_t = cell(E y_{t-1}, h_{t-1});   h̃_t = h_t
 *     logits_t = W_out h̃_t + b_out
 *
 * Stacked cells take the previous layer's output (with dropout between layers); the query is
 * the top layer's state.
 *
 * | tensor | shape |
 * |---|---|
 * | `embedding.weight` | [tgtVocab, E] |
 * | `cells.{l}.*` | torch.nn.GRUCell / LSTMCell, inputSize E (+H if Bahdanau) (+H if input feeding) for l = 0, H above |
 * | `attention.*` | see nn/attention.ts |
 * | `combine.weight` | [H, 2H] (W_c, no bias) |
 * | `out.weight`, `out.bias` | [tgtVocab, H], [tgtVocab] |
 */
export class Decoder extends Module {
  readonly embedding: Embedding;
  readonly drop: Dropout;
  readonly cells: Array<GRUCell | LSTMCell>;
  readonly attention: Attention | null;
  readonly combine: Linear | null;
  readonly out: Linear;
  readonly hiddenSize: number;
  readonly feeds: boolean;
  private readonly bahdanau: boolean;

  constructor(c: Seq2SeqConfig) {
    super();
    const H = (this.hiddenSize = c.hiddenSize);
    const score = attentionScore(c.attention);
    this.bahdanau = c.attention === 'bahdanau';
    this.feeds = c.inputFeeding && score !== null;
    this.embedding = this.module('embedding', new Embedding(c.tgtVocabSize, c.embedSize, { paddingIdx: c.tgtPadId }));
    this.drop = this.module('drop', new Dropout(c.dropout));
    const in0 = c.embedSize + (this.bahdanau ? H : 0) + (this.feeds ? H : 0);
    this.cells = Array.from({ length: c.decoderLayers }, (_, l) => {
      const opts = { inputSize: l === 0 ? in0 : H, hiddenSize: H };
      return this.module(`cells.${l}`, c.cell === 'lstm' ? new LSTMCell(opts) : new GRUCell(opts));
    });
    this.attention = score ? this.module('attention', createAttention(score, { queryDim: H, valueDim: H, attentionDim: c.attentionSize ?? H })) : null;
    this.combine = score ? this.module('combine', new Linear(2 * H, H, { bias: false })) : null;
    this.out = this.module('out', new Linear(H, c.tgtVocabSize));
  }

  get isLstm(): boolean {
    return this.cells[0] instanceof LSTMCell;
  }

  /** Runs the stack of cells on input x; returns the new per-layer states. */
  private runCells(x: Tensor, s: DecoderState): { h: Tensor[]; c: Tensor[] | null } {
    const h: Tensor[] = [], c: Tensor[] = [];
    let inp = x;
    this.cells.forEach((cell, l) => {
      if (l > 0) inp = this.drop.forward(inp);
      if (cell instanceof LSTMCell) {
        const r = cell.forward(inp, { h: s.h[l]!, c: s.c![l]! });
        h.push(r.h);
        c.push(r.c);
        inp = r.h;
      } else {
        const r = cell.forward(inp, s.h[l]!);
        h.push(r);
        inp = r;
      }
    });
    return { h, c: s.c ? c : null };
  }

  step(prev: Int32Array, s: DecoderState, mem: AttentionMemory | null): DecoderStep {
    const B = prev.length;
    if (s.h[0]!.shape[0] !== B) throw new RecurError(`Decoder: ${B} previous tokens for a state of batch ${s.h[0]!.shape[0]}`);
    const emb = this.drop.forward(this.embedding.forward(prev));
    const top = this.cells.length - 1;
    if (!this.attention) {
      const r = this.runCells(emb, s);
      return { output: this.drop.forward(r.h[top]!), state: { ...r, feed: null }, weights: null };
    }
    if (!mem) throw new RecurError('Decoder: attention needs the encoder memory');
    if (this.bahdanau) {
      const a = this.attention.forward(s.h[top]!, mem);
      const x = concat(this.feeds ? [emb, a.context, s.feed!] : [emb, a.context], 1);
      const r = this.runCells(x, s);
      const out = this.drop.forward(tanh(this.combine!.forward(concat([r.h[top]!, a.context], 1))));
      return { output: out, state: { ...r, feed: this.feeds ? out : null }, weights: a.weights };
    }
    const r = this.runCells(this.feeds ? concat([emb, s.feed!], 1) : emb, s);
    const a = this.attention.forward(r.h[top]!, mem);
    const out = this.drop.forward(tanh(this.combine!.forward(concat([a.context, r.h[top]!], 1))));
    return { output: out, state: { ...r, feed: this.feeds ? out : null }, weights: a.weights };
  }

  /**
   * The attentional vectors h̃ [T·B, H] (time-major) of a whole teacher-forced target batch in
   * one fused op (fused-decoder.ts), or null when this decoder is not of the form it covers:
   * one GRU layer, Luong dot/general attention, no active dropout. Same numbers as T calls of
   * `step`, up to float rounding.
   */
  teacherForced(tgtIn: Int32Array, T: number, B: number, s: DecoderState, mem: AttentionMemory | null): Tensor | null {
    const cell = this.cells[0]!;
    const att = this.attention;
    if (this.cells.length !== 1 || !(cell instanceof GRUCell) || !cell.resetAfter || this.bahdanau || !mem || !this.combine) return null;
    if (!(att instanceof DotAttention || att instanceof GeneralAttention)) return null;
    if (this.drop.p > 0 && this.drop.training) return null;
    if (tgtIn.length !== T * B || s.h[0]!.shape[0] !== B) throw new RecurError(`Decoder: ${tgtIn.length} target ids for a [${T}, ${B}] batch with state batch ${s.h[0]!.shape[0]}`);
    const p = cell.namedParameters();
    return luongGruDecode(T, B, this.embedding.forward(tgtIn), s.h[0]!, mem.values, mem.mask, {
      wIh: p.get('weight_ih')!, wHh: p.get('weight_hh')!, bIh: p.get('bias_ih') ?? null, bHh: p.get('bias_hh') ?? null,
      wQ: att instanceof GeneralAttention ? att.query.weight : null, wC: this.combine.weight,
    });
  }

  /** logits [B, V] of attentional vectors [B, H] (or [N, H]). */
  generate(output: Tensor): Tensor {
    return this.out.forward(output);
  }
}

/** The state rows of the given batch entries (rows may repeat): for beam search. */
export function selectDecoderState(s: DecoderState, rows: Int32Array): DecoderState {
  const pick = (t: Tensor): Tensor => indexSelect(t, rows);
  return { h: s.h.map(pick), c: s.c ? s.c.map(pick) : null, feed: s.feed ? pick(s.feed) : null };
}
