import type { ReduceKernels } from '../reduce-types.js';

/**
 * Reference reductions (contract: reduce-types.ts).
 */
export const reduceJs: ReduceKernels = {
  reduce(op, x, outer, len, inner, out, argmax) {
    for (let o = 0; o < outer; o++) {
      const base = o * len * inner;
      for (let i = 0; i < inner; i++) {
        if (op === 'sum') {
          let s = 0;
          for (let l = 0; l < len; l++) s += x[base + l * inner + i]!;
          out[o * inner + i] = s;
        } else {
          let best = -Infinity, bi = 0;
          for (let l = 0; l < len; l++) {
            const v = x[base + l * inner + i]!;
            // NaN wins, as in PyTorch: a max over NaN is NaN.
            if (v > best || Number.isNaN(v)) { best = v; bi = l; if (Number.isNaN(v)) break; }
          }
          out[o * inner + i] = best;
          if (argmax) argmax[o * inner + i] = bi;
        }
      }
    }
  },

  broadcastAxis(gy, outer, len, inner, gx, alpha) {
    for (let o = 0; o < outer; o++) {
      for (let l = 0; l < len; l++) {
        const base = (o * len + l) * inner;
        for (let i = 0; i < inner; i++) gx[base + i]! += alpha * gy[o * inner + i]!;
      }
    }
  },

  scatterArgmax(gy, argmax, outer, len, inner, gx) {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const k = o * inner + i;
        gx[(o * len + argmax[k]!) * inner + i]! += gy[k]!;
      }
    }
  },

  sumSquares(x) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    return s;
  },

  maxAbs(x) {
    let m = 0;
    for (let i = 0; i < x.length; i++) {
      const v = Math.abs(x[i]!);
      if (v > m || Number.isNaN(v)) m = v;
    }
    return m;
  },
};
