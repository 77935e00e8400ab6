import type { SoftmaxKernels } from '../softmax-types.js';

/**
 * Reference softmax (contract: softmax-types.ts).
 */
export const softmaxJs: SoftmaxKernels = {
  softmax(x, rows, n, out, log) {
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let mx = -Infinity;
      for (let j = 0; j < n; j++) mx = Math.max(mx, x[o + j]!);
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(x[o + j]! - mx);
      if (log) {
        const lse = mx + Math.log(s);
        for (let j = 0; j < n; j++) out[o + j] = x[o + j]! - lse;
      } else {
        for (let j = 0; j < n; j++) out[o + j] = Math.exp(x[o + j]! - mx) / s;
      }
    }
  },

  softmaxBackward(y, gy, rows, n, gx, log) {
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let s = 0;
      if (log) {
        for (let j = 0; j < n; j++) s += gy[o + j]!;
        for (let j = 0; j < n; j++) gx[o + j]! += gy[o + j]! - Math.exp(y[o + j]!) * s;
      } else {
        for (let j = 0; j < n; j++) s += gy[o + j]! * y[o + j]!;
        for (let j = 0; j < n; j++) gx[o + j]! += y[o + j]! * (gy[o + j]! - s);
      }
    }
  },
};
