import type { Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import { RNNBase, type RecurrentInputs, type RecurrentOutputs, type RNNBaseOptions } from './rnn-base.js';
import { RecurError } from '../../errors.js';
import { kernels } from '../../kernels/index.js';
import { globalRng } from '../../tensor/rng.js';

export interface LSTMOptions extends RNNBaseOptions {
  /** Project h to this size with weight_hr (0 = no projection, default). Must be < hiddenSize. */
  projSize?: number;
  /**
   * Initial forget-gate bias: bias_ih's f block is set to this and bias_hh's f block to 0, so
   * their sum (what the gate sees) is forgetBias. Unset = PyTorch's uniform init. 1 is the
   * usual choice (Jozefowicz et al. 2015; Keras unit_forget_bias).
   */
  forgetBias?: number;
}

export interface LSTMOutputs extends RecurrentOutputs {
  /** [L·D, B, H]: every layer-direction's final cell state (H even with projSize). */
  c: Tensor;
}

/**
 * Long short-term memory, as torch.nn.LSTM. For each layer and each step t:
 *
 *     i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
 *     f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
 *     g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
 *     o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
 *     c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
 *     h_t = o_t ⊙ tanh(c_t)                 with projSize: h_t = W_hr (o_t ⊙ tanh(c_t))
 *
 * weight_ih stacks (W_ii | W_if | W_ig | W_io) as row blocks — PyTorch's gate order i, f, g, o.
 *
 * | tensor | shape |
 * |---|---|
 * | input | [T, B, I] ([B, T, I] with batchFirst; [T, I] unbatched) |
 * | lengths (optional) | B whole numbers in [1, T], any order |
 * | h0 (optional) | [L·D, B, Hout] |
 * | c0 (optional) | [L·D, B, H] |
 * | output | [T, B, D·Hout] ([B, T, D·Hout] with batchFirst), zero past each length |
 * | h | [L·D, B, Hout], row l·D + d = layer l, direction d (0 forward, 1 reverse) |
 * | c | [L·D, B, H] |
 * | weight_ih_l{k}[_reverse] | [4H, I] for k = 0, [4H, D·Hout] above |
 * | weight_hh_l{k}[_reverse] | [4H, Hout] |
 * | bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] | [4H] |
 * | weight_hr_l{k}[_reverse] (projSize > 0) | [P, H] |
 *
 * H = hiddenSize, P = projSize, Hout = P if P > 0 else H, L = numLayers, D = 2 if bidirectional.
 */
export class LSTM extends RNNBase {
  readonly forgetBias: number | undefined;

  constructor(opts: LSTMOptions, rng?: Rng) {
    super('LSTM', 'lstm', opts, opts?.projSize ?? 0);
    if (opts.forgetBias !== undefined && !Number.isFinite(opts.forgetBias)) {
      throw new RecurError(`LSTM: forgetBias must be a finite number, got ${String(opts.forgetBias)}`);
    }
    if (opts.forgetBias !== undefined && !this.bias) throw new RecurError('LSTM: forgetBias needs bias=true');
    this.forgetBias = opts.forgetBias;
    this.resetParameters(rng);
  }

  override resetParameters(rng: Rng = globalRng): void {
    super.resetParameters(rng);
    if (this.forgetBias === undefined) return;
    const H = this.hiddenSize;
    for (const dirs of this.cells) {
      for (const w of dirs) {
        kernels().fill(w.bIh!.data.subarray(H, 2 * H), this.forgetBias);
        kernels().fill(w.bHh!.data.subarray(H, 2 * H), 0);
      }
    }
  }

  forward(input: Tensor, inputs: RecurrentInputs = {}): LSTMOutputs {
    const { output, h, c } = this.run(input, inputs);
    return { output, h, c: c! };
  }
}

