import { RecurError } from '../../errors.js';
import { kernels } from '../../kernels/index.js';
import { Tensor } from '../../tensor/tensor.js';
import type { RnnActivation } from '../../kernels/rnn-types.js';
import { gateCount, type FusedCellKind } from './fused.js';
import { GRU } from './gru.js';
import { LSTM } from './lstm.js';
import { PackedMatrix, type StepperWeights } from './matvec.js';
import { RNN } from './rnn.js';

export type { StepperWeights } from './matvec.js';

export interface RecurrentStepperOptions {
  /** 'float32' (default): a copy of the weights. 'int8': per-row int8 weights, run by `qgemv`. */
  weights?: StepperWeights;
  /** Embedding table [V, inputSize] feeding layer 0; enables `stepToken(id)`. */
  embedding?: Tensor | Float32Array;
  /**
   * Largest V·G (floats) for which layer 0's input projection of every token is precomputed
   * (E·W_ih_l0ᵀ + biases, float32 even with int8 weights), turning it into a row lookup.
   * Default 8M floats (32 MB); 0 disables it.
   */
  maxTableFloats?: number;
}

/** Recurrent state of a stepper, flat: h [L·Hout] and, for LSTM, c [L·H] (layer-major, as h_n[:, 0, :]). */
export interface StepperState {
  h: Float32Array;
  c?: Float32Array;
}

/** One layer's packed weights and its buffers (all in backend memory, allocated once). */
interface Layer {
  inSize: number;
  wIh: PackedMatrix;
  /** The recurrent matrix; for the reset-before GRU only its r, z rows ([2H, H]). */
  wHh: PackedMatrix;
  /** Reset-before GRU: W_hn [H, H], applied to r·h. */
  wHn: PackedMatrix | null;
  /** LSTM projection W_hr [P, H]. */
  wHr: PackedMatrix | null;
  /** b_ih + the recurrent biases that can be folded in, [G]; null without bias. */
  bias: Float32Array | null;
  /** GRU (reset after): b_hn [H], which r multiplies, so it stays apart. */
  bhn: Float32Array | null;
  xg: Float32Array;
  hg: Float32Array;
  /** hg[2H:3H] (reset-before GRU), made once. */
  hgN: Float32Array | null;
  /** Current h [Hout], and a second buffer for kernels whose output must not alias hPrev (GRU). */
  h: Float32Array;
  hNext: Float32Array;
  c: Float32Array | null;
  cNext: Float32Array | null;
  /** LSTM with projection: o·tanh(c) [H] before W_hr. GRU: the hn / r·h cache [H]. */
  side: Float32Array | null;
}

const DEFAULT_TABLE_FLOATS = 8 * 1024 * 1024;

// Buffer swaps without a destructuring array (no allocation per step).
function swapH(L: Layer): void {
  const t = L.h;
  L.h = L.hNext;
  L.hNext = t;
}

function swapC(L: Layer): void {
  const t = L.c;
  L.c = L.cNext;
  L.cNext = t;
}

