/** Optimizers, gradient clipping and learning-rate schedules: `import { optim } from 'recur'`. */
export { Optimizer } from './optimizer.js';
export type { BaseHyper, ParamGroup, ParamsInput, ParamState, OptimizerStateDict } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions, AdamHyper } from './adam.js';
export { RMSprop } from './rmsprop.js';
export type { RMSpropOptions } from './rmsprop.js';
export { Adagrad } from './adagrad.js';
export type { AdagradOptions } from './adagrad.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export type { ClipGradNormOptions } from './clip.js';
export { LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau } from './lr-scheduler.js';
export type { SchedulerStateDict, ReduceLROnPlateauOptions } from './lr-scheduler.js';
export { optimizerByName, OPTIMIZERS } from './by-name.js';
export type { OptimizerName } from './by-name.js';
