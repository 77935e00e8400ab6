// Entry point of the recur WebAssembly kernels, one file per area (the same names as the
// reference in src/kernels/js/). Every export takes byte pointers into the imported linear
// memory and lengths in elements; the TypeScript side owns allocation and argument checking
// (src/kernels/wasm/backend.ts). src/kernels/wasm/exports.ts mirrors this list.
export { fillF32, gatherRows, scatterAddRows, copyBlocks, swapAxes } from './memory';
export { axpy, scale, clamp, unary, unaryBackward, binary, sumToBroadcast, where, whereBackward } from './elementwise';
export { reduceSum, reduceMax, broadcastAxis, scatterArgmax, sumSquares, maxAbs } from './reduce';
export { softmax, softmaxBackward } from './softmax';
export { layerNorm, layerNormBackward } from './norm';
export { adamStep, rmspropStep, adagradStep } from './optim';
export { gemm, gemmWorkBytes, packBPanels } from './gemm';
export {
  rnnGatesForward, rnnGatesBackward, lstmGatesForward, lstmGatesBackward, gruGatesForward, gruGatesBackward,
  gruResetBeforeGates, gruResetBeforeOutput, gruResetBeforeOutputBackward, gruResetBeforeGatesBackward,
} from './rnn';
export { bmv, bger } from './batched';
export { qgemv, qgemvWorkBytes } from './qgemv';

/** First byte after the module's static data: the JS allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}
