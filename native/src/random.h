/* Random draws (contract: src/kernels/random-types.ts, reference: src/kernels/js/random.ts).
 * Included by kernels.h. xoshiro128** is sequential in its state, so this is scalar C: a
 * dropout mask's draws at a few cycles each instead of the reference's JS loop. */
#include <math.h>
#include <stdint.h>

static void k_bernoulli_scaled(uint32_t *state, double keep, float *out, size_t n) {
  const float scale = keep > 0 ? (float)(1.0 / keep) : 0.0f;
  /* r < keep * 2^32 (exact in doubles) for a uint32 r is r < lim with lim the smallest integer
   * >= keep * 2^32, clamped to [0, 2^32] (0 for NaN): an integer compare and a select, no
   * conversion or branch per draw. */
  const double th = keep * 4294967296.0;
  const uint64_t lim = th > 0 ? (th >= 4294967296.0 ? (uint64_t)1 << 32 : (uint64_t)ceil(th)) : 0;
  uint32_t s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
  for (size_t i = 0; i < n; i++) {
    uint32_t m = s1 * 5u;
    uint32_t r = ((m << 7) | (m >> 25)) * 9u;
    uint32_t t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >> 21);
    out[i] = (uint64_t)r < lim ? scale : 0.0f;
  }
  state[0] = s0; state[1] = s1; state[2] = s2; state[3] = s3;
}
