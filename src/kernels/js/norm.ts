import type { NormKernels } from '../norm-types.js';

/**
 * Reference layer norm (contract: norm-types.ts).
 */
export const normJs: NormKernels = {
  layerNorm(x, rows, n, gamma, beta, eps, out, mean, rstd) {
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let m = 0;
      for (let j = 0; j < n; j++) m += x[o + j]!;
      m /= n;
      let v = 0;
      for (let j = 0; j < n; j++) { const d = x[o + j]! - m; v += d * d; }
      const rs = 1 / Math.sqrt(v / n + eps);
      mean[r] = m;
      rstd[r] = rs;
      for (let j = 0; j < n; j++) {
        const xh = (x[o + j]! - m) * rs;
        out[o + j] = (gamma ? gamma[j]! * xh : xh) + (beta ? beta[j]! : 0);
      }
    }
  },

  layerNormBackward(x, gy, rows, n, gamma, mean, rstd, gx, gGamma, gBeta) {
    for (let r = 0; r < rows; r++) {
      const o = r * n, m = mean[r]!, rs = rstd[r]!;
      let sumD = 0, sumDX = 0;
      for (let j = 0; j < n; j++) {
        const xh = (x[o + j]! - m) * rs;
        const d = gy[o + j]! * (gamma ? gamma[j]! : 1);
        sumD += d;
        sumDX += d * xh;
        if (gGamma) gGamma[j]! += gy[o + j]! * xh;
        if (gBeta) gBeta[j]! += gy[o + j]!;
      }
      if (!gx) continue;
      const md = sumD / n, mdx = sumDX / n;
      for (let j = 0; j < n; j++) {
        const xh = (x[o + j]! - m) * rs;
        const d = gy[o + j]! * (gamma ? gamma[j]! : 1);
        gx[o + j]! += rs * (d - md - xh * mdx);
      }
    }
  },
};
