import type { CrfKernels } from '../crf-types.js';

/**
 * Reference linear-chain CRF (contract: crf-types.ts). Every log-sum-exp subtracts its maximum
 * first; a maximum of −Infinity (only forbidden transitions lead here) yields −Infinity instead of
 * NaN. Loops are over the K tags of one sequence at a time, so the cost is O(B·T·K²).
 */
export const crfJs: CrfKernels = {
  crfForward(B, T, K, em, lengths, trans, start, end, alpha, logZ) {
    for (let b = 0; b < B; b++) {
      const L = lengths[b]!, base = b * T * K;
      for (let j = 0; j < K; j++) alpha[base + j] = start[j]! + em[base + j]!;
      for (let t = 1; t < L; t++) {
        const prev = base + (t - 1) * K, cur = base + t * K;
        for (let j = 0; j < K; j++) {
          let m = -Infinity;
          for (let i = 0; i < K; i++) {
            const v = alpha[prev + i]! + trans[i * K + j]!;
            if (v > m) m = v;
          }
          let s = 0;
          if (m !== -Infinity) for (let i = 0; i < K; i++) s += Math.exp(alpha[prev + i]! + trans[i * K + j]! - m);
          alpha[cur + j] = (m === -Infinity ? m : m + Math.log(s)) + em[cur + j]!;
        }
      }
      const last = base + (L - 1) * K;
      let m = -Infinity;
      for (let j = 0; j < K; j++) {
        const v = alpha[last + j]! + end[j]!;
        if (v > m) m = v;
      }
      let s = 0;
      if (m !== -Infinity) for (let j = 0; j < K; j++) s += Math.exp(alpha[last + j]! + end[j]! - m);
      logZ[b] = m === -Infinity ? m : m + Math.log(s);
    }
  },

  crfBackward(B, T, K, em, lengths, trans, start, end, alpha, logZ, gLogZ, beta, gEm, gTrans, gStart, gEnd) {
    void start; // folded into alpha by the forward pass
    for (let b = 0; b < B; b++) {
      const g = gLogZ[b]!;
      if (g === 0) continue;
      const L = lengths[b]!, base = b * T * K, Z = logZ[b]!;
      const last = base + (L - 1) * K;
      for (let i = 0; i < K; i++) beta[last + i] = end[i]!;
      for (let t = L - 2; t >= 0; t--) {
        const cur = base + t * K, nxt = cur + K;
        for (let i = 0; i < K; i++) {
          let m = -Infinity;
          for (let j = 0; j < K; j++) {
            const v = trans[i * K + j]! + em[nxt + j]! + beta[nxt + j]!;
            if (v > m) m = v;
          }
          let s = 0;
          if (m !== -Infinity) for (let j = 0; j < K; j++) s += Math.exp(trans[i * K + j]! + em[nxt + j]! + beta[nxt + j]! - m);
          beta[cur + i] = m === -Infinity ? m : m + Math.log(s);
        }
      }
      if (gEm) {
        for (let t = 0; t < L; t++) {
          const cur = base + t * K;
          for (let j = 0; j < K; j++) gEm[cur + j]! += g * Math.exp(alpha[cur + j]! + beta[cur + j]! - Z);
        }
      }
      if (gStart) for (let j = 0; j < K; j++) gStart[j]! += g * Math.exp(alpha[base + j]! + beta[base + j]! - Z);
      if (gEnd) for (let j = 0; j < K; j++) gEnd[j]! += g * Math.exp(alpha[last + j]! + end[j]! - Z);
      if (gTrans) {
        for (let t = 1; t < L; t++) {
          const prev = base + (t - 1) * K, cur = prev + K;
          for (let i = 0; i < K; i++) {
            const a = alpha[prev + i]! - Z;
            for (let j = 0; j < K; j++) gTrans[i * K + j]! += g * Math.exp(a + trans[i * K + j]! + em[cur + j]! + beta[cur + j]!);
          }
        }
      }
    }
  },

  crfViterbi(B, T, K, em, lengths, trans, start, end, delta, backptr, paths, scores) {
    for (let b = 0; b < B; b++) {
      const L = lengths[b]!, base = b * T * K, pb = b * T;
      for (let j = 0; j < K; j++) delta[base + j] = start[j]! + em[base + j]!;
      for (let t = 1; t < L; t++) {
        const prev = base + (t - 1) * K, cur = prev + K;
        for (let j = 0; j < K; j++) {
          let best = -Infinity, arg = 0;
          for (let i = 0; i < K; i++) {
            const v = delta[prev + i]! + trans[i * K + j]!;
            if (v > best) { best = v; arg = i; }
          }
          delta[cur + j] = best + em[cur + j]!;
          backptr[cur + j] = arg;
        }
      }
      const last = base + (L - 1) * K;
      let best = -Infinity, arg = 0;
      for (let j = 0; j < K; j++) {
        const v = delta[last + j]! + end[j]!;
        if (v > best) { best = v; arg = j; }
      }
      scores[b] = best;
      paths[pb + L - 1] = arg;
      for (let t = L - 1; t > 0; t--) paths[pb + t - 1] = backptr[base + t * K + paths[pb + t]!]!;
      for (let t = L; t < T; t++) paths[pb + t] = -1;
    }
  },
};
