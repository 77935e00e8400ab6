// Elementwise, broadcast, reduction, softmax, indexing, layer-norm and optimiser kernels.
// Every pointer is a byte address in linear memory; every length is in elements. Semantics
// (NaN handling, accumulate-vs-overwrite) mirror src/kernels/js.ts exactly; see the
// interface docs in src/kernels/types.ts.

import { hmax, hsum, hsum64, madd, widenHi, widenLo } from './simd';
import { sexp, slog, ssigmoid, stanh, vexp, vlog, vsigmoid, vtanh } from './math';

// Op codes shared with src/kernels/wasm/backend.ts.
const U_NEG = 0, U_EXP = 1, U_LOG = 2, U_TANH = 3, U_SIGMOID = 4, U_RELU = 5, U_SQRT = 6, U_SQUARE = 7, U_ABS = 8;
const B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MAX = 4, B_MIN = 5;

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/**
 * x[0, n) = v. Zero is memory.fill (memset speed): TypedArray.prototype.fill on a view of
 * shared memory runs ~7x slower than on a plain array (6 vs 43 GB/s here), and every reused
 * heap block is zeroed on allocation.
 */
export function fillF32(x: usize, v: f32, n: i32): void {
  if (reinterpret<u32>(v) == 0) {
    memory.fill(x, 0, <usize>n << 2);
    return;
  }
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(x, i), vv);
  for (; i < n; i++) store<f32>(at(x, i), v);
}

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

/** Sum over the middle axis of [outer, len, inner], accumulated in f64. */
export function reduceSum(x: usize, outer: i32, len: i32, inner: i32, out: usize): void {
  for (let o = 0; o < outer; o++) {
    const base = at(x, o * len * inner);
    if (inner == 1) {
      let s0 = f64x2.splat(0), s1 = s0, s2 = s0, s3 = s0;
      let l = 0;
      for (; l + 8 <= len; l += 8) {
        const v = v128.load(at(base, l)), w = v128.load(at(base, l), 16);
        s0 = f64x2.add(s0, widenLo(v)); s1 = f64x2.add(s1, widenHi(v));
        s2 = f64x2.add(s2, widenLo(w)); s3 = f64x2.add(s3, widenHi(w));
      }
      let s = hsum64(f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3)));
      for (; l < len; l++) s += <f64>load<f32>(at(base, l));
      store<f32>(at(out, o), <f32>s);
      continue;
    }
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      let lo = f64x2.splat(0), hi = lo;
      for (let l = 0; l < len; l++) {
        const v = v128.load(at(base, l * inner + i));
        lo = f64x2.add(lo, widenLo(v));
        hi = f64x2.add(hi, widenHi(v));
      }
      v128.store(at(out, o * inner + i), v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (; i < inner; i++) {
      let s: f64 = 0;
      for (let l = 0; l < len; l++) s += <f64>load<f32>(at(base, l * inner + i));
      store<f32>(at(out, o * inner + i), <f32>s);
    }
  }
}

/**
 * Max over the middle axis; argmax (if non-zero) gets the first index of the maximum, or of
 * the first NaN, which wins as in PyTorch.
 */
