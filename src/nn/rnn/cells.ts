import { RecurError } from '../../errors.js';
import { allocStorage } from '../../kernels/index.js';
import { shapeStr } from '../../tensor/shape.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { checkChoice, checkInt, checkState } from './checks.js';
import { gateCount, rnnDirection, type FusedCellKind, type CellWeights } from './fused.js';
import { uniform_ } from './init.js';
import { makePacking, part } from './packing.js';

export interface CellOptions {
  inputSize: number;
  hiddenSize: number;
  /** Use bias_ih / bias_hh. Default true. */
  bias?: boolean;
}

/**
 * One step of a recurrent layer, for loops the caller writes (decoders, attention). Same
 * equations, parameter names (weight_ih, weight_hh, bias_ih, bias_hh) and init as the
 * PyTorch cells; runs the same fused kernels as the layers with T = 1.
 */
abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  protected readonly w: CellWeights;

  protected constructor(protected readonly cellName: string, protected readonly kind: FusedCellKind, opts: CellOptions, rng: Rng) {
    super();
    if (typeof opts !== 'object' || opts === null) throw new RecurError(`${cellName}: expected an options object { inputSize, hiddenSize }`);
    this.inputSize = checkInt(cellName, 'inputSize', opts.inputSize, 1);
    this.hiddenSize = checkInt(cellName, 'hiddenSize', opts.hiddenSize, 1);
    this.bias = opts.bias ?? true;
    const H = this.hiddenSize, G = gateCount(kind) * H;
    const z = (shape: number[]): Tensor => new Tensor(allocStorage(shape.reduce((a, b) => a * b, 1)), shape);
    this.w = {
      wIh: this.param('weight_ih', z([G, this.inputSize])),
      wHh: this.param('weight_hh', z([G, H])),
      bIh: this.bias ? this.param('bias_ih', z([G])) : null,
      bHh: this.bias ? this.param('bias_hh', z([G])) : null,
      wHr: null,
    };
    this.resetParameters(rng);
  }

  /** U(-1/√H, 1/√H) for every parameter, as PyTorch. */
  resetParameters(rng: Rng = globalRng): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, bound, rng);
  }

  /** Runs one step; returns the combined fused output and whether the input was unbatched. */
  protected step(input: Tensor, h: Tensor | undefined, c: Tensor | undefined): { comb: Tensor; B: number; unbatched: boolean } {
    const name = this.cellName;
    if (!(input instanceof Tensor)) throw new RecurError(`${name}: input must be a Tensor`);
    if (input.ndim !== 1 && input.ndim !== 2) {
      throw new RecurError(`${name}: input must be 2-D [B, I] or 1-D unbatched [I], got shape ${shapeStr(input.shape)}`);
    }
    const unbatched = input.ndim === 1;
    const B = unbatched ? 1 : input.shape[0]!;
    const I = input.shape[input.ndim - 1]!;
    if (I !== this.inputSize) {
      throw new RecurError(`${name}: input has ${I} features, expected inputSize=${this.inputSize} (input shape ${shapeStr(input.shape)})`);
    }
    if (B === 0) throw new RecurError(`${name}: input shape ${shapeStr(input.shape)} has an empty batch`);
    const H = this.hiddenSize;
    const sshape = unbatched ? [H] : [B, H];
    if (h !== undefined) checkState(name, 'hx', h, sshape, unbatched ? 'hidden' : 'batch, hidden');
    if (c !== undefined) checkState(name, 'cx', c, sshape, unbatched ? 'hidden' : 'batch, hidden');
    const x = unbatched ? input.reshape([1, I]) : input;
    const hx = h && unbatched ? h.reshape([1, H]) : h ?? null;
    const cx = c && unbatched ? c.reshape([1, H]) : c ?? null;
    return { comb: rnnDirection(this.kind, H, 0, false, makePacking(B, 1, null), x, hx, cx, this.w), B, unbatched };
  }
}

