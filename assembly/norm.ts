// Layer norm (contract: src/kernels/norm-types.ts, reference: src/kernels/js/norm.ts).
// Pointers and lengths as in index.ts; semantics (NaN handling, accumulate-vs-overwrite) are the reference's.

import { at, hsum, hsum64, madd, widenHi, widenLo } from './simd';

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
