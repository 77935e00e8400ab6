// Vectorised transcendental functions on f32x4 lanes.
//
// Cephes-style range reduction + minimax polynomials (the same constants as Cephes expf/logf/
// tanhf, as used by many SIMD libraries). Accuracy against correctly rounded results: exp and
// log within ~2 ulp, tanh and sigmoid within ~3e-7 absolute and a few ulp relative, which keeps
// PyTorch golden tests at 1e-5 relative well inside tolerance. Special values follow Math.*:
// NaN -> NaN, exp(+inf) = inf, exp(-inf) = 0, log(0) = -inf, log(<0) = NaN, log(inf) = inf.

import { madd } from './simd';

// The constants live in static tables and are read with load32_splat: V8 11 materialises each
// distinct v128.const with several instructions inside the loop, which made these functions
// ~3x slower; a broadcast load from L1 is a single instruction.
const FTAB = memory.data<f32>([
  88.72283935546875, -103.97207641601562, 1.44269504088896341, -0.693359375, 2.12194440e-4, 1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1, 1, Infinity, 0, 1.17549435e-38, 8388608.0, 23, 0.707106781186547524, 7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1, -2.12194440e-4, -0.5, 0.693359375, -Infinity, NaN, -5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1, 2, 0.625, 12582912.0,
]);
const ITAB = memory.data<i32>([127, 126, 0x007fffff, 0x3f000000, 0x80000000, 0x4b400000]);
const MAGIC = 39; // index of 1.5 * 2^23 in FTAB
const MAGIC_BITS = 5; // its bit pattern in ITAB

// @ts-ignore: decorator
@inline function kf(i: i32): v128 {
  return v128.load32_splat(FTAB + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function ki(i: i32): v128 {
  return v128.load32_splat(ITAB + (<usize>i << 2));
}

/**
 * e^x per lane, without the special cases at the ends of the range: inputs are clamped to
 * [-103.97, 88.72], so +inf gives ~3.4e38 and -inf gives 0 (or a denormal). Used directly by
 * tanh and sigmoid, where that does not change the result by more than 1e-38.
 */
// @ts-ignore: decorator
@inline function vexpClamped(x: v128): v128 {
  // pmin/pmax are single instructions (min/max need NaN fix-ups); with x as the first operand
  // a NaN input passes through unchanged.
  const xc = f32x4.pmax(f32x4.pmin(x, kf(0)), kf(1));
  // n = round(x / ln2) by the 1.5*2^23 trick: adding it leaves n in the low mantissa bits, so
  // both the float n and the integer n come without a rounding or conversion instruction.
  const t = madd(xc, kf(2), kf(MAGIC));
  const n = f32x4.sub(t, kf(MAGIC));
  const ni = i32x4.sub(t, ki(MAGIC_BITS));
  // x = n ln2 + r, |r| <= ln2/2, with ln2 split in two for an exact product n*C1.
  let r = madd(n, kf(3), xc);
  r = madd(n, kf(4), r);
  let p = kf(5);
  p = madd(p, r, kf(6));
  p = madd(p, r, kf(7));
  p = madd(p, r, kf(8));
  p = madd(p, r, kf(9));
  p = madd(p, r, kf(10));
  p = madd(f32x4.mul(p, r), r, f32x4.add(r, kf(11)));
  // 2^n in two factors so n in [-150, 128] never leaves the exponent range of a factor.
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, ki(0)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, ki(0)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** e^x per lane, with exp(x > 88.72) = inf and exp(x < -103.97) = 0 exactly. */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  let y = vexpClamped(x);
  y = v128.bitselect(kf(12), y, f32x4.gt(x, kf(0)));
  y = v128.bitselect(kf(13), y, f32x4.lt(x, kf(1)));
  return y;
}

/** Natural log per lane. */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  // Denormals: scale into the normal range first.
  const tiny = f32x4.lt(x, kf(14));
  const xs = v128.bitselect(f32x4.mul(x, kf(15)), x, tiny);
  const bits = xs;
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(bits, 23), ki(1)));
  e = f32x4.sub(e, v128.and(tiny, kf(16)));
  // Mantissa in [0.5, 1).
  let m = v128.or(v128.and(bits, ki(2)), ki(3));
  // Shift to [sqrt(1/2), sqrt(2)) and subtract 1.
  const small = f32x4.lt(m, kf(17));
  e = f32x4.sub(e, v128.and(small, kf(11)));
  m = f32x4.sub(f32x4.add(m, v128.and(small, m)), kf(11));
  const z = f32x4.mul(m, m);
  let y = kf(18);
  y = madd(y, m, kf(19));
  y = madd(y, m, kf(20));
  y = madd(y, m, kf(21));
  y = madd(y, m, kf(22));
  y = madd(y, m, kf(23));
  y = madd(y, m, kf(24));
  y = madd(y, m, kf(25));
  y = madd(y, m, kf(26));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = madd(e, kf(27), y);
  y = madd(z, kf(28), y);
  let r = madd(e, kf(29), f32x4.add(m, y));
  // Special values, in increasing priority.
  r = v128.bitselect(kf(12), r, f32x4.eq(x, kf(12)));
  r = v128.bitselect(kf(30), r, f32x4.eq(x, kf(13)));
  r = v128.bitselect(kf(31), r, f32x4.lt(x, kf(13)));
  r = v128.bitselect(x, r, f32x4.ne(x, x));
  return r;
}

/** tanh per lane: an odd polynomial near 0 (full relative accuracy), 1 - 2/(e^{2|x|}+1) elsewhere. */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = kf(32);
  p = madd(p, z, kf(33));
  p = madd(p, z, kf(34));
  p = madd(p, z, kf(35));
  p = madd(p, z, kf(36));
  const near = madd(f32x4.mul(p, z), x, x);
  const t = vexpClamped(f32x4.add(ax, ax));
  const far = f32x4.sub(kf(11), f32x4.div(kf(37), f32x4.add(t, kf(11))));
  // Copy the sign of x onto the far branch (NaN passes through it unchanged).
  const signed = v128.or(far, v128.and(x, ki(4)));
  return v128.bitselect(near, signed, f32x4.lt(ax, kf(38)));
}

/** 1 / (1 + e^{-x}) per lane. */
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  return f32x4.div(kf(11), f32x4.add(kf(11), vexpClamped(f32x4.neg(x))));
}

// Scalar versions through the same lane code, for loop tails: the results of a tail element
// must not depend on where the SIMD body ended.
export function sexp(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}
export function slog(x: f32): f32 {
  return f32x4.extract_lane(vlog(f32x4.splat(x)), 0);
}
export function stanh(x: f32): f32 {
  return f32x4.extract_lane(vtanh(f32x4.splat(x)), 0);
}
export function ssigmoid(x: f32): f32 {
  return f32x4.extract_lane(vsigmoid(f32x4.splat(x)), 0);
}
