import type { Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import { RNNBase, type RecurrentInputs, type RecurrentOutputs, type RNNBaseOptions } from './rnn-base.js';

export interface GRUOptions extends RNNBaseOptions {
  /**
   * true (default): the reset gate multiplies the recurrent projection AFTER the matmul, as
   * PyTorch, cuDNN and Keras 3 (reset_after=True). false: the Keras 2 / TensorFlow.js form
   * reset_after=False, where it multiplies h BEFORE the matmul; use it to import such models.
   */
  resetAfter?: boolean;
}

/**
 * Gated recurrent unit, as torch.nn.GRU. For each layer and each step t:
 *
 *     r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
 *     z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
 *     n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))       resetAfter = true
 *     n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)       resetAfter = false
 *     h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
 *
 * weight_ih stacks (W_ir | W_iz | W_in) as row blocks — PyTorch's gate order r, z, n. For a
 * Keras 2 model with one bias vector, load it into bias_ih and zeros into bias_hh.
 *
 * | tensor | shape |
 * |---|---|
 * | input | [T, B, I] ([B, T, I] with batchFirst; [T, I] unbatched) |
 * | lengths (optional) | B whole numbers in [1, T], any order |
 * | h0 (optional) | [L·D, B, H] |
 * | output | [T, B, D·H] ([B, T, D·H] with batchFirst), zero past each length |
 * | h | [L·D, B, H], row l·D + d = layer l, direction d (0 forward, 1 reverse) |
 * | weight_ih_l{k}[_reverse] | [3H, I] for k = 0, [3H, D·H] above |
 * | weight_hh_l{k}[_reverse] | [3H, H] |
 * | bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] | [3H] |
 */
export class GRU extends RNNBase {
  readonly resetAfter: boolean;

  constructor(opts: GRUOptions, rng?: Rng) {
    const resetAfter = opts?.resetAfter ?? true;
    super('GRU', resetAfter ? 'gru' : 'gruResetBefore', opts, 0);
    this.resetAfter = resetAfter;
    this.resetParameters(rng);
  }

  forward(input: Tensor, inputs: Omit<RecurrentInputs, 'c0'> = {}): RecurrentOutputs {
    const { output, h } = this.run(input, inputs);
    return { output, h };
  }
}
