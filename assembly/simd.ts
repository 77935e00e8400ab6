// Small SIMD helpers shared by every kernel file.

/**
 * a*b + c. With relaxed SIMD (the `relaxed` build) this is one fused multiply-add, which is
 * both faster and more accurate; the plain build is a separate multiply and add. The choice
 * is made at compile time, so each .wasm has exactly one behaviour (determinism per build).
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Sum of the four lanes, in the order ((l0 + l2) + (l1 + l3)). */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Max of the four lanes; NaN in any lane gives NaN (f32x4.max propagates NaN). */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const s = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const t = f32x4.max(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2));
  return f32x4.extract_lane(t, 0);
}

/** Sum of the two f64 lanes. */
// @ts-ignore: decorator
@inline export function hsum64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Widens the f32 lanes of v to f64 and adds them into the two f64x2 accumulators (returned as lo + hi). */
// @ts-ignore: decorator
@inline export function widenLo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline export function widenHi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

/** Address of f32 element i of the array at p. */
// @ts-ignore: decorator
@inline export function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

// Loop bodies written once for f32x4 lanes are instantiated on 4 elements (vec) and on single
// elements for the tail (`vec` is a compile-time constant after inlining), so a tail element is
// computed by exactly the same arithmetic as a body element.

/** 4 lanes at p, or the one float at p splatted. */
// @ts-ignore: decorator
@inline export function ld(p: usize, vec: bool): v128 {
  return vec ? v128.load(p) : f32x4.splat(load<f32>(p));
}

/** Stores 4 lanes at p, or lane 0 only. */
// @ts-ignore: decorator
@inline export function st(p: usize, v: v128, vec: bool): void {
  if (vec) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}

/** p += v */
// @ts-ignore: decorator
@inline export function acc(p: usize, v: v128, vec: bool): void {
  st(p, f32x4.add(ld(p, vec), v), vec);
}