export function reduceMax(x: usize, outer: i32, len: i32, inner: i32, out: usize, argmax: usize): void {
  for (let o = 0; o < outer; o++) {
    const base = at(x, o * len * inner);
    if (inner == 1) {
      // Pass 1: the max (f32x4.max propagates NaN). Pass 2: its first index.
      let m0 = f32x4.splat(-Infinity), m1 = m0;
      let l = 0;
      for (; l + 8 <= len; l += 8) { m0 = f32x4.max(m0, v128.load(at(base, l))); m1 = f32x4.max(m1, v128.load(at(base, l), 16)); }
      let best = hmax(f32x4.max(m0, m1));
      for (; l < len; l++) { const v = load<f32>(at(base, l)); best = (v > best || v != v) ? v : best; if (best != best) break; }
      store<f32>(at(out, o), best);
      if (argmax) {
        let bi = 0;
        const isNaN = best != best;
        for (let k = 0; k < len; k++) {
          const v = load<f32>(at(base, k));
          if (isNaN ? v != v : v == best) { bi = k; break; }
        }
        store<i32>(at(argmax, o), bi);
      }
      continue;
    }
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      let best = f32x4.splat(-Infinity);
      let bi = i32x4.splat(0);
      for (let l = 0; l < len; l++) {
        const v = v128.load(at(base, l * inner + i));
        // Update where v > best, or where v is NaN and best is not yet NaN (first NaN wins).
        const upd = v128.or(f32x4.gt(v, best), v128.and(f32x4.ne(v, v), f32x4.eq(best, best)));
        best = v128.bitselect(v, best, upd);
        bi = v128.bitselect(i32x4.splat(l), bi, upd);
      }
      v128.store(at(out, o * inner + i), best);
      if (argmax) v128.store(at(argmax, o * inner + i), bi);
    }
    for (; i < inner; i++) {
      let best: f32 = -Infinity;
      let bi = 0;
      for (let l = 0; l < len; l++) {
        const v = load<f32>(at(base, l * inner + i));
        if (v > best || v != v) { best = v; bi = l; if (v != v) break; }
      }
      store<f32>(at(out, o * inner + i), best);
      if (argmax) store<i32>(at(argmax, o * inner + i), bi);
    }
  }
}

/** gx[o, l, i] += alpha * gy[o, i]. */
export function broadcastAxis(gy: usize, outer: i32, len: i32, inner: i32, gx: usize, alpha: f32): void {
  for (let o = 0; o < outer; o++) {
    const src = at(gy, o * inner);
    if (inner == 1) {
      const v = alpha * load<f32>(src);
      const vv = f32x4.splat(v);
      const d = at(gx, o * len);
      let l = 0;
      for (; l + 4 <= len; l += 4) v128.store(at(d, l), f32x4.add(v128.load(at(d, l)), vv));
      for (; l < len; l++) store<f32>(at(d, l), load<f32>(at(d, l)) + v);
      continue;
    }
    for (let l = 0; l < len; l++) axpy(alpha, src, at(gx, (o * len + l) * inner), inner);
  }
}

/** gx[o, argmax[o, i], i] += gy[o, i]. */
export function scatterArgmax(gy: usize, argmax: usize, outer: i32, len: i32, inner: i32, gx: usize): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const k = o * inner + i;
      const p = at(gx, (o * len + load<i32>(at(argmax, k))) * inner + i);
      store<f32>(p, load<f32>(p) + load<f32>(at(gy, k)));
    }
  }
}

/** Σ x², accumulated in f64 (norms of large gradients must not lose precision). */
export function sumSquares(x: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = s0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    const lo = widenLo(v), hi = widenHi(v);
    s0 = f64x2.add(s0, f64x2.mul(lo, lo));
    s1 = f64x2.add(s1, f64x2.mul(hi, hi));
  }
  let s = hsum64(f64x2.add(s0, s1));
  for (; i < n; i++) { const v = <f64>load<f32>(at(x, i)); s += v * v; }
  return s;
}

/** max |x| (NaN if any element is NaN). */
export function maxAbs(x: usize, n: i32): f32 {
  let m0 = f32x4.splat(0), m1 = m0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    m0 = f32x4.max(m0, f32x4.abs(v128.load(at(x, i))));
    m1 = f32x4.max(m1, f32x4.abs(v128.load(at(x, i), 16)));
  }
  let m = hmax(f32x4.max(m0, m1));
  for (; i < n; i++) { const v = abs<f32>(load<f32>(at(x, i))); if (v > m || v != v) m = v; }
  return m;
}

