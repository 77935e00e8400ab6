// Entry point of the recur WebAssembly kernels. Every export takes byte pointers into the
// imported linear memory and lengths in elements; the TypeScript side owns allocation and
// argument checking (src/kernels/wasm/backend.ts).
export { gemm, gemmWorkBytes, packBPanels } from './gemm';
export {
  fillF32, axpy, scale, clamp, unary, unaryBackward, binary, sumToBroadcast, reduceSum, reduceMax,
  broadcastAxis, scatterArgmax, sumSquares, maxAbs, softmax, softmaxBackward, gatherRows,
  scatterAddRows, copyBlocks, swapAxes, where, whereBackward, layerNorm, layerNormBackward, adamStep,
} from './elementwise';
export {
  rnnGatesForward, rnnGatesBackward, lstmGatesForward, lstmGatesBackward, gruGatesForward, gruGatesBackward,
  gruResetBeforeGates, gruResetBeforeOutput, gruResetBeforeOutputBackward, gruResetBeforeGatesBackward,
  rmspropStep, adagradStep,
} from './rnn';
export { qgemv, qgemvWorkBytes } from './gemv-q';
export { bmv, bger } from './batched';
export { ctcForward, ctcBackward } from './ctc';

/** First byte after the module's static data: the JS allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}
