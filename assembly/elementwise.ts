// Elementwise kernels (contract: src/kernels/elementwise-types.ts, reference: src/kernels/js/elementwise.ts).
// Pointers and lengths as in index.ts; semantics (NaN handling, accumulate-vs-overwrite) are the reference's.

import { at, hsum, madd } from './simd';
import { sexp, slog, ssigmoid, stanh, vexp, vlog, vsigmoid, vtanh } from './math';

// Op codes of src/kernels/op-codes.ts (test/kernels/mirrors.test.ts keeps them equal).
const U_NEG = 0, U_EXP = 1, U_LOG = 2, U_TANH = 3, U_SIGMOID = 4, U_RELU = 5, U_SQRT = 6, U_SQUARE = 7, U_ABS = 8;
const B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MAX = 4, B_MIN = 5;

export function axpy(alpha: f32, x: usize, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  if (alpha == 1) {
    for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.add(v128.load(at(y, i)), v128.load(at(x, i))));
    for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(y, i)) + load<f32>(at(x, i)));
    return;
  }
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.add(v128.load(at(y, i)), f32x4.mul(va, v128.load(at(x, i)))));
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(y, i)) + alpha * load<f32>(at(x, i)));
}

export function scale(alpha: f32, x: usize, out: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(out, i), f32x4.mul(va, v128.load(at(x, i))));
  for (; i < n; i++) store<f32>(at(out, i), alpha * load<f32>(at(x, i)));
}

// @ts-ignore: decorator
@inline function vclamp(v: v128, lo: v128, hi: v128): v128 {
  // v < lo ? lo : v > hi ? hi : v  — NaN fails both tests and passes through.
  return v128.bitselect(lo, v128.bitselect(hi, v, f32x4.gt(v, hi)), f32x4.lt(v, lo));
}

export function clamp(x: usize, lo: f32, hi: f32, out: usize, n: i32): void {
  const vl = f32x4.splat(lo), vh = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(out, i), vclamp(v128.load(at(x, i)), vl, vh));
  for (; i < n; i++) store<f32>(at(out, i), f32x4.extract_lane(vclamp(f32x4.splat(load<f32>(at(x, i))), vl, vh), 0));
}

// @ts-ignore: decorator
@inline function vunary(op: i32, v: v128): v128 {
  switch (op) {
    case U_NEG: return f32x4.neg(v);
    case U_EXP: return vexp(v);
    case U_LOG: return vlog(v);
    case U_TANH: return vtanh(v);
    case U_SIGMOID: return vsigmoid(v);
    // x > 0 ? x : 0, so NaN -> 0 exactly as the reference.
    case U_RELU: return v128.and(v, f32x4.gt(v, f32x4.splat(0)));
    case U_SQRT: return f32x4.sqrt(v);
    case U_SQUARE: return f32x4.mul(v, v);
    default: return f32x4.abs(v);
  }
}

function sunary(op: i32, x: f32): f32 {
  switch (op) {
    case U_EXP: return sexp(x);
    case U_LOG: return slog(x);
    case U_TANH: return stanh(x);
    case U_SIGMOID: return ssigmoid(x);
    default: return f32x4.extract_lane(vunary(op, f32x4.splat(x)), 0);
  }
}