/** Row-wise softmax (or log-softmax) over rows of width n. */
export function softmax(x: usize, rows: i32, n: i32, out: usize, log: bool): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * n), orow = at(out, r * n);
    let m0 = f32x4.splat(-Infinity), m1 = m0;
    let j = 0;
    for (; j + 8 <= n; j += 8) { m0 = f32x4.max(m0, v128.load(at(xr, j))); m1 = f32x4.max(m1, v128.load(at(xr, j), 16)); }
    let mx = hmax(f32x4.max(m0, m1));
    for (; j < n; j++) mx = max(mx, load<f32>(at(xr, j)));
    const vm = f32x4.splat(mx);
    let s0 = f32x4.splat(0);
    j = 0;
    if (log) {
      for (; j + 4 <= n; j += 4) s0 = f32x4.add(s0, vexp(f32x4.sub(v128.load(at(xr, j)), vm)));
      let s = hsum(s0);
      for (; j < n; j++) s += sexp(load<f32>(at(xr, j)) - mx);
      // Subtract in two steps: (x - mx) - log(s) keeps the full precision of x - mx.
      const ls = f32x4.splat(slog(s));
      j = 0;
      for (; j + 4 <= n; j += 4) v128.store(at(orow, j), f32x4.sub(f32x4.sub(v128.load(at(xr, j)), vm), ls));
      const l = f32x4.extract_lane(ls, 0);
      for (; j < n; j++) store<f32>(at(orow, j), (load<f32>(at(xr, j)) - mx) - l);
    } else {
      for (; j + 4 <= n; j += 4) {
        const e = vexp(f32x4.sub(v128.load(at(xr, j)), vm));
        v128.store(at(orow, j), e);
        s0 = f32x4.add(s0, e);
      }
      let s = hsum(s0);
      for (; j < n; j++) { const e = sexp(load<f32>(at(xr, j)) - mx); store<f32>(at(orow, j), e); s += e; }
      const inv = f32x4.splat(s);
      j = 0;
      for (; j + 4 <= n; j += 4) v128.store(at(orow, j), f32x4.div(v128.load(at(orow, j)), inv));
      for (; j < n; j++) store<f32>(at(orow, j), load<f32>(at(orow, j)) / s);
    }
  }
}

/** gx += y*(gy - Σ gy·y) (softmax) or gy - exp(y)·Σ gy (log-softmax). */
export function softmaxBackward(y: usize, gy: usize, rows: i32, n: i32, gx: usize, log: bool): void {
  for (let r = 0; r < rows; r++) {
    const yr = at(y, r * n), gr = at(gy, r * n), xr = at(gx, r * n);
    let s0 = f32x4.splat(0), s1 = s0;
    let j = 0;
    if (log) {
      for (; j + 8 <= n; j += 8) { s0 = f32x4.add(s0, v128.load(at(gr, j))); s1 = f32x4.add(s1, v128.load(at(gr, j), 16)); }
      let s = hsum(f32x4.add(s0, s1));
      for (; j < n; j++) s += load<f32>(at(gr, j));
      const vs = f32x4.splat(s);
      j = 0;
      for (; j + 4 <= n; j += 4) {
        const d = f32x4.sub(v128.load(at(gr, j)), f32x4.mul(vexp(v128.load(at(yr, j))), vs));
        v128.store(at(xr, j), f32x4.add(v128.load(at(xr, j)), d));
      }
      for (; j < n; j++) store<f32>(at(xr, j), load<f32>(at(xr, j)) + (load<f32>(at(gr, j)) - sexp(load<f32>(at(yr, j))) * s));
    } else {
      for (; j + 8 <= n; j += 8) {
        s0 = madd(v128.load(at(gr, j)), v128.load(at(yr, j)), s0);
        s1 = madd(v128.load(at(gr, j), 16), v128.load(at(yr, j), 16), s1);
      }
      let s = hsum(f32x4.add(s0, s1));
      for (; j < n; j++) s += load<f32>(at(gr, j)) * load<f32>(at(yr, j));
      const vs = f32x4.splat(s);
      j = 0;
      for (; j + 4 <= n; j += 4) {
        const d = f32x4.mul(v128.load(at(yr, j)), f32x4.sub(v128.load(at(gr, j)), vs));
        v128.store(at(xr, j), f32x4.add(v128.load(at(xr, j)), d));
      }
      for (; j < n; j++) store<f32>(at(xr, j), load<f32>(at(xr, j)) + load<f32>(at(yr, j)) * (load<f32>(at(gr, j)) - s));
    }
  }
}

/** dst = src over n floats, or dst += src. */
// @ts-ignore: decorator
@inline function copyOrAdd(src: usize, dst: usize, n: i32, acc: bool): void {
  if (!acc) { memory.copy(dst, src, <usize>n << 2); return; }
  axpy(1, src, dst, n);
}

