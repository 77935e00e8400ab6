import type { Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkChoice } from './checks.js';
import { RNNBase, type RecurrentInputs, type RecurrentOutputs, type RNNBaseOptions } from './rnn-base.js';

export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * Elman recurrent network, as torch.nn.RNN. For each layer and each step t:
 *
 *     h_t = act(x_t · W_ihᵀ + b_ih + h_{t-1} · W_hhᵀ + b_hh)        act = tanh or relu
 *
 * x_t is the input for layer 0 and the previous layer's output (both directions
 * concatenated) above it; with dropout > 0 that output is dropped out in training.
 *
 * | tensor | shape |
 * |---|---|
 * | input | [T, B, I] ([B, T, I] with batchFirst; [T, I] unbatched) |
 * | lengths (optional) | B whole numbers in [1, T], any order |
 * | h0 (optional) | [L·D, B, H] |
 * | output | [T, B, D·H] ([B, T, D·H] with batchFirst), zero past each length |
 * | h | [L·D, B, H], row l·D + d = layer l, direction d (0 forward, 1 reverse) |
 * | weight_ih_l{k}[_reverse] | [H, I] for k = 0, [H, D·H] above |
 * | weight_hh_l{k}[_reverse] | [H, H] |
 * | bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] | [H] |
 *
 * T steps, B batch, I = inputSize, H = hiddenSize, L = numLayers, D = 2 if bidirectional else 1.
 * Each layer-direction runs as one fused op over the whole sequence (see fused.ts).
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(opts: RNNOptions, rng?: Rng) {
    const nl = checkChoice('RNN', 'nonlinearity', opts?.nonlinearity ?? 'tanh', ['tanh', 'relu'] as const);
    super('RNN', nl === 'relu' ? 'rnnRelu' : 'rnnTanh', opts, 0);
    this.nonlinearity = nl;
    this.resetParameters(rng);
  }

  forward(input: Tensor, inputs: Omit<RecurrentInputs, 'c0'> = {}): RecurrentOutputs {
    const { output, h } = this.run(input, inputs);
    return { output, h };
  }
}
