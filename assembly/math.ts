// Vectorised transcendental functions on f32x4 lanes.
//
// Cephes-style range reduction + minimax polynomials (the same constants as Cephes expf/logf/
// tanhf, as used by many SIMD libraries). Accuracy against correctly rounded results: exp and
// log within ~2 ulp, tanh and sigmoid within ~3e-7 absolute and a few ulp relative, which keeps
// PyTorch golden tests at 1e-5 relative well inside tolerance. Special values follow Math.*:
// NaN -> NaN, exp(+inf) = inf, exp(-inf) = 0, log(0) = -inf, log(<0) = NaN, log(inf) = inf.

import { madd } from './simd';

// @ts-ignore: decorator
@inline function splat(x: f32): v128 {
  return f32x4.splat(x);
}

/** e^x per lane. */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  // Clamp to the range where the result is neither 0 nor inf (min/max keep NaN as NaN).
  const xc = f32x4.max(f32x4.min(x, splat(88.72283935546875)), splat(-103.97207641601562));
  // x = n ln2 + r, |r| <= ln2/2, with ln2 split in two for an exact product n*C1.
  const n = f32x4.nearest(f32x4.mul(xc, splat(1.44269504088896341)));
  let r = madd(n, splat(-0.693359375), xc);
  r = madd(n, splat(2.12194440e-4), r);
  let p = splat(1.9875691500e-4);
  p = madd(p, r, splat(1.3981999507e-3));
  p = madd(p, r, splat(8.3334519073e-3));
  p = madd(p, r, splat(4.1665795894e-2));
  p = madd(p, r, splat(1.6666665459e-1));
  p = madd(p, r, splat(5.0000001201e-1));
  p = madd(f32x4.mul(p, r), r, f32x4.add(r, splat(1)));
  // 2^n in two factors so n in [-150, 128] never leaves the exponent range of a factor.
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  let y = f32x4.mul(f32x4.mul(p, s1), s2);
  y = v128.bitselect(splat(Infinity), y, f32x4.gt(x, splat(88.72283935546875)));
  y = v128.bitselect(splat(0), y, f32x4.lt(x, splat(-103.97207641601562)));
  return y;
}

/** Natural log per lane. */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  // Denormals: scale into the normal range first.
  const tiny = f32x4.lt(x, splat(1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, splat(8388608.0)), x, tiny);
  const bits = xs;
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(126)));
  e = f32x4.sub(e, v128.and(tiny, splat(23)));
  // Mantissa in [0.5, 1).
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000));
  // Shift to [sqrt(1/2), sqrt(2)) and subtract 1.
  const small = f32x4.lt(m, splat(0.707106781186547524));
  e = f32x4.sub(e, v128.and(small, splat(1)));
  m = f32x4.sub(f32x4.add(m, v128.and(small, m)), splat(1));
  const z = f32x4.mul(m, m);
  let y = splat(7.0376836292e-2);
  y = madd(y, m, splat(-1.1514610310e-1));
  y = madd(y, m, splat(1.1676998740e-1));
  y = madd(y, m, splat(-1.2420140846e-1));
  y = madd(y, m, splat(1.4249322787e-1));
  y = madd(y, m, splat(-1.6668057665e-1));
  y = madd(y, m, splat(2.0000714765e-1));
  y = madd(y, m, splat(-2.4999993993e-1));
  y = madd(y, m, splat(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = madd(e, splat(-2.12194440e-4), y);
  y = madd(z, splat(-0.5), y);
  let r = madd(e, splat(0.693359375), f32x4.add(m, y));
  // Special values, in increasing priority.
  r = v128.bitselect(splat(Infinity), r, f32x4.eq(x, splat(Infinity)));
  r = v128.bitselect(splat(-Infinity), r, f32x4.eq(x, splat(0)));
  r = v128.bitselect(splat(NaN), r, f32x4.lt(x, splat(0)));
  r = v128.bitselect(x, r, f32x4.ne(x, x));
  return r;
}

/** tanh per lane: an odd polynomial near 0 (full relative accuracy), 1 - 2/(e^{2|x|}+1) elsewhere. */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = splat(-5.70498872745e-3);
  p = madd(p, z, splat(2.06390887954e-2));
  p = madd(p, z, splat(-5.37397155531e-2));
  p = madd(p, z, splat(1.33314422036e-1));
  p = madd(p, z, splat(-3.33332819422e-1));
  const near = madd(f32x4.mul(p, z), x, x);
  const t = vexp(f32x4.add(ax, ax));
  const far = f32x4.sub(splat(1), f32x4.div(splat(2), f32x4.add(t, splat(1))));
  // Copy the sign of x onto the far branch (NaN passes through it unchanged).
  const signed = v128.or(far, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(near, signed, f32x4.lt(ax, splat(0.625)));
}

/** 1 / (1 + e^{-x}) per lane. */
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  return f32x4.div(splat(1), f32x4.add(splat(1), vexp(f32x4.neg(x))));
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