/** out[r, :] = table[idx[r], :]. Indices are validated by the caller. */
export function gatherRows(table: usize, d: i32, idx: usize, nidx: i32, out: usize): void {
  if (d == 1) {
    for (let r = 0; r < nidx; r++) store<f32>(at(out, r), load<f32>(at(table, load<i32>(at(idx, r)))));
    return;
  }
  for (let r = 0; r < nidx; r++) memory.copy(at(out, r * d), at(table, load<i32>(at(idx, r)) * d), <usize>d << 2);
}

/** table[idx[r], :] += src[r, :]; repeated indices accumulate in order. */
export function scatterAddRows(src: usize, d: i32, idx: usize, nidx: i32, table: usize): void {
  if (d == 1) {
    for (let r = 0; r < nidx; r++) { const p = at(table, load<i32>(at(idx, r))); store<f32>(p, load<f32>(p) + load<f32>(at(src, r))); }
    return;
  }
  for (let r = 0; r < nidx; r++) axpy(1, at(src, r * d), at(table, load<i32>(at(idx, r)) * d), d);
}

/** count blocks of len: dst[c*dStride + j] (=|+=) src[c*sStride + j] (offsets already applied). */
export function copyBlocks(src: usize, sStride: i32, dst: usize, dStride: i32, len: i32, count: i32, acc: bool): void {
  for (let c = 0; c < count; c++) copyOrAdd(at(src, c * sStride), at(dst, c * dStride), len, acc);
}

/** x [outer, A, mid, B, inner] -> out [outer, B, mid, A, inner] (=|+=). */
export function swapAxes(x: usize, outer: i32, A: i32, mid: i32, B: i32, inner: i32, out: usize, acc: bool): void {
  if (inner >= 4) {
    for (let o = 0; o < outer; o++)
      for (let a = 0; a < A; a++)
        for (let m = 0; m < mid; m++)
          for (let b = 0; b < B; b++) {
            const s = (((o * A + a) * mid + m) * B + b) * inner;
            const d = (((o * B + b) * mid + m) * A + a) * inner;
            copyOrAdd(at(x, s), at(out, d), inner, acc);
          }
    return;
  }
  // Small inner: for each (o, m) this is a 2-D transpose of an A x B grid of inner-sized
  // cells, src row stride mid*B*inner, dst row stride mid*A*inner.
  const sRow = mid * B * inner, dRow = mid * A * inner;
  for (let o = 0; o < outer; o++)
    for (let m = 0; m < mid; m++) {
      const s0 = at(x, ((o * A * mid + m) * B) * inner);
      const d0 = at(out, ((o * B * mid + m) * A) * inner);
      if (inner == 1) transpose2d(s0, sRow, d0, dRow, A, B, acc);
      else {
        for (let a = 0; a < A; a++)
          for (let b = 0; b < B; b++) {
            const s = at(s0, a * sRow + b * inner), d = at(d0, b * dRow + a * inner);
            for (let i = 0; i < inner; i++) store<f32>(at(d, i), acc ? load<f32>(at(d, i)) + load<f32>(at(s, i)) : load<f32>(at(s, i)));
          }
      }
    }
}

/**
 * dst[b*dRow + a] (=|+=) src[a*sRow + b] for a < A, b < B: 4x4 blocks transposed in registers
 * (two rounds of shuffles), walked in 32x32 tiles so reads and writes stay in L1.
 */