export interface RNNCellOptions extends CellOptions {
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * h' = act(x · W_ihᵀ + b_ih + h · W_hhᵀ + b_hh), as torch.nn.RNNCell.
 *
 * | tensor | shape |
 * |---|---|
 * | input | [B, I] (or [I]) |
 * | hx (optional, default zeros) | [B, H] (or [H]) |
 * | returns h' | [B, H] (or [H]) |
 * | weight_ih / weight_hh | [H, I] / [H, H] |
 * | bias_ih / bias_hh | [H] |
 */
export class RNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(opts: RNNCellOptions, rng: Rng = globalRng) {
    const nl = checkChoice('RNNCell', 'nonlinearity', opts?.nonlinearity ?? 'tanh', ['tanh', 'relu'] as const);
    super('RNNCell', nl === 'relu' ? 'rnnRelu' : 'rnnTanh', opts, rng);
    this.nonlinearity = nl;
  }

  forward(input: Tensor, hx?: Tensor): Tensor {
    const { comb, B, unbatched } = this.step(input, hx, undefined);
    const H = this.hiddenSize;
    return part(comb, 0, unbatched ? [H] : [B, H]);
  }
}

/**
 * One LSTM step, as torch.nn.LSTMCell (gate order i, f, g, o):
 * i, f, g, o = σ, σ, tanh, σ of (x · W_ihᵀ + b_ih + h · W_hhᵀ + b_hh);
 * c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c').
 *
 * | tensor | shape |
 * |---|---|
 * | input | [B, I] (or [I]) |
 * | state.h, state.c (optional, default zeros) | [B, H] (or [H]) |
 * | returns { h, c } | [B, H] each (or [H]) |
 * | weight_ih / weight_hh | [4H, I] / [4H, H] |
 * | bias_ih / bias_hh | [4H] |
 */
export class LSTMCell extends CellBase {
  constructor(opts: CellOptions, rng: Rng = globalRng) {
    super('LSTMCell', 'lstm', opts, rng);
  }

  forward(input: Tensor, state?: { h: Tensor; c: Tensor }): { h: Tensor; c: Tensor } {
    const { comb, B, unbatched } = this.step(input, state?.h, state?.c);
    const H = this.hiddenSize, shape = unbatched ? [H] : [B, H];
    // Combined layout: Y [B, H] | h_n [B, H] | c_n [B, H]; with one step Y is h'.
    return { h: part(comb, 0, shape), c: part(comb, 2 * B * H, shape) };
  }
}

export interface GRUCellOptions extends CellOptions {
  /** false: Keras 2 / TF.js form, reset gate applied before the recurrent matmul. Default true. */
  resetAfter?: boolean;
}

/**
 * One GRU step, as torch.nn.GRUCell (gate order r, z, n):
 * r, z = σ(x · W_ihᵀ + b_ih + h · W_hhᵀ + b_hh) (their blocks);
 * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = (1 - z) ⊙ n + z ⊙ h.
 * With resetAfter false: n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn).
 *
 * | tensor | shape |
 * |---|---|
 * | input | [B, I] (or [I]) |
 * | hx (optional, default zeros) | [B, H] (or [H]) |
 * | returns h' | [B, H] (or [H]) |
 * | weight_ih / weight_hh | [3H, I] / [3H, H] |
 * | bias_ih / bias_hh | [3H] |
 */
export class GRUCell extends CellBase {
  readonly resetAfter: boolean;

  constructor(opts: GRUCellOptions, rng: Rng = globalRng) {
    const resetAfter = opts?.resetAfter ?? true;
    super('GRUCell', resetAfter ? 'gru' : 'gruResetBefore', opts, rng);
    this.resetAfter = resetAfter;
  }

  forward(input: Tensor, hx?: Tensor): Tensor {
    const { comb, B, unbatched } = this.step(input, hx, undefined);
    const H = this.hiddenSize;
    return part(comb, 0, unbatched ? [H] : [B, H]);
  }
}
