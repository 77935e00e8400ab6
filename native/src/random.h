/* Random draws (contract: src/kernels/random-types.ts, reference: src/kernels/js/random.ts).
 * Included by kernels.h.
 *
 * xoshiro128** is sequential in its state, but its state transition is linear over GF(2): the
 * state RB_CHUNK draws ahead is a fixed 128x128 bit matrix times the state now. Long masks are
 * cut into chunks of RB_CHUNK draws; the states at the chunks' starts come from that jump, one
 * after the other, and eight chunks then run side by side, one per vector lane. The draws, and
 * the state left behind, are those of the one-at-a-time loop. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>

#define RB_CHUNK 4096

/* One xoshiro128** draw: r = rotl(s1 * 5, 7) * 9, then the state steps. For uint32_t and for v8u
 * (eight streams, one per lane) alike. */
#define RB_DRAW(r, s0, s1, s2, s3)                          \
  do {                                                      \
    __typeof__(s1) m_ = (s1) + ((s1) << 2);                 \
    __typeof__(s1) x_ = (m_ << 7) | (m_ >> 25);             \
    (r) = x_ + (x_ << 3);                                   \
    __typeof__(s1) t_ = (s1) << 9;                          \
    (s2) ^= (s0);                                           \
    (s3) ^= (s1);                                           \
    (s1) ^= (s2);                                           \
    (s0) ^= (s3);                                           \
    (s2) ^= t_;                                             \
    (s3) = ((s3) << 11) | ((s3) >> 21);                     \
  } while (0)

/* One step of the state (the output scrambler aside). */
INLINE void rb_step(uint32_t *s) {
  uint32_t r;
  RB_DRAW(r, s[0], s[1], s[2], s[3]);
  (void)r;
}

/* The jump by RB_CHUNK steps, a byte of the state at a time: the state ahead is the XOR over
 * bytes b of rb_jump[b][byte b]. 64 KB, built on first use. */
static uint32_t rb_jump[16][256][4];
static pthread_once_t rb_jump_once = PTHREAD_ONCE_INIT;

/* m (columns: m[j] = the image of bit j) applied to v. */
static void rb_apply_columns(uint32_t (*m)[4], const uint32_t *v, uint32_t *y) {
  y[0] = y[1] = y[2] = y[3] = 0;
  for (int j = 0; j < 128; j++)
    if ((v[j >> 5] >> (j & 31)) & 1)
      for (int w = 0; w < 4; w++) y[w] ^= m[j][w];
}

static void rb_build_jump(void) {
  static uint32_t m[128][4], sq[128][4];
  for (int j = 0; j < 128; j++) {
    uint32_t s[4] = {0, 0, 0, 0};
    s[j >> 5] = 1u << (j & 31);
    rb_step(s);
    memcpy(m[j], s, 16);
  }
  for (int p = 1; p < RB_CHUNK; p *= 2) { /* m = m^2 until m = step^RB_CHUNK */
    for (int j = 0; j < 128; j++) rb_apply_columns(m, m[j], sq[j]);
    memcpy(m, sq, sizeof m);
  }
  for (int b = 0; b < 16; b++) {
    memset(rb_jump[b][0], 0, 16);
    for (int v = 1; v < 256; v++) {
      const uint32_t *col = m[8 * b + __builtin_ctz((unsigned)v)], *rest = rb_jump[b][v & (v - 1)];
      for (int w = 0; w < 4; w++) rb_jump[b][v][w] = rest[w] ^ col[w];
    }
  }
}

INLINE void rb_jump_state(uint32_t *s) {
  uint32_t y[4] = {0, 0, 0, 0};
  for (int b = 0; b < 16; b++) {
    const uint32_t *t = rb_jump[b][(s[b >> 2] >> (8 * (b & 3))) & 255];
    for (int w = 0; w < 4; w++) y[w] ^= t[w];
  }
  memcpy(s, y, 16);
}

/* An 8x8 transpose of 32-bit lanes: r[k] lane i -> r[i] lane k. */
INLINE void rb_transpose(v8u *r) {
  v8u t[8], u[8];
  for (int p = 0; p < 8; p += 2) {
    t[p] = __builtin_shufflevector(r[p], r[p + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[p + 1] = __builtin_shufflevector(r[p], r[p + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int p = 0; p < 8; p += 4) {
    u[p] = __builtin_shufflevector(t[p], t[p + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[p + 1] = __builtin_shufflevector(t[p], t[p + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[p + 2] = __builtin_shufflevector(t[p + 1], t[p + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[p + 3] = __builtin_shufflevector(t[p + 1], t[p + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int p = 0; p < 4; p++) {
    r[p] = __builtin_shufflevector(u[p], u[p + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[p + 4] = __builtin_shufflevector(u[p], u[p + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

/* Eight chunks, out + i * RB_CHUNK for lane i, from the states lanes[i] (s0..s3 across lanes).
 * A draw r is kept (scale's bits) when r < lim32, or always when `all`. */
static void rb_eight_chunks(const uint32_t (*lanes)[4], uint32_t lim32, int all, float scale, float *out) {
  v8u s0, s1, s2, s3;
  for (int i = 0; i < 8; i++) {
    s0[i] = lanes[i][0];
    s1[i] = lanes[i][1];
    s2[i] = lanes[i][2];
    s3[i] = lanes[i][3];
  }
  uint32_t sb;
  memcpy(&sb, &scale, 4);
  const v8u bits = (v8u){sb, sb, sb, sb, sb, sb, sb, sb}, lim = (v8u){lim32, lim32, lim32, lim32, lim32, lim32, lim32, lim32};
  const v8u keepAll = all ? ~(v8u){0} : (v8u){0};
  for (size_t k = 0; k < RB_CHUNK; k += 8) {
    v8u r[8];
    for (int d = 0; d < 8; d++) {
      v8u x;
      RB_DRAW(x, s0, s1, s2, s3);
      r[d] = (((v8u)(x < lim)) | keepAll) & bits;
    }
    rb_transpose(r);
    for (int i = 0; i < 8; i++) memcpy(out + (size_t)i * RB_CHUNK + k, &r[i], 32);
  }
}

static void k_bernoulli_scaled(uint32_t *state, double keep, float *out, size_t n) {
  const float scale = keep > 0 ? (float)(1.0 / keep) : 0.0f;
  /* r < keep * 2^32 (exact in doubles) for a uint32 r is r < lim with lim the smallest integer
   * >= keep * 2^32, clamped to [0, 2^32] (0 for NaN): an integer compare and a select, no
   * conversion or branch per draw. */
  const double th = keep * 4294967296.0;
  const uint64_t lim = th > 0 ? (th >= 4294967296.0 ? (uint64_t)1 << 32 : (uint64_t)ceil(th)) : 0;
  size_t i = 0;
  const size_t groups = n / (8 * RB_CHUNK);
  if (groups > 0) {
    pthread_once(&rb_jump_once, rb_build_jump);
    uint32_t lanes[8][4];
    for (size_t g = 0; g < groups; g++, i += 8 * RB_CHUNK) {
      for (int l = 0; l < 8; l++) {
        memcpy(lanes[l], state, 16);
        rb_jump_state(state);
      }
      rb_eight_chunks((const uint32_t(*)[4])lanes, (uint32_t)lim, lim >> 32 != 0, scale, out + i);
    }
  }
  uint32_t s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
  for (; i < n; i++) {
    uint32_t r;
    RB_DRAW(r, s0, s1, s2, s3);
    out[i] = (uint64_t)r < lim ? scale : 0.0f;
  }
  state[0] = s0; state[1] = s1; state[2] = s2; state[3] = s3;
}
