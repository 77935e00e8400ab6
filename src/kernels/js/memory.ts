import type { MemoryKernels } from '../memory-types.js';

/**
 * Reference storage and data movement (contract: memory-types.ts). Storage is ordinary JS memory.
 */
export const memoryJs: MemoryKernels = {
  alloc: (n) => new Float32Array(n),
  empty: (n) => new Float32Array(n),

  free: () => {},

  fill(x, value) {
    x.fill(value);
  },

  copy(src, dst) {
    dst.set(src);
  },

  gatherRows(table, d, idx, out) {
    for (let r = 0; r < idx.length; r++) {
      const src = idx[r]! * d, dst = r * d;
      for (let j = 0; j < d; j++) out[dst + j] = table[src + j]!;
    }
  },

  scatterAddRows(src, d, idx, table) {
    for (let r = 0; r < idx.length; r++) {
      const dst = idx[r]! * d, s = r * d;
      for (let j = 0; j < d; j++) table[dst + j]! += src[s + j]!;
    }
  },

  copyBlocks(src, sOff, sStride, dst, dOff, dStride, len, count, accumulate) {
    for (let c = 0; c < count; c++) {
      const s = sOff + c * sStride, d = dOff + c * dStride;
      if (accumulate) for (let j = 0; j < len; j++) dst[d + j]! += src[s + j]!;
      else for (let j = 0; j < len; j++) dst[d + j] = src[s + j]!;
    }
  },

  swapAxes(x, outer, A, mid, B, inner, out, accumulate) {
    for (let o = 0; o < outer; o++)
      for (let a = 0; a < A; a++)
        for (let m = 0; m < mid; m++)
          for (let b = 0; b < B; b++) {
            const s = ((((o * A + a) * mid + m) * B + b) * inner);
            const d = ((((o * B + b) * mid + m) * A + a) * inner);
            if (accumulate) for (let i = 0; i < inner; i++) out[d + i]! += x[s + i]!;
            else for (let i = 0; i < inner; i++) out[d + i] = x[s + i]!;
          }
  },
};
