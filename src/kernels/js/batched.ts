import type { BatchedKernels } from '../batched-types.js';

/**
 * Reference batched matrix-vector products (contract: batched-types.ts).
 */
export const batchedJs: BatchedKernels = {
  bmv(trans, batch, M, N, A, x, y, accumulate) {
    if (!trans) {
      for (let b = 0; b < batch; b++) {
        const xo = b * N, yo = b * M;
        for (let m = 0; m < M; m++) {
          const ao = (b * M + m) * N;
          let acc = 0;
          for (let n = 0; n < N; n++) acc += A[ao + n]! * x[xo + n]!;
          y[yo + m] = accumulate ? y[yo + m]! + acc : acc;
        }
      }
      return;
    }
    for (let b = 0; b < batch; b++) {
      const xo = b * M, yo = b * N;
      if (!accumulate) y.fill(0, yo, yo + N);
      // Row by row (axpy over n): contiguous reads of A.
      for (let m = 0; m < M; m++) {
        const s = x[xo + m]!, ao = (b * M + m) * N;
        for (let n = 0; n < N; n++) y[yo + n]! += s * A[ao + n]!;
      }
    }
  },

  bger(batch, M, N, x, y, A) {
    for (let b = 0; b < batch; b++) {
      const xo = b * M, yo = b * N;
      for (let m = 0; m < M; m++) {
        const s = x[xo + m]!, ao = (b * M + m) * N;
        if (s === 0) continue;
        for (let n = 0; n < N; n++) A[ao + n]! += s * y[yo + n]!;
      }
    }
  },
};
