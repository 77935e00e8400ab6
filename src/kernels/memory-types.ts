/**
 * Storage and data movement: where tensors live, and kernels that only move (or add) values.
 * Conventions for every area are in types.ts.
 */
export interface MemoryKernels {
  /** Storage for a new tensor of n elements, zero-filled. Backends may place it in their own memory. */
  alloc(n: number): Float32Array;
  /**
   * Storage for n elements whose values are unspecified, as torch.empty: a reused block keeps
   * what it held. Only for arrays the caller writes whole before anything reads them (a gemm
   * output with beta 0, a copy's destination); everything else takes `alloc`. Freed and counted
   * as `alloc`'s arrays are. Backends whose new storage is zero anyway may return zeros.
   */
  empty(n: number): Float32Array;
  /**
   * Gives storage from `alloc` back now rather than when its array is garbage-collected. Only
   * for arrays nothing will touch again (autograd's consumed gradients, an op's own scratch and
   * caches). Anything else (a subarray, a plain array, an array of another backend, one already
   * freed) is ignored. A no-op where storage is ordinary JS memory.
   */
  free(a: Float32Array): void;

  fill(x: Float32Array, value: number): void;
  /** dst[i] = src[i] for i < src.length. */
  copy(src: Float32Array, dst: Float32Array): void;

  /** out[r, :] = table[idx[r], :] for rows of width d. */
  gatherRows(table: Float32Array, d: number, idx: Int32Array, out: Float32Array): void;
  /** table[idx[r], :] += src[r, :]. Repeated indices accumulate. */
  scatterAddRows(src: Float32Array, d: number, idx: Int32Array, table: Float32Array): void;

  /** count blocks of len: dst[dOff + c*dStride + j] (=|+=) src[sOff + c*sStride + j]. Slice and concat. */
  copyBlocks(src: Float32Array, sOff: number, sStride: number, dst: Float32Array, dOff: number, dStride: number,
    len: number, count: number, accumulate: boolean): void;
  /** x [outer, A, mid, B, inner] -> out [outer, B, mid, A, inner] (=|+=). Any transpose(d0, d1). */
  swapAxes(x: Float32Array, outer: number, A: number, mid: number, B: number, inner: number, out: Float32Array, accumulate: boolean): void;
}
