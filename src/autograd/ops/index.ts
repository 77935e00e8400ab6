export { add, sub, mul, div, neg, exp, log, tanh, sigmoid, relu, sqrt, square, abs } from './elementwise.js';
export { matmul, linear } from './matmul.js';
export { sum, mean, max, argmax } from './reduce.js';
export { reshape, unsqueeze, squeeze, transpose, slice, concat, stack } from './shape.js';
export { softmax, logSoftmax } from './softmax.js';
export { indexSelect, pick, where, maskedFill } from './indexing.js';
export { dropout } from './dropout.js';
export { layerNorm } from './layernorm.js';
