/**
 * Every differentiable function in one namespace, as `torch.nn.functional`:
 * `import { functional as F } from 'recur'; F.tanh(x); F.crossEntropy(logits, targets)`.
 */
export * from './autograd/ops/index.js';
export { embedding, softplus, conv1d, conv1dChannelsLast, unfold1d } from './nn/ops/index.js';
export { crossEntropy, nllLoss, mseLoss, binaryCrossEntropyWithLogits, ctcLoss } from './nn/losses/index.js';
export type { CrossEntropyOptions, NllLossOptions, BceWithLogitsOptions, CtcLossOptions, Reduction } from './nn/losses/index.js';