function transpose2d(src: usize, sRow: i32, dst: usize, dRow: i32, A: i32, B: i32, acc: bool): void {
  const A4 = A & ~3, B4 = B & ~3;
  for (let a0 = 0; a0 < A4; a0 += 32) {
    const a1 = min(A4, a0 + 32);
    for (let b0 = 0; b0 < B4; b0 += 32) {
      const b1 = min(B4, b0 + 32);
      for (let a = a0; a < a1; a += 4)
        for (let b = b0; b < b1; b += 4) {
          const s = at(src, a * sRow + b);
          const r0 = v128.load(s), r1 = v128.load(at(s, sRow)), r2 = v128.load(at(s, 2 * sRow)), r3 = v128.load(at(s, 3 * sRow));
          const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          const c0 = v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), c1 = v128.shuffle<f32>(t0, t2, 2, 3, 6, 7);
          const c2 = v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), c3 = v128.shuffle<f32>(t1, t3, 2, 3, 6, 7);
          const d = at(dst, b * dRow + a);
          const d1 = at(d, dRow), d2 = at(d, 2 * dRow), d3 = at(d, 3 * dRow);
          if (acc) {
            v128.store(d, f32x4.add(v128.load(d), c0)); v128.store(d1, f32x4.add(v128.load(d1), c1));
            v128.store(d2, f32x4.add(v128.load(d2), c2)); v128.store(d3, f32x4.add(v128.load(d3), c3));
          } else {
            v128.store(d, c0); v128.store(d1, c1); v128.store(d2, c2); v128.store(d3, c3);
          }
        }
    }
  }
  // Edges: the rows a >= A4 (all columns) and the columns b >= B4 (rows < A4).
  for (let a = 0; a < A; a++) {
    const bStart = a < A4 ? B4 : 0;
    for (let b = bStart; b < B; b++) {
      const s = at(src, a * sRow + b), d = at(dst, b * dRow + a);
      store<f32>(d, acc ? load<f32>(d) + load<f32>(s) : load<f32>(s));
    }
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

/** Layer norm over rows of width n; mean and variance accumulated in f64. gamma/beta may be 0 (absent). */
export function layerNorm(x: usize, rows: i32, n: i32, gamma: usize, beta: usize, eps: f32, out: usize, mean: usize, rstd: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * n), orow = at(out, r * n);
    let s0 = f64x2.splat(0), s1 = s0;
    let j = 0;
    for (; j + 4 <= n; j += 4) { const v = v128.load(at(xr, j)); s0 = f64x2.add(s0, widenLo(v)); s1 = f64x2.add(s1, widenHi(v)); }
    let s = hsum64(f64x2.add(s0, s1));
    for (; j < n; j++) s += <f64>load<f32>(at(xr, j));
    const mf = <f32>(s / <f64>n);
    const vm = f32x4.splat(mf);
    s0 = f64x2.splat(0); s1 = s0;
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const d = f32x4.sub(v128.load(at(xr, j)), vm);
      const lo = widenLo(d), hi = widenHi(d);
      s0 = f64x2.add(s0, f64x2.mul(lo, lo)); s1 = f64x2.add(s1, f64x2.mul(hi, hi));
    }
    let v = hsum64(f64x2.add(s0, s1));
    for (; j < n; j++) { const d = <f64>(load<f32>(at(xr, j)) - mf); v += d * d; }
    const rs = <f32>(1 / Math.sqrt(v / <f64>n + <f64>eps));
    store<f32>(at(mean, r), mf);
    store<f32>(at(rstd, r), rs);
    const vr = f32x4.splat(rs);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      let h = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), vm), vr);
      if (gamma) h = f32x4.mul(h, v128.load(at(gamma, j)));
      if (beta) h = f32x4.add(h, v128.load(at(beta, j)));
      v128.store(at(orow, j), h);
    }
    for (; j < n; j++) {
      let h = (load<f32>(at(xr, j)) - mf) * rs;
      if (gamma) h *= load<f32>(at(gamma, j));
      if (beta) h += load<f32>(at(beta, j));
      store<f32>(at(orow, j), h);
    }
  }
}

