/**
 * Random draws that training makes millions of per step (dropout masks). The stream is
 * xoshiro128** (src/tensor/rng.ts), the same in every backend: a seed gives the same mask
 * bits whichever backend draws it.
 *
 * Conventions for every area are in types.ts.
 */
export interface RandomKernels {
  /**
   * Inverted-dropout mask: for i < out.length, draw r = the next xoshiro128** output (uint32)
   * from `state` (4 uint32 words, advanced in place) and set out[i] = fl(1/keep) if
   * r < keep·2^32 (compared exactly, in doubles), else 0; keep = 0 gives all zeros. The same
   * draws and state as `r / 2^32 < keep` one at a time (Rng.random).
   */
  bernoulliScaled(state: Uint32Array, keep: number, out: Float32Array): void;
}
