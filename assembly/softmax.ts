// Softmax (contract: src/kernels/softmax-types.ts, reference: src/kernels/js/softmax.ts).
// Pointers and lengths as in index.ts; semantics (NaN handling, accumulate-vs-overwrite) are the reference's.

import { at, hmax, hsum, madd } from './simd';
import { sexp, slog, vexp } from './math';

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
