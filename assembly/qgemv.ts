// Int8 matrix-vector product for batch-1 generation (contract: src/kernels/qgemv-types.ts,
// reference: src/kernels/js/qgemv.ts). Bit-identical to the reference by construction: the
// integer part is exact (chunks of 512 k's cannot overflow int32, whatever the lane split),
// and every float step is ONE correctly rounded f32 operation in the contract's order — plain
// f32 mul/add, never the relaxed build's fused madd.

import { hmax } from './simd';

const CHUNK: i32 = 512;
/** 2^-96: below it the activations count as zero (keeps 32767 / amax finite). */
const TINY: f32 = 1.2621774483536189e-29;

/** Bytes of workspace qgemv needs: the int16 activations. */
export function qgemvWorkBytes(K: i32): i32 {
  return ((K * 2 + 15) & ~15) + 16;
}

/** Sum of the four int32 lanes (exact: every partial sum of a chunk fits int32). */
// @ts-ignore: decorator
@inline function hsumI32(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** acc += dot(W[k..k+16), xq[k..k+16)): widen 16 int8 to two i16x8, two pairwise dot products. */
// @ts-ignore: decorator
@inline function dot16(acc: v128, w: usize, xa: v128, xb: v128): v128 {
  const v = v128.load(w);
  const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(v), xa);
  const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(v), xb);
  return i32x4.add(acc, i32x4.add(lo, hi));
}

/** y[n] = fl(beta·y[n]) + fl(fl(sx·scale[n])·s), or the product alone when beta is 0. */
// @ts-ignore: decorator
@inline function finish(n: i32, s: f32, sx: f32, scale: usize, beta: f32, y: usize): void {
  const p = y + (<usize>n << 2);
  const v: f32 = (sx * load<f32>(scale + (<usize>n << 2))) * s;
  store<f32>(p, beta == 0 ? v : beta * load<f32>(p) + v);
}

/** max |x[k]|, NaN if any x[k] is NaN (f32.max and f32x4.max propagate NaN). */
function maxAbs(x: usize, K: i32): f32 {
  let m = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= K; k += 4) m = f32x4.max(m, f32x4.abs(v128.load(x + (<usize>k << 2))));
  let a = hmax(m);
  for (; k < K; k++) a = max<f32>(a, abs<f32>(load<f32>(x + (<usize>k << 2))));
  return a;
}

/** xq[k] = clamp(nearest(x[k]·inv), ±32767) as int16; x is finite here, so no NaN reaches the clamp. */
function quantize(x: usize, K: i32, inv: f32, xq: usize): void {
  const vi = f32x4.splat(inv), lo = f32x4.splat(-32767), hi = f32x4.splat(32767);
  let k = 0;
  for (; k + 8 <= K; k += 8) {
    const p = x + (<usize>k << 2);
    const a = f32x4.min(f32x4.max(f32x4.nearest(f32x4.mul(v128.load(p), vi)), lo), hi);
    const b = f32x4.min(f32x4.max(f32x4.nearest(f32x4.mul(v128.load(p, 16), vi)), lo), hi);
    v128.store(xq + (<usize>k << 1), i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(a), i32x4.trunc_sat_f32x4_s(b)));
  }
  for (; k < K; k++) {
    const q = min<f32>(max<f32>(nearest<f32>(load<f32>(x + (<usize>k << 2)) * inv), -32767), 32767);
    store<i16>(xq + (<usize>k << 1), <i16><i32>q);
  }
}

export function qgemv(N: i32, K: i32, W: usize, scale: usize, x: usize, beta: f32, y: usize, xq: usize): void {
  if (N <= 0) return;
  const amax = maxAbs(x, K);
  if (!(amax <= f32.MAX_VALUE)) {
    for (let n = 0; n < N; n++) store<f32>(y + (<usize>n << 2), NaN);
    return;
  }
  if (amax < TINY) {
    for (let n = 0; n < N; n++) {
      const p = y + (<usize>n << 2);
      store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
    }
    return;
  }
  const sx: f32 = amax / 32767, inv: f32 = <f32>32767 / amax;
  quantize(x, K, inv, xq);

  const ld = <usize>K;
  let n = 0;
  // Four rows per pass: each load of xq feeds four rows' dot products.
  for (; n + 4 <= N; n += 4) {
    const w0 = W + <usize>n * ld, w1 = w0 + ld, w2 = w1 + ld, w3 = w2 + ld;
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let c = 0; c < K; c += CHUNK) {
      const end = min(K, c + CHUNK);
      let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      let k = c;
      for (; k + 16 <= end; k += 16) {
        const xp = xq + (<usize>k << 1);
        const xa = v128.load(xp), xb = v128.load(xp, 16);
        const o = <usize>k;
        a0 = dot16(a0, w0 + o, xa, xb);
        a1 = dot16(a1, w1 + o, xa, xb);
        a2 = dot16(a2, w2 + o, xa, xb);
        a3 = dot16(a3, w3 + o, xa, xb);
      }
      let t0 = hsumI32(a0), t1 = hsumI32(a1), t2 = hsumI32(a2), t3 = hsumI32(a3);
      for (; k < end; k++) {
        const q = <i32>load<i16>(xq + (<usize>k << 1));
        const o = <usize>k;
        t0 += <i32>load<i8>(w0 + o) * q;
        t1 += <i32>load<i8>(w1 + o) * q;
        t2 += <i32>load<i8>(w2 + o) * q;
        t3 += <i32>load<i8>(w3 + o) * q;
      }
      s0 = s0 + <f32>t0;
      s1 = s1 + <f32>t1;
      s2 = s2 + <f32>t2;
      s3 = s3 + <f32>t3;
    }
    finish(n, s0, sx, scale, beta, y);
    finish(n + 1, s1, sx, scale, beta, y);
    finish(n + 2, s2, sx, scale, beta, y);
    finish(n + 3, s3, sx, scale, beta, y);
  }
  for (; n < N; n++) {
    const w0 = W + <usize>n * ld;
    let s0: f32 = 0;
    for (let c = 0; c < K; c += CHUNK) {
      const end = min(K, c + CHUNK);
      let a0 = i32x4.splat(0);
      let k = c;
      for (; k + 16 <= end; k += 16) {
        const xp = xq + (<usize>k << 1);
        a0 = dot16(a0, w0 + <usize>k, v128.load(xp), v128.load(xp, 16));
      }
      let t0 = hsumI32(a0);
      for (; k < end; k++) t0 += <i32>load<i8>(w0 + <usize>k) * <i32>load<i16>(xq + (<usize>k << 1));
      s0 = s0 + <f32>t0;
    }
    finish(n, s0, sx, scale, beta, y);
  }
}
