/**
 * recur: recurrent sequence models for TypeScript.
 * `import { tensor, manualSeed, nn, optim, functional as F, io } from 'recur'`.
 */
export { Tensor, tensor, zeros, ones, full, zerosLike, arange, randn, uniform } from './tensor/tensor.js';
export type { Indices, NestedArray, TensorOptions } from './tensor/tensor.js';
export { Rng, manualSeed, globalRng } from './tensor/rng.js';
export type { RngState } from './tensor/rng.js';
export { RecurError } from './errors.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode.js';
export { gradcheck } from './autograd/gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './autograd/gradcheck.js';
export { kernels, setBackend, backendName, availableBackends, initWasm, reclaimMemory } from './kernels/index.js';
export type { WasmOptions, WasmKernels } from './kernels/index.js';
export * from './autograd/ops/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as F from './functional.js';
export * as functional from './functional.js';
export * as io from './io/index.js';
export * as text from './text/index.js';
export * as data from './data/index.js';
export * as decode from './decode/index.js';
export * as music from './music/index.js';
export * as audio from './audio/index.js';
export * as lm from './tasks/lm/browser.js';
export * as classify from './tasks/classify/browser.js';
export * as tag from './tasks/tag/browser.js';
export * as translate from './tasks/translate/browser.js';
export * as speech from './tasks/speech/browser.js';
export * as composer from './tasks/music/browser.js';
