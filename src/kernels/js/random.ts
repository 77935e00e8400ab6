import type { RandomKernels } from '../random-types.js';

/** Reference random draws (contract: random-types.ts). */
export const randomJs: RandomKernels = {
  bernoulliScaled(state, keep, out) {
    const scale = keep > 0 ? 1 / keep : 0;
    // u32 / 2^32 < keep exactly when u32 < keep * 2^32 (both exact in doubles). The state is in
    // locals and the loop has no branch: dropout masks take millions of draws a step.
    const threshold = keep * 4294967296;
    let s0 = state[0]!, s1 = state[1]!, s2 = state[2]!, s3 = state[3]!;
    for (let i = 0; i < out.length; i++) {
      const m = Math.imul(s1, 5);
      const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = scale * +(r < threshold);
    }
    state[0] = s0; state[1] = s1; state[2] = s2; state[3] = s3;
  },
};
