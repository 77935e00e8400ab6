/**
 * Attention over a variable-length memory (the encoder's outputs), as recurrent translation
 * models use it (Bahdanau et al. 2015; Luong et al. 2015).
 *
 * At each decoder step a query q (a decoder state) scores every memory position s, the
 * scores become weights by a softmax in which padding positions get exactly zero weight,
 * and the context is the weighted average of the memory:
 *
 *     e_s = score(q, h̄_s)            for s < length, −∞ at padding
 *     a   = softmax(e)                Σ_s a_s = 1, a_s = 0 at padding
 *     c   = Σ_s a_s h̄_s
 *
 * | score | equation | parameters |
 * |---|---|---|
 * | additive (Bahdanau; Luong's "concat") | vᵀ tanh(W_q q + W_k h̄_s + b_k) | `query.weight` [A, Dq], `key.weight` [A, Dv], `key.bias` [A], `v.weight` [1, A] |
 * | dot (Luong) | qᵀ h̄_s (needs Dq = Dv) | none |
 * | general (Luong) | qᵀ W_a h̄_s = (W_aᵀ q)ᵀ h̄_s | `query.weight` [Dv, Dq] (W_aᵀ, applied to the query) |
 *
 * | tensor | shape |
 * |---|---|
 * | memory values h̄ | [B, S, Dv] |
 * | lengths | B whole numbers in [1, S] (default: all S) |
 * | query q | [B, Dq] |
 * | context c | [B, Dv] |
 * | weights a | [B, S] |
 *
 * `prepare` does the per-sequence work once (the key projection W_k h̄ of additive attention,
 * the padding mask), so each decoder step costs only the query side. Scores and context are
 * batched matrix-vector products (kernels `bmv`/`bger`), not B tiny GEMMs. Parameter names match the PyTorch twin in scripts/eval/torch_translate.py.
 */
import { RecurError } from '../errors.js';
import { indexSelect, linear, maskedFill, softmax, tanh, transpose } from '../autograd/ops/index.js';
import { allocStorage } from '../kernels/index.js';
import { shapeStr } from '../tensor/shape.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { bmv, bmvT } from './ops/bmv.js';

export type AttentionScore = 'additive' | 'dot' | 'general';

/** The encoder side of attention, prepared once per batch of sources. */
export interface AttentionMemory {
  /** h̄ [B, S, Dv]. */
  readonly values: Tensor;
  /** Additive attention's W_k h̄ + b_k, time-major [S, B, A] so a [B, A] query term broadcasts over it; null otherwise. */
  readonly keys: Tensor | null;
  /** 1 at padding positions [B, S]; null when no sequence is padded. */
  readonly mask: Tensor | null;
  /** Valid positions per sequence. */
  readonly lengths: Int32Array;
}

export interface AttentionOutput {
  /** c [B, Dv]. */
  context: Tensor;
  /** a [B, S]; rows sum to one, zero at padding. */
  weights: Tensor;
}

/** [B, S] with 1 where s ≥ lengths[b], or null when every length is S. */
export function paddingMask(lengths: ArrayLike<number>, S: number): Tensor | null {
  const B = lengths.length;
  let any = false;
  const m = new Tensor(allocStorage(B * S), [B, S]);
  for (let b = 0; b < B; b++) {
    const L = lengths[b]!;
    if (!Number.isInteger(L) || L < 1 || L > S) throw new RecurError(`attention: length ${L} of sequence ${b} is not in [1, ${S}]`);
    for (let s = L; s < S; s++) {
      m.data[b * S + s] = 1;
      any = true;
    }
  }
  return any ? m : null;
}

export interface AttentionOptions {
  /** Size of the query, Dq (the decoder's hidden size). */
  queryDim: number;
  /** Size of each memory vector, Dv (the encoder's output size). */
  valueDim: number;
  /** Additive only: the hidden size A of the scoring MLP (default valueDim). */
  attentionDim?: number;
  rng?: Rng;
}

/** The shared forward: masked softmax of the scores, then the weighted average of the memory. */
export abstract class Attention extends Module {
  abstract readonly score: AttentionScore;
  readonly queryDim: number;
  readonly valueDim: number;

  protected constructor(protected readonly label: string, o: AttentionOptions) {
    super();
    for (const [v, what] of [[o.queryDim, 'queryDim'], [o.valueDim, 'valueDim']] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RecurError(`${label}: ${what} must be a whole number >= 1, got ${v}`);
    }
    this.queryDim = o.queryDim;
    this.valueDim = o.valueDim;
  }

  /** Per-batch preparation of the memory [B, S, Dv] with its lengths (default: no padding). */
  prepare(values: Tensor, lengths?: ArrayLike<number> | null): AttentionMemory {
    if (values.ndim !== 3 || values.shape[2] !== this.valueDim) {
      throw new RecurError(`${this.label}: memory must be [B, S, ${this.valueDim}] (valueDim=${this.valueDim}), got ${shapeStr(values.shape)}`);
    }
    const [B, S] = values.shape as [number, number, number];
    if (lengths && lengths.length !== B) throw new RecurError(`${this.label}: ${lengths.length} lengths for a batch of ${B} (memory ${shapeStr(values.shape)})`);
    const lens = Int32Array.from(lengths ?? new Array<number>(B).fill(S));
    return { values, keys: this.projectKeys(values), mask: paddingMask(lens, S), lengths: lens };
  }