/**
 * A fused batch-1 inference path for a unidirectional RNN / LSTM / GRU: the generation loop's
 * step. Built once from a module; then each `step(x)` runs, per layer,
 *
 *     xg = W_ih x + b            one (q)gemv into a bias-initialised buffer
 *     hg = W_hh h                one (q)gemv (two for the reset-before GRU: W_h{r,z} h, W_hn (r⊙h))
 *     h, c = gates(xg, hg, c)    the layers' fused gate kernel with rows = 1
 *     h = W_hr h                 LSTM with projSize only
 *
 * where the gate kernel is, with a = xg + hg and σ the logistic function:
 *
 *     RNN   h' = act(a)                                                  act = tanh or relu
 *     LSTM  i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o);  c' = f⊙c + i⊙g;  h' = o⊙tanh(c')
 *     GRU   r, z = σ(a_r), σ(a_z);  n = tanh(xg_n + r⊙(hg_n + b_hn));  h' = (1 − z)⊙n + z⊙h
 *           (resetAfter = false, Keras 2: n = tanh(xg_n + W_hn (r⊙h)), b_hn folded into xg)
 *
 * exactly as RNN, LSTM and GRU define them. No array or tensor is allocated per step: weights,
 * biases (b_ih + b_hh folded, except the GRU's b_hn), state and workspaces live in backend
 * memory from construction. It is an eval-mode computation (no dropout), and it snapshots the
 * weights: later changes to the module's parameters need a new stepper.
 *
 * With an embedding table E [V, I], `stepToken(id)` feeds E[id]; when V·G ≤ maxTableFloats it
 * also precomputes T = E·W_ih_l0ᵀ + b_l0 [V, G], so layer 0's input projection is a row copy.
 *
 * | tensor | shape |
 * |---|---|
 * | x (step) | [I] |
 * | id (stepToken) | integer in [0, V) |
 * | returned h (top layer) | [Hout], a view valid until the next step / setState |
 * | state h | [L·Hout] (= h_n [L, 1, Hout] of the module, flat) |
 * | state c (LSTM) | [L·H] |
 * | layer-0 table | [V, G], G = H (RNN), 4H (LSTM), 3H (GRU) |
 *
 * I = inputSize, H = hiddenSize, P = projSize, Hout = P || H, L = numLayers.
 */
export class RecurrentStepper {
  readonly kind: FusedCellKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Size of h: projSize for a projected LSTM, else hiddenSize. */
  readonly hiddenOut: number;
  readonly numLayers: number;
  readonly weights: StepperWeights;
  /** Rows V of the embedding (0 without one). */
  readonly vocabSize: number;
  private readonly layers: Layer[] = [];
  private readonly act: RnnActivation;
  private readonly xBuf: Float32Array;
  private readonly embedding: Float32Array | null;
  /** Precomputed layer-0 input projections [V, G], or null. */
  private readonly table: Float32Array | null;

  constructor(module: RNN | LSTM | GRU, opts: RecurrentStepperOptions = {}) {
    if (!(module instanceof RNN || module instanceof LSTM || module instanceof GRU)) {
      throw new RecurError('RecurrentStepper: expected an RNN, LSTM or GRU module');
    }
    if (module.bidirectional) {
      throw new RecurError('RecurrentStepper: the module is bidirectional; a reverse direction needs the whole sequence, so it cannot run step by step');
    }
    const weights = opts.weights ?? 'float32';
    if (weights !== 'float32' && weights !== 'int8') throw new RecurError(`RecurrentStepper: weights must be 'float32' or 'int8', got '${String(weights)}'`);
    this.weights = weights;
    this.kind = module instanceof LSTM ? 'lstm' : module instanceof GRU ? (module.resetAfter ? 'gru' : 'gruResetBefore') : module.nonlinearity === 'relu' ? 'rnnRelu' : 'rnnTanh';
    this.act = this.kind === 'rnnRelu' ? 'relu' : 'tanh';
    this.inputSize = module.inputSize;
    this.hiddenSize = module.hiddenSize;
    this.hiddenOut = module.hiddenOut;
    this.numLayers = module.numLayers;
    const K = kernels();
    const H = this.hiddenSize, P = module.projSize, Hout = this.hiddenOut, G = gateCount(this.kind) * H;
    const params = module.namedParameters();
    const p = (name: string): Float32Array => params.get(name)!.data;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : Hout;
      const wHh = p(`weight_hh_l${l}`);
      let bias: Float32Array | null = null, bhn: Float32Array | null = null;
      if (module.bias) {
        bias = K.alloc(G);
        K.copy(p(`bias_ih_l${l}`), bias);
        const bHh = p(`bias_hh_l${l}`);
        // As fused.ts: every recurrent bias folds into xg but the GRU's b_hn, which r multiplies.
        K.axpy(1, this.kind === 'gru' ? bHh.subarray(0, 2 * H) : bHh, bias);
        if (this.kind === 'gru') {
          bhn = K.alloc(H);
          K.copy(bHh.subarray(2 * H), bhn);
        }
      }
      const rb = this.kind === 'gruResetBefore';
      const hg = K.alloc(G);
      const isLstm = this.kind === 'lstm', isGru = this.kind === 'gru' || rb;
      this.layers.push({
        inSize,
        wIh: new PackedMatrix(p(`weight_ih_l${l}`), G, inSize, weights),
        wHh: new PackedMatrix(wHh, rb ? 2 * H : G, Hout, weights),
        wHn: rb ? new PackedMatrix(wHh, H, H, weights, 2 * H * H) : null,
        wHr: P > 0 ? new PackedMatrix(p(`weight_hr_l${l}`), P, H, weights) : null,
        bias, bhn, xg: K.alloc(G), hg, hgN: rb ? hg.subarray(2 * H) : null,
        h: K.alloc(Hout), hNext: K.alloc(isGru ? Hout : 0),
        c: isLstm ? K.alloc(H) : null, cNext: isLstm ? K.alloc(H) : null,
        side: (isLstm && P > 0) || isGru ? K.alloc(H) : null,
      });
    }
    this.xBuf = K.alloc(this.inputSize);

