export { crossEntropy, nllLoss } from './cross-entropy.js';
export type { CrossEntropyOptions, NllLossOptions } from './cross-entropy.js';
export { mseLoss } from './mse.js';
export { binaryCrossEntropyWithLogits } from './bce.js';
export type { BceWithLogitsOptions } from './bce.js';
export type { Reduction } from './reduction.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, BCEWithLogitsLoss, CTCLoss } from './modules.js';
export { ctcLoss } from './ctc.js';
export type { CtcLossOptions } from './ctc.js';