  /** Additive attention's key projection; null for the others. */
  protected projectKeys(_values: Tensor): Tensor | null {
    return null;
  }

  /** Unnormalised scores e [B, S] of a query [B, Dq]. */
  protected abstract scores(query: Tensor, mem: AttentionMemory): Tensor;

  forward(query: Tensor, mem: AttentionMemory): AttentionOutput {
    const [B] = mem.values.shape as [number, number, number];
    if (query.ndim !== 2 || query.shape[0] !== B || query.shape[1] !== this.queryDim) {
      throw new RecurError(`${this.label}: query must be [${B}, ${this.queryDim}] (batch, queryDim), got ${shapeStr(query.shape)} for memory ${shapeStr(mem.values.shape)}`);
    }
    let e = this.scores(query, mem);
    if (mem.mask) e = maskedFill(e, mem.mask, -Infinity);
    const weights = softmax(e, -1);
    return { context: bmvT(mem.values, weights), weights };
  }
}

/** Luong's dot score qᵀ h̄_s: no parameters; the query and memory sizes must be equal. */
export class DotAttention extends Attention {
  readonly score = 'dot' as const;

  constructor(o: AttentionOptions) {
    super('DotAttention', o);
    if (o.queryDim !== o.valueDim) {
      throw new RecurError(`DotAttention: queryDim (${o.queryDim}) must equal valueDim (${o.valueDim}); use general or additive attention for different sizes`);
    }
  }

  protected scores(query: Tensor, mem: AttentionMemory): Tensor {
    return bmv(mem.values, query);
  }
}

/** Luong's general score qᵀ W_a h̄_s, computed as (W_aᵀ q)ᵀ h̄_s (the query is projected, as OpenNMT does). */
export class GeneralAttention extends Attention {
  readonly score = 'general' as const;
  /** W_aᵀ as a Linear Dq -> Dv without bias. */
  readonly query: Linear;

  constructor(o: AttentionOptions) {
    super('GeneralAttention', o);
    this.query = this.module('query', new Linear(o.queryDim, o.valueDim, { bias: false, rng: o.rng ?? globalRng }));
  }

  protected scores(query: Tensor, mem: AttentionMemory): Tensor {
    return bmv(mem.values, this.query.forward(query));
  }
}

/** Bahdanau's additive score vᵀ tanh(W_q q + W_k h̄_s + b_k) (Luong calls it "concat"). */
export class AdditiveAttention extends Attention {
  readonly score = 'additive' as const;
  readonly attentionDim: number;
  readonly query: Linear;
  readonly key: Linear;
  readonly v: Linear;

  constructor(o: AttentionOptions) {
    super('AdditiveAttention', o);
    const A = (this.attentionDim = o.attentionDim ?? o.valueDim);
    if (!Number.isInteger(A) || A < 1) throw new RecurError(`AdditiveAttention: attentionDim must be a whole number >= 1, got ${A}`);
    const rng = o.rng ?? globalRng;
    this.query = this.module('query', new Linear(o.queryDim, A, { bias: false, rng }));
    this.key = this.module('key', new Linear(o.valueDim, A, { rng }));
    this.v = this.module('v', new Linear(A, 1, { bias: false, rng }));
  }

  protected override projectKeys(values: Tensor): Tensor {
    return this.key.forward(transpose(values, 0, 1));
  }

  protected scores(query: Tensor, mem: AttentionMemory): Tensor {
    // keys [S, B, A] + W_q q [B, A]: a trailing-block broadcast, no per-step copy of the memory.
    const [S, B] = mem.keys!.shape as [number, number, number];
    const pre = mem.keys!.add(this.query.forward(query));
    const e = linear(tanh(pre), this.v.weight).reshape([S, B]);
    return transpose(e, 0, 1);
  }
}

/** The memory rows of the given batch entries, in that order (rows may repeat): for beam search. */
export function selectMemory(mem: AttentionMemory, rows: Int32Array): AttentionMemory {
  return {
    values: indexSelect(mem.values, rows),
    keys: mem.keys ? transpose(indexSelect(transpose(mem.keys, 0, 1), rows), 0, 1) : null,
    mask: mem.mask ? indexSelect(mem.mask, rows) : null,
    lengths: Int32Array.from(rows, (r) => mem.lengths[r]!),
  };
}

/** The attention module for a score name. */
export function createAttention(score: AttentionScore, o: AttentionOptions): Attention {
  switch (score) {
    case 'additive': return new AdditiveAttention(o);
    case 'dot': return new DotAttention(o);
    case 'general': return new GeneralAttention(o);
    default: throw new RecurError(`unknown attention score '${String(score)}' (expected additive, dot or general)`);
  }
}
