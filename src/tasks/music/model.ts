import { add, linear, mul, sigmoid } from '../../autograd/ops/index.js';
import { RecurError } from '../../errors.js';
import { Dropout, GRU, Linear, LSTM, RNN } from '../../nn/index.js';
import { Module } from '../../nn/module.js';
import { globalRng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import { KEYS } from '../../music/pianoroll.js';
import type { CellKind } from '../../nn/index.js';

/** 'bernoulli': one independent sigmoid per key; 'made': autoregressive over the keys of a frame. */
export const ROLL_OUTPUTS = ['bernoulli', 'made'] as const;
export type RollOutput = (typeof ROLL_OUTPUTS)[number];

export interface PianoRollModelConfig {
  hiddenSize: number;
  numLayers: number;
  cell: CellKind;
  dropout: number;
  output: RollOutput;
  /** Hidden units of the MADE output layer. */
  madeHidden: number;
}

export interface RollState {
  h: Tensor;
  c?: Tensor;
}

/**
 * Polyphonic piano-roll model (Boulanger-Lewandowski et al. 2012): an RNN/LSTM/GRU reads the
 * previous frame and predicts the 88 keys of the next one.
 *
 *     h_t = RNN(v_{t-1}, h_{t-1})                     v_{-1} = 0
 *     bernoulli:  p(v_t,k = 1) = σ(W_o h_t + b_o)_k    (keys independent given h_t)
 *     made:       p(v_t,k = 1 | v_t,<k) = σ(b(h_t)_k + (V ⊙ M_V) σ(c(h_t) + (W ⊙ M_W) v_t)_k + (D ⊙ M_D) v_t)_k)
 *
 * The 'made' head is a MADE layer (Germain et al. 2015) over the keys in pitch order, its
 * biases conditioned on h_t as RNN-NADE conditions NADE's: hidden unit u has degree
 * m(u) = u mod 87 and sees keys j <= m(u) (M_W); key k sees units with m(u) < k (M_V) and keys
 * j < k directly (M_D). Key k's logit therefore depends on h_t and the lower keys only, and the
 * loss of a frame is the exact NLL of the joint -log p(v_t | h_t), from one parallel pass.
 *
 * | input  `prev`   | [T, B, 88] previous frames (0/1)  |
 * | input  `frames` | [T, B, 88] target frames (made only: teacher forcing) |
 * | logits          | [T*B, 88]                         |
 * | state           | h, c: [numLayers, B, H]           |
 */
export class PianoRollModel extends Module {
  readonly config: PianoRollModelConfig;
  readonly rnn: LSTM | GRU | RNN;
  readonly drop: Dropout;
  readonly out: Linear;
  readonly condHidden: Linear | null = null;
  readonly inHidden: Tensor | null = null;
  readonly hiddenOut: Tensor | null = null;
  readonly direct: Tensor | null = null;
  /** Masks M_W [Hm, 88], M_V [88, Hm], M_D [88, 88]: constants, rebuilt from the config. */
  private readonly masks: { w: Tensor; v: Tensor; d: Tensor } | null = null;

  constructor(config: PianoRollModelConfig) {
    super();
    const c = (this.config = { ...config });
    if (!['lstm', 'gru', 'rnn'].includes(c.cell)) throw new RecurError(`piano-roll model: cell must be lstm, gru or rnn, got '${String(c.cell)}'`);
    if (!(ROLL_OUTPUTS as readonly string[]).includes(c.output)) throw new RecurError(`piano-roll model: output must be ${ROLL_OUTPUTS.join(' or ')}, got '${String(c.output)}'`);
    const opts = { inputSize: KEYS, hiddenSize: c.hiddenSize, numLayers: c.numLayers, dropout: c.numLayers > 1 ? c.dropout : 0 };
    this.rnn = this.module('rnn', c.cell === 'lstm' ? new LSTM(opts) : c.cell === 'gru' ? new GRU(opts) : new RNN(opts));
    this.drop = this.module('drop', new Dropout(c.dropout));
    this.out = this.module('out', new Linear(c.hiddenSize, KEYS));
    if (c.output === 'made') {
      const Hm = c.madeHidden;
      if (!(Number.isInteger(Hm) && Hm >= 1)) throw new RecurError(`piano-roll model: madeHidden must be a whole number >= 1, got ${Hm}`);
      this.condHidden = this.module('cond_hidden', new Linear(c.hiddenSize, Hm));
      this.inHidden = this.param('in_hidden', uniform([Hm, KEYS], KEYS));
      this.hiddenOut = this.param('hidden_out', uniform([KEYS, Hm], Hm));
      this.direct = this.param('direct', uniform([KEYS, KEYS], KEYS));
      this.masks = madeMasks(Hm);
    }
  }

  /** The recurrent stack over previous frames [T, B, 88] -> h [T*B, H] (after dropout) and the final state. */
  run(prev: Tensor, state: RollState | null, lengths?: ArrayLike<number>): { h: Tensor; state: RollState } {
    const [T, B, K] = prev.shape as [number, number, number];
    if (prev.ndim !== 3 || K !== KEYS) throw new RecurError(`PianoRollModel: input has shape [${prev.shape.join(', ')}], expected [T, B, ${KEYS}]`);
    const out = this.rnn.forward(prev, { ...(state ? { h0: state.h, ...(state.c ? { c0: state.c } : {}) } : {}), ...(lengths ? { lengths } : {}) });
    const h = this.drop.forward(out.output).reshape([T * B, this.config.hiddenSize]);
    const c = 'c' in out ? (out as { c?: Tensor | null }).c : null;
    return { h, state: { h: out.h, ...(c ? { c } : {}) } };
  }

  /** Logits [N, 88] from h [N, H]; 'made' also reads the target frames [N, 88] (teacher forcing). */
  logits(h: Tensor, frames: Tensor | null): Tensor {
    const logits = this.out.forward(h);
    if (!this.masks) return logits;
    const N = h.shape[0]!;
    if (!frames || frames.size !== N * KEYS) throw new RecurError(`PianoRollModel: the 'made' output needs the target frames [${N}, ${KEYS}] for teacher forcing`);
    const v = frames.reshape([N, KEYS]);
    const a = sigmoid(add(this.condHidden!.forward(h), linear(v, mul(this.inHidden!, this.masks.w))));
    return add(add(logits, linear(a, mul(this.hiddenOut!, this.masks.v))), linear(v, mul(this.direct!, this.masks.d)));
  }

  /** Logits of every frame: prev (and frames, for 'made') [T, B, 88] -> [T*B, 88]. */
  forward(prev: Tensor, frames: Tensor | null, state: RollState | null, lengths?: ArrayLike<number>): { logits: Tensor; state: RollState } {
    const r = this.run(prev, state, lengths);
    return { logits: this.logits(r.h, frames), state: r.state };
  }

  /** What the key sampler needs from h [N, H]: bias logits W_o h + b_o [N*88] and, for 'made', c(h) [N*Hm]. */
  conditioning(h: Tensor): { bias: Float32Array; hidden: Float32Array | null } {
    return { bias: this.out.forward(h).data, hidden: this.condHidden ? this.condHidden.forward(h).data : null };
  }

  /**
   * The per-frame sampler of the output layer: given h_t's conditioning (one frame), draws (or
   * with `greedy`, thresholds at 0.5) the 88 keys. Bernoulli keys are independent; MADE keys
   * are drawn in pitch order, each from its conditional given the keys already drawn.
   */
  frameSampler(): FrameSampler {
    return new FrameSampler(this);
  }

  /** Masked weights of the MADE head as plain arrays (for the key-by-key sampler). */
  madeWeights(): { Hm: number; w: Float32Array; v: Float32Array; d: Float32Array } | null {
    if (!this.masks) return null;
    const m = (p: Tensor, mask: Tensor): Float32Array => Float32Array.from(p.data, (x, i) => x * mask.data[i]!);
    return { Hm: this.config.madeHidden, w: m(this.inHidden!, this.masks.w), v: m(this.hiddenOut!, this.masks.v), d: m(this.direct!, this.masks.d) };
  }
}

function uniform(shape: number[], fanIn: number): Tensor {
  const t = new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  const r = 1 / Math.sqrt(fanIn);
  globalRng.fillUniform(t.data, -r, r);
  return t;
}

/** MADE connectivity for keys in pitch order (see PianoRollModel). */
export function madeMasks(Hm: number): { w: Tensor; v: Tensor; d: Tensor } {
  const w = new Float32Array(Hm * KEYS), v = new Float32Array(KEYS * Hm), d = new Float32Array(KEYS * KEYS);
  for (let u = 0; u < Hm; u++) {
    const m = u % (KEYS - 1);
    for (let j = 0; j < KEYS; j++) w[u * KEYS + j] = j <= m ? 1 : 0;
    for (let k = 0; k < KEYS; k++) v[k * Hm + u] = m < k ? 1 : 0;
  }
  for (let k = 0; k < KEYS; k++) for (let j = 0; j < k; j++) d[k * KEYS + j] = 1;
  return { w: new Tensor(w, [Hm, KEYS]), v: new Tensor(v, [KEYS, Hm]), d: new Tensor(d, [KEYS, KEYS]) };
}

/**
 * Draws one frame from the output layer. `cond` is [88 + Hm] per frame: the bias logits
 * W_o h + b_o, then (made) c(h). Plain loops: 88 keys x Hm units per frame is small next to
 * the recurrent step that produced h.
 */
export class FrameSampler {
  private readonly made: ReturnType<PianoRollModel['madeWeights']>;

  constructor(model: PianoRollModel) {
    this.made = model.madeWeights();
  }

  /**
   * bias [88]: W_o h + b_o; hidden [Hm]: c(h) (made only). u(k) gives a uniform draw per key,
   * or null for greedy (p > 0.5). Temperature divides every logit. Returns the frame and the
   * log-probability of it under the (untempered) model.
   */
  sample(bias: ArrayLike<number>, hidden: ArrayLike<number> | null, temperature: number, u: (() => number) | null): { frame: Uint8Array; logProb: number } {
    const frame = new Uint8Array(KEYS);
    let logProb = 0;
    const made = this.made;
    const a = made ? Float64Array.from(hidden!) : null;
    for (let k = 0; k < KEYS; k++) {
      let logit = bias[k]!;
      if (made && a) {
        const Hm = made.Hm;
        for (let q = 0; q < Hm; q++) logit += made.v[k * Hm + q]! / (1 + Math.exp(-a[q]!));
        for (let j = 0; j < k; j++) if (frame[j]) logit += made.d[k * KEYS + j]!;
      }
      const p = 1 / (1 + Math.exp(-logit / Math.max(temperature, 1e-6)));
      const on = u ? u() < p : p > 0.5;
      frame[k] = on ? 1 : 0;
      logProb += on ? -softplus(-logit) : -softplus(logit);
      if (made && a && on) for (let q = 0; q < made.Hm; q++) a[q]! += made.w[q * KEYS + k]!;
    }
    return { frame, logProb };
  }
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
