import type { Tensor, Indices } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { binaryCrossEntropyWithLogits, type BceWithLogitsOptions } from './bce.js';
import { crossEntropy, nllLoss, type CrossEntropyOptions, type NllLossOptions } from './cross-entropy.js';
import { ctcLoss, type CtcLossOptions } from './ctc.js';
import { mseLoss } from './mse.js';
import type { Reduction } from './reduction.js';

/**
 * Module form of {@link crossEntropy}, as `torch.nn.CrossEntropyLoss`. A class `weight` is
 * registered as a buffer (saved in the state dict under `weight`, as PyTorch does).
 */
export class CrossEntropyLoss extends Module {
  constructor(readonly opts: CrossEntropyOptions = {}) {
    super();
    if (opts.weight) this.buffer('weight', opts.weight);
  }
  forward(input: Tensor, target: Indices | Tensor): Tensor {
    return crossEntropy(input, target, this.opts);
  }
}

/** Module form of {@link nllLoss}, as `torch.nn.NLLLoss`. */
export class NLLLoss extends Module {
  constructor(readonly opts: NllLossOptions = {}) {
    super();
    if (opts.weight) this.buffer('weight', opts.weight);
  }
  forward(input: Tensor, target: Indices): Tensor {
    return nllLoss(input, target, this.opts);
  }
}

/** Module form of {@link mseLoss}, as `torch.nn.MSELoss`. */
export class MSELoss extends Module {
  constructor(readonly opts: { reduction?: Reduction } = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.opts);
  }
}

/** Module form of {@link binaryCrossEntropyWithLogits}, as `torch.nn.BCEWithLogitsLoss`. */
export class BCEWithLogitsLoss extends Module {
  constructor(readonly opts: BceWithLogitsOptions = {}) {
    super();
    if (opts.weight) this.buffer('weight', opts.weight);
    if (opts.posWeight) this.buffer('pos_weight', opts.posWeight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, this.opts);
  }
}

/** Module form of {@link ctcLoss}, as `torch.nn.CTCLoss`. */
export class CTCLoss extends Module {
  constructor(readonly opts: CtcLossOptions = {}) {
    super();
  }
  forward(logProbs: Tensor, targets: Indices, inputLengths: Indices, targetLengths: Indices): Tensor {
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, this.opts);
  }
}