export function unary(op: i32, x: usize, out: usize, n: i32): void {
  let i = 0;
  // One loop per op so the switch is hoisted out of the hot loop.
  switch (op) {
    case U_NEG: for (; i + 4 <= n; i += 4) v128.store(at(out, i), vunary(U_NEG, v128.load(at(x, i)))); break;
    case U_EXP: for (; i + 4 <= n; i += 4) v128.store(at(out, i), vunary(U_EXP, v128.load(at(x, i)))); break;
    case U_LOG: for (; i + 4 <= n; i += 4) v128.store(at(out, i), vunary(U_LOG, v128.load(at(x, i)))); break;
    case U_TANH: for (; i + 4 <= n; i += 4) v128.store(at(out, i), vunary(U_TANH, v128.load(at(x, i)))); break;
    case U_SIGMOID: for (; i + 4 <= n; i += 4) v128.store(at(out, i), vunary(U_SIGMOID, v128.load(at(x, i)))); break;
    case U_RELU: for (; i + 4 <= n; i += 4) v128.store(at(out, i), vunary(U_RELU, v128.load(at(x, i)))); break;
    case U_SQRT: for (; i + 4 <= n; i += 4) v128.store(at(out, i), vunary(U_SQRT, v128.load(at(x, i)))); break;
    case U_SQUARE: for (; i + 4 <= n; i += 4) v128.store(at(out, i), vunary(U_SQUARE, v128.load(at(x, i)))); break;
    default: for (; i + 4 <= n; i += 4) v128.store(at(out, i), vunary(U_ABS, v128.load(at(x, i)))); break;
  }
  for (; i < n; i++) store<f32>(at(out, i), sunary(op, load<f32>(at(x, i))));
}

// @ts-ignore: decorator
@inline function vunaryGrad(op: i32, x: v128, y: v128, g: v128): v128 {
  const one = f32x4.splat(1);
  switch (op) {
    case U_NEG: return f32x4.neg(g);
    case U_EXP: return f32x4.mul(g, y);
    case U_LOG: return f32x4.div(g, x);
    case U_TANH: return f32x4.mul(g, f32x4.sub(one, f32x4.mul(y, y)));
    case U_SIGMOID: return f32x4.mul(f32x4.mul(g, y), f32x4.sub(one, y));
    case U_RELU: return v128.and(g, f32x4.gt(x, f32x4.splat(0)));
    case U_SQRT: return f32x4.div(g, f32x4.add(y, y));
    case U_SQUARE: return f32x4.mul(f32x4.add(x, x), g);
    default: {
      // g * sign(x), with sign(NaN) = NaN and sign(0) = 0.
      const pos = v128.and(f32x4.gt(x, f32x4.splat(0)), one);
      const neg = v128.and(f32x4.lt(x, f32x4.splat(0)), one);
      const s = v128.bitselect(x, f32x4.sub(pos, neg), f32x4.ne(x, x));
      return f32x4.mul(g, s);
    }
  }
}

export function unaryBackward(op: i32, x: usize, y: usize, gy: usize, gx: usize, n: i32): void {
  let i = 0;
  switch (op) {
    case U_NEG: for (; i + 4 <= n; i += 4) v128.store(at(gx, i), f32x4.add(v128.load(at(gx, i)), vunaryGrad(U_NEG, v128.load(at(x, i)), v128.load(at(y, i)), v128.load(at(gy, i))))); break;
    case U_EXP: for (; i + 4 <= n; i += 4) v128.store(at(gx, i), f32x4.add(v128.load(at(gx, i)), vunaryGrad(U_EXP, v128.load(at(x, i)), v128.load(at(y, i)), v128.load(at(gy, i))))); break;
    case U_LOG: for (; i + 4 <= n; i += 4) v128.store(at(gx, i), f32x4.add(v128.load(at(gx, i)), vunaryGrad(U_LOG, v128.load(at(x, i)), v128.load(at(y, i)), v128.load(at(gy, i))))); break;
    case U_TANH: for (; i + 4 <= n; i += 4) v128.store(at(gx, i), f32x4.add(v128.load(at(gx, i)), vunaryGrad(U_TANH, v128.load(at(x, i)), v128.load(at(y, i)), v128.load(at(gy, i))))); break;
    case U_SIGMOID: for (; i + 4 <= n; i += 4) v128.store(at(gx, i), f32x4.add(v128.load(at(gx, i)), vunaryGrad(U_SIGMOID, v128.load(at(x, i)), v128.load(at(y, i)), v128.load(at(gy, i))))); break;
    case U_RELU: for (; i + 4 <= n; i += 4) v128.store(at(gx, i), f32x4.add(v128.load(at(gx, i)), vunaryGrad(U_RELU, v128.load(at(x, i)), v128.load(at(y, i)), v128.load(at(gy, i))))); break;
    case U_SQRT: for (; i + 4 <= n; i += 4) v128.store(at(gx, i), f32x4.add(v128.load(at(gx, i)), vunaryGrad(U_SQRT, v128.load(at(x, i)), v128.load(at(y, i)), v128.load(at(gy, i))))); break;
    case U_SQUARE: for (; i + 4 <= n; i += 4) v128.store(at(gx, i), f32x4.add(v128.load(at(gx, i)), vunaryGrad(U_SQUARE, v128.load(at(x, i)), v128.load(at(y, i)), v128.load(at(gy, i))))); break;
    default: for (; i + 4 <= n; i += 4) v128.store(at(gx, i), f32x4.add(v128.load(at(gx, i)), vunaryGrad(U_ABS, v128.load(at(x, i)), v128.load(at(y, i)), v128.load(at(gy, i))))); break;
  }
  for (; i < n; i++) {
    // The neg, relu and abs references skip the add entirely where the gradient is zero;
    // adding an exact 0 gives the same float, except -0 + 0 = +0, which is harmless.
    const d = f32x4.extract_lane(vunaryGrad(op, f32x4.splat(load<f32>(at(x, i))), f32x4.splat(load<f32>(at(y, i))), f32x4.splat(load<f32>(at(gy, i)))), 0);
    store<f32>(at(gx, i), load<f32>(at(gx, i)) + d);
  }
}

