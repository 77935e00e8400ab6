import { RecurError } from '../errors.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { zeros, type Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { conv1d, conv1dChannelsLast, conv1dLength } from './ops/conv1d.js';

export interface Conv1dModuleOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
  rng?: Rng;
}

/**
 * 1-D convolution over time, as `torch.nn.Conv1d` (groups 1, dilation 1, zero padding):
 *
 *     y[b, o, t] = bias[o] + Σ_{c, k} weight[o, c, k] · x[b, c, t·stride + k − padding]
 *
 * | tensor | shape |
 * |---|---|
 * | input | `[B, Cin, T]` (`forward`) or `[B, T, Cin]` (`forwardChannelsLast`) |
 * | output | `[B, Cout, T']` / `[B, T', Cout]`, T' = ⌊(T + 2·padding − K)/stride⌋ + 1 |
 * | `weight` | `[Cout, Cin, K]` |
 * | `bias` | `[Cout]` |
 *
 * Initialisation (PyTorch's): weight and bias from U(−k, k), k = 1/√(Cin·K), weights first.
 */
export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: Conv1dModuleOptions = {}) {
    super();
    for (const [v, what] of [[inChannels, 'inChannels'], [outChannels, 'outChannels'], [kernelSize, 'kernelSize']] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RecurError(`Conv1d: ${what} must be a whole number >= 1, got ${v}`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    const rng = opts.rng ?? globalRng;
    const k = 1 / Math.sqrt(inChannels * kernelSize);
    this.weight = this.param('weight', zeros([outChannels, inChannels, kernelSize]));
    rng.fillUniform(this.weight.data, -k, k);
    if (opts.bias ?? true) {
      this.bias = this.param('bias', zeros([outChannels]));
      rng.fillUniform(this.bias.data, -k, k);
    } else {
      this.bias = null;
    }
  }

  /** Output length for an input of T steps. */
  outputLength(T: number): number {
    return conv1dLength(T, this.kernelSize, this.stride, this.padding);
  }

  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  forwardChannelsLast(x: Tensor): Tensor {
    return conv1dChannelsLast(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }
}
