/** Layers, losses and the Module base: `import { nn } from 'recur'`. */
export { Module } from './module.js';
export type { StateDict } from './module.js';
export { Linear } from './linear.js';
export type { LinearOptions } from './linear.js';
export { Embedding } from './embedding.js';
export type { EmbeddingOptions } from './embedding.js';
export { Dropout, LayerNorm, Tanh, ReLU, Sigmoid, Identity, Softmax, LogSoftmax } from './layers.js';
export type { LayerNormOptions } from './layers.js';
export { Conv1d } from './conv.js';
export type { Conv1dModuleOptions } from './conv.js';
export { Sequential } from './sequential.js';
export type { Layer } from './sequential.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, BCEWithLogitsLoss, CTCLoss } from './losses/index.js';
export type { CrossEntropyOptions, NllLossOptions, BceWithLogitsOptions, CtcLossOptions, Reduction } from './losses/index.js';

// ---- Recurrent layers (owned by the RNN engineer) -------------------------------------------
export * from './rnn/index.js';
// ----------------------------------------------------------------------------------------------
export { CRF, type CRFOptions } from './crf.js';
export { AttentionPooling, meanPool, maxPool, lastStatePool, POOLING_KINDS, type PoolingKind } from './pooling.js';
export { Attention, DotAttention, GeneralAttention, AdditiveAttention, paddingMask, type AttentionScore, type AttentionMemory, type AttentionOutput, type AttentionOptions } from './attention.js';