    const { table, embedding, vocab } = this.prepareEmbedding(opts, G, p('weight_ih_l0'));
    this.embedding = embedding;
    this.table = table;
    this.vocabSize = vocab;
  }

  private prepareEmbedding(opts: RecurrentStepperOptions, G: number, wIh0: Float32Array): { table: Float32Array | null; embedding: Float32Array | null; vocab: number } {
    const e = opts.embedding;
    if (e === undefined) return { table: null, embedding: null, vocab: 0 };
    const I = this.inputSize;
    const data = e instanceof Tensor ? e.data : e;
    const shapeOk = e instanceof Tensor ? e.ndim === 2 && e.shape[1] === I : data.length % I === 0;
    if (!shapeOk || data.length === 0) {
      throw new RecurError(`RecurrentStepper: embedding must be [V, inputSize=${I}], got ${e instanceof Tensor ? `shape [${e.shape.join(', ')}]` : `${data.length} values`}`);
    }
    const V = data.length / I;
    const K = kernels();
    const embedding = K.alloc(V * I);
    K.copy(data, embedding);
    const max = opts.maxTableFloats ?? DEFAULT_TABLE_FLOATS;
    if (!(V * G <= max)) return { table: null, embedding, vocab: V };
    // Precomputed in float32 from the original weights, whatever `weights` is: a lookup reads
    // one row per token, so int8 would save no time, only accuracy.
    const table = K.alloc(V * G);
    const l0 = this.layers[0]!;
    if (l0.bias) K.copyBlocks(l0.bias, 0, 0, table, 0, G, G, V, false);
    K.gemm(false, true, V, G, I, 1, embedding, I, wIh0, I, l0.bias ? 1 : 0, table, G);
    return { table, embedding, vocab: V };
  }

  /** Whether stepToken looks layer 0's input projection up in a precomputed table. */
  get hasTable(): boolean {
    return this.table !== null;
  }

  /** One timestep on input x [I]; returns the top layer's h [Hout] (valid until the next step). */
  step(x: Float32Array): Float32Array {
    if (x.length !== this.inputSize) {
      throw new RecurError(`RecurrentStepper.step: x has ${x.length} features, expected inputSize=${this.inputSize}`);
    }
    // Into backend memory first, so the kernels never take their copying path.
    this.xBuf.set(x);
    return this.run(this.xBuf, false);
  }

  /** One timestep on token `id` of the embedding given at construction. */
  stepToken(id: number): Float32Array {
    if (!this.embedding) throw new RecurError('RecurrentStepper.stepToken: build the stepper with { embedding } first');
    if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) {
      throw new RecurError(`RecurrentStepper.stepToken: id ${id} is not in [0, ${this.vocabSize})`);
    }
    if (this.table) {
      const G = this.layers[0]!.xg.length, xg = this.layers[0]!.xg, t = this.table, o = id * G;
      for (let j = 0; j < G; j++) xg[j] = t[o + j]!;
      return this.run(this.xBuf, true);
    }
    const I = this.inputSize, e = this.embedding, x = this.xBuf, o = id * I;
    for (let j = 0; j < I; j++) x[j] = e[o + j]!;
    return this.run(x, false);
  }

  private run(x0: Float32Array, haveXg0: boolean): Float32Array {
    const K = kernels(), H = this.hiddenSize;
    let x = x0;
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l]!;
      if (!(l === 0 && haveXg0)) {
        if (L.bias) K.copy(L.bias, L.xg);
        L.wIh.apply(x, L.xg, L.bias !== null);
      }
      const hp = L.h;
      switch (this.kind) {
        case 'rnnTanh':
        case 'rnnRelu':
          L.wHh.apply(hp, L.hg, false);
          K.rnnGatesForward(this.act, 1, H, L.xg, L.hg, L.h);
          break;
        case 'lstm': {
          L.wHh.apply(hp, L.hg, false);
          const m = L.wHr ? L.side! : L.h;
          K.lstmGatesForward(1, H, L.xg, L.hg, L.c!, L.xg, L.cNext!, m);
          if (L.wHr) L.wHr.apply(m, L.h, false);
          swapC(L);
          break;
        }
        case 'gru':
          L.wHh.apply(hp, L.hg, false);
          K.gruGatesForward(1, H, L.xg, L.hg, L.bhn, hp, L.xg, L.side!, L.hNext);
          swapH(L);
          break;
        case 'gruResetBefore':
          L.wHh.apply(hp, L.hg, false);
          K.gruResetBeforeGates(1, H, L.xg, L.hg, hp, L.xg, L.side!);
          L.wHn!.apply(L.side!, L.hgN!, false);
          K.gruResetBeforeOutput(1, H, L.xg, L.hg, hp, L.xg, L.hNext);
          swapH(L);
          break;
      }
      x = L.h;
    }
    return x;
  }

  /** A copy of the state: h [L·Hout] and, for LSTM, c [L·H]. */
  getState(): StepperState {
    const Hout = this.hiddenOut, H = this.hiddenSize;
    const h = new Float32Array(this.numLayers * Hout);
    this.layers.forEach((L, l) => h.set(L.h, l * Hout));
    if (this.kind !== 'lstm') return { h };
    const c = new Float32Array(this.numLayers * H);
    this.layers.forEach((L, l) => c.set(L.c!, l * H));
    return { h, c };
  }

  /**
   * Sets the state from flat arrays or tensors holding h_n [L, 1, Hout] (and c_n [L, 1, H] for
   * LSTM; zeros when omitted), e.g. the state a module's forward returned after a prompt.
   */
  setState(state: { h: Float32Array | Tensor; c?: Float32Array | Tensor | null }): void {
    const Hout = this.hiddenOut, H = this.hiddenSize, L = this.numLayers;
    const h = state.h instanceof Tensor ? state.h.data : state.h;
    const c = state.c instanceof Tensor ? state.c.data : state.c ?? null;
    if (h.length !== L * Hout) throw new RecurError(`RecurrentStepper.setState: h has ${h.length} values, expected numLayers·hidden = ${L}·${Hout}`);
    if (c && this.kind !== 'lstm') throw new RecurError('RecurrentStepper.setState: c is only for LSTM');
    if (c && c.length !== L * H) throw new RecurError(`RecurrentStepper.setState: c has ${c.length} values, expected numLayers·hiddenSize = ${L}·${H}`);
    this.layers.forEach((layer, l) => {
      for (let j = 0; j < Hout; j++) layer.h[j] = h[l * Hout + j]!;
      if (layer.c) for (let j = 0; j < H; j++) layer.c[j] = c ? c[l * H + j]! : 0;
    });
  }

  /** Zero state, as a module's forward without h0 / c0. */
  resetState(): void {
    for (const L of this.layers) {
      L.h.fill(0);
      L.c?.fill(0);
    }
  }
}