// @ts-ignore: decorator
@inline function vbin(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case B_ADD: return f32x4.add(a, b);
    case B_SUB: return f32x4.sub(a, b);
    case B_MUL: return f32x4.mul(a, b);
    case B_DIV: return f32x4.div(a, b);
    // a >= b || isNaN(a) ? a : b (the reference's NaN and signed-zero behaviour).
    case B_MAX: return v128.bitselect(a, b, v128.or(f32x4.ge(a, b), f32x4.ne(a, a)));
    default: return v128.bitselect(a, b, v128.or(f32x4.le(a, b), f32x4.ne(a, a)));
  }
}

// @ts-ignore: decorator
@inline function sbin(op: i32, a: f32, b: f32): f32 {
  return f32x4.extract_lane(vbin(op, f32x4.splat(a), f32x4.splat(b)), 0);
}

/**
 * out[i] (=|+=) op(A, B) over one segment of length len where each operand is either a
 * contiguous run (vector) or one value repeated (scalar).
 */
// @ts-ignore: decorator
@inline function binSeg(op: i32, a: usize, aScalar: bool, b: usize, bScalar: bool, out: usize, len: i32, acc: bool): void {
  let i = 0;
  if (aScalar && bScalar) {
    const v = sbin(op, load<f32>(a), load<f32>(b));
    const vv = f32x4.splat(v);
    if (acc) {
      for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.add(v128.load(at(out, i)), vv));
      for (; i < len; i++) store<f32>(at(out, i), load<f32>(at(out, i)) + v);
    } else {
      for (; i + 4 <= len; i += 4) v128.store(at(out, i), vv);
      for (; i < len; i++) store<f32>(at(out, i), v);
    }
    return;
  }
  const sa = f32x4.splat(load<f32>(a)), sb = f32x4.splat(load<f32>(b));
  for (; i + 4 <= len; i += 4) {
    const va = aScalar ? sa : v128.load(at(a, i));
    const vb = bScalar ? sb : v128.load(at(b, i));
    const r = vbin(op, va, vb);
    v128.store(at(out, i), acc ? f32x4.add(v128.load(at(out, i)), r) : r);
  }
  for (; i < len; i++) {
    const r = sbin(op, load<f32>(aScalar ? a : at(a, i)), load<f32>(bScalar ? b : at(b, i)));
    store<f32>(at(out, i), acc ? load<f32>(at(out, i)) + r : r);
  }
}