export function layerNormBackward(x: usize, gy: usize, rows: i32, n: i32, gamma: usize, mean: usize, rstd: usize,
  gx: usize, gGamma: usize, gBeta: usize): void {
  const one = f32x4.splat(1);
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * n), gr = at(gy, r * n);
    const mf = load<f32>(at(mean, r)), rs = load<f32>(at(rstd, r));
    const vm = f32x4.splat(mf), vr = f32x4.splat(rs);
    let sd = f32x4.splat(0), sdx = sd;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), vm), vr);
      const g = v128.load(at(gr, j));
      const d = gamma ? f32x4.mul(g, v128.load(at(gamma, j))) : g;
      sd = f32x4.add(sd, d);
      sdx = madd(d, xh, sdx);
      if (gGamma) v128.store(at(gGamma, j), madd(g, xh, v128.load(at(gGamma, j))));
      if (gBeta) v128.store(at(gBeta, j), f32x4.add(v128.load(at(gBeta, j)), g));
    }
    let sumD = hsum(sd), sumDX = hsum(sdx);
    for (; j < n; j++) {
      const xh = (load<f32>(at(xr, j)) - mf) * rs;
      const g = load<f32>(at(gr, j));
      const d = gamma ? g * load<f32>(at(gamma, j)) : g;
      sumD += d;
      sumDX += d * xh;
      if (gGamma) store<f32>(at(gGamma, j), load<f32>(at(gGamma, j)) + g * xh);
      if (gBeta) store<f32>(at(gBeta, j), load<f32>(at(gBeta, j)) + g);
    }
    if (!gx) continue;
    const gxr = at(gx, r * n);
    const md = sumD / <f32>n, mdx = sumDX / <f32>n;
    const vmd = f32x4.splat(md), vmdx = f32x4.splat(mdx);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), vm), vr);
      const g = v128.load(at(gr, j));
      const d = gamma ? f32x4.mul(g, v128.load(at(gamma, j))) : f32x4.mul(g, one);
      const t = f32x4.mul(vr, f32x4.sub(f32x4.sub(d, vmd), f32x4.mul(xh, vmdx)));
      v128.store(at(gxr, j), f32x4.add(v128.load(at(gxr, j)), t));
    }
    for (; j < n; j++) {
      const xh = (load<f32>(at(xr, j)) - mf) * rs;
      const g = load<f32>(at(gr, j));
      const d = gamma ? g * load<f32>(at(gamma, j)) : g;
      store<f32>(at(gxr, j), load<f32>(at(gxr, j)) + rs * (d - md - xh * mdx));
    }
  }
}

/**
 * One Adam/AdamW step in place. The scalar factors (bias corrections, decay) are computed in
 * f64 by the caller; the per-element update runs in f32 as PyTorch's does.
 */
export function adamStep(p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  b1: f32, b2: f32, stepSize: f32, bc2sqrt: f32, eps: f32, decay: f32, l2: f32): void {
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), c1 = f32x4.splat(1 - b1), c2 = f32x4.splat(1 - b2);
  const vstep = f32x4.splat(stepSize), vbc = f32x4.splat(bc2sqrt), veps = f32x4.splat(eps);
  const vdecay = f32x4.splat(decay), vl2 = f32x4.splat(l2);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pi = v128.load(at(p, i));
    const gi = f32x4.add(v128.load(at(g, i)), f32x4.mul(vl2, pi));
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(at(m, i))), f32x4.mul(c1, gi));
    let vi = f32x4.add(f32x4.mul(vb2, v128.load(at(v, i))), f32x4.mul(f32x4.mul(c2, gi), gi));
    v128.store(at(m, i), mi);
    v128.store(at(v, i), vi);
    if (vmax) { vi = f32x4.max(v128.load(at(vmax, i)), vi); v128.store(at(vmax, i), vi); }
    const den = f32x4.add(f32x4.div(f32x4.sqrt(vi), vbc), veps);
    v128.store(at(p, i), f32x4.sub(f32x4.mul(pi, vdecay), f32x4.div(f32x4.mul(vstep, mi), den)));
  }
  for (; i < n; i++) {
    const pi = load<f32>(at(p, i));
    const gi = load<f32>(at(g, i)) + l2 * pi;
    const mi = b1 * load<f32>(at(m, i)) + (1 - b1) * gi;
    let vi = b2 * load<f32>(at(v, i)) + (1 - b2) * gi * gi;
    store<f32>(at(m, i), mi);
    store<f32>(at(v, i), vi);
    if (vmax) { vi = max(load<f32>(at(vmax, i)), vi); store<f32>(at(vmax, i), vi); }
    store<f32>(at(p, i), pi * decay - (stepSize * mi) / (sqrt<f32>(vi) / bc2sqrt + eps));
  }
}
