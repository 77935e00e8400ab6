// Reductions (contract: src/kernels/reduce-types.ts, reference: src/kernels/js/reduce.ts).
// Pointers and lengths as in index.ts; semantics (NaN handling, accumulate-vs-overwrite) are the reference's.

import { at, hmax, hsum, hsum64, widenHi, widenLo } from './simd';
import { axpy } from './elementwise';

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