function binSegDispatch(op: i32, a: usize, aS: bool, b: usize, bS: bool, out: usize, len: i32, acc: bool): void {
  // Specialise on op so the select chain in vbin folds away.
  switch (op) {
    case B_ADD: binSeg(B_ADD, a, aS, b, bS, out, len, acc); break;
    case B_SUB: binSeg(B_SUB, a, aS, b, bS, out, len, acc); break;
    case B_MUL: binSeg(B_MUL, a, aS, b, bS, out, len, acc); break;
    case B_DIV: binSeg(B_DIV, a, aS, b, bS, out, len, acc); break;
    case B_MAX: binSeg(B_MAX, a, aS, b, bS, out, len, acc); break;
    default: binSeg(B_MIN, a, aS, b, bS, out, len, acc); break;
  }
}

/**
 * out[i] (=|+=) op(a[floor(i/ar) % na], b[floor(i/br) % nb]) for i < n. The index space is cut
 * into segments on which each operand is a contiguous run or a constant, so every broadcast
 * pattern runs through the same SIMD segment loop.
 */
export function binary(op: i32, a: usize, na: i32, ar: i32, b: usize, nb: i32, br: i32, out: usize, n: i32, acc: bool): void {
  // An operand of length 1 (or with na * ar >= n... handled below) is a scalar for the whole range.
  const aConst = na == 1, bConst = nb == 1;
  let i = 0;
  while (i < n) {
    let len = n - i;
    let pa = a, pb = b;
    let aS = true, bS = true;
    if (!aConst) {
      if (ar == 1) { const k = i % na; pa = at(a, k); len = min(len, na - k); aS = false; }
      else { const q = i / ar; pa = at(a, q % na); len = min(len, (q + 1) * ar - i); }
    }
    if (!bConst) {
      if (br == 1) { const k = i % nb; pb = at(b, k); len = min(len, nb - k); bS = false; }
      else { const q = i / br; pb = at(b, q % nb); len = min(len, (q + 1) * br - i); }
    }
    binSegDispatch(op, pa, aS, pb, bS, at(out, i), len, acc);
    i += len;
  }
}

/** out[floor(i/r) % m] += alpha * g[i] for i < n. */
export function sumToBroadcast(g: usize, n: i32, r: i32, out: usize, m: i32, alpha: f32): void {
  if (r == 1) {
    // Each block of m gradient values adds onto out.
    for (let i = 0; i < n; i += m) axpy(alpha, at(g, i), out, min(m, n - i));
    return;
  }
  let i = 0;
  while (i < n) {
    const q = i / r;
    const len = min(n - i, (q + 1) * r - i);
    const p = at(g, i);
    let s0 = f32x4.splat(0), s1 = s0;
    let j = 0;
    for (; j + 8 <= len; j += 8) { s0 = f32x4.add(s0, v128.load(at(p, j))); s1 = f32x4.add(s1, v128.load(at(p, j), 16)); }
    for (; j + 4 <= len; j += 4) s0 = f32x4.add(s0, v128.load(at(p, j)));
    let s = hsum(f32x4.add(s0, s1));
    for (; j < len; j++) s += load<f32>(at(p, j));
    const o = at(out, q % m);
    store<f32>(o, load<f32>(o) + alpha * s);
    i += len;
  }
}

/** out = cond != 0 ? a : b. */
export function where(cond: usize, a: usize, b: usize, out: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(out, i), v128.bitselect(v128.load(at(a, i)), v128.load(at(b, i)), f32x4.ne(v128.load(at(cond, i)), z)));
  for (; i < n; i++) store<f32>(at(out, i), load<f32>(at(cond, i)) != 0 ? load<f32>(at(a, i)) : load<f32>(at(b, i)));
}

/** gx += (cond != 0) === pick ? gy : 0. */
export function whereBackward(cond: usize, gy: usize, gx: usize, n: i32, pick: bool): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const ne = f32x4.ne(v128.load(at(cond, i)), z);
    const m = pick ? ne : v128.not(ne);
    v128.store(at(gx, i), f32x4.add(v128.load(at(gx, i)), v128.and(v128.load(at(gy, i)), m)));
  }
  for (; i < n; i++) if ((load<f32>(at(cond, i)) != 0) == pick) store<f32>(at(gx, i), load<f32>(at(gx, i)) + load<f32>(at(gy, i)));
}
