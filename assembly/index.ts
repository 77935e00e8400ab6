// Entry point of the recur WebAssembly kernels. Every export takes byte pointers into the
// (imported, shared) linear memory; the TypeScript side owns allocation (src/kernels/wasm).
export { gemm, gemmWorkBytes } from './gemm';

/** First byte after the module's static data: the JS allocator starts here. */
export function heapBase(): usize {
  return __heap_base;
}
