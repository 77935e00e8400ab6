// Optimizer steps (contract: src/kernels/optim-types.ts, reference: src/kernels/js/optim.ts).
// Pointers and lengths as in index.ts; semantics (NaN handling, accumulate-vs-overwrite) are the reference's.

import { acc, at, ld, st } from './simd';

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

// @ts-ignore: decorator
@inline function rmsE(i: i32, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  lr: f32, alpha: f32, eps: f32, wd: f32, momentum: f32, vec: bool): void {
  const pi = ld(at(p, i), vec);
  const gi = wd != 0 ? f32x4.add(ld(at(g, i), vec), f32x4.mul(f32x4.splat(wd), pi)) : ld(at(g, i), vec);
  const va = f32x4.splat(alpha), vc = f32x4.splat(1 - alpha);
  const s = f32x4.add(f32x4.mul(va, ld(at(sq, i), vec)), f32x4.mul(f32x4.mul(vc, gi), gi));
  st(at(sq, i), s, vec);
  let avg: v128;
  if (ga) {
    const a = f32x4.add(f32x4.mul(va, ld(at(ga, i), vec)), f32x4.mul(vc, gi));
    st(at(ga, i), a, vec);
    avg = f32x4.add(f32x4.sqrt(f32x4.sub(s, f32x4.mul(a, a))), f32x4.splat(eps));
  } else {
    avg = f32x4.add(f32x4.sqrt(s), f32x4.splat(eps));
  }
  if (buf) {
    const b = f32x4.add(f32x4.mul(f32x4.splat(momentum), ld(at(buf, i), vec)), f32x4.div(gi, avg));
    st(at(buf, i), b, vec);
    st(at(p, i), f32x4.sub(pi, f32x4.mul(f32x4.splat(lr), b)), vec);
  } else {
    st(at(p, i), f32x4.sub(pi, f32x4.div(f32x4.mul(f32x4.splat(lr), gi), avg)), vec);
  }
}

export function rmspropStep(p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr: f32, alpha: f32, eps: f32, wd: f32, momentum: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) rmsE(i, p, g, sq, ga, buf, lr, alpha, eps, wd, momentum, true);
  for (; i < n; i++) rmsE(i, p, g, sq, ga, buf, lr, alpha, eps, wd, momentum, false);
}

// @ts-ignore: decorator
@inline function adaE(i: i32, p: usize, g: usize, sum: usize, clr: f32, wd: f32, eps: f32, vec: bool): void {
  const pi = ld(at(p, i), vec);
  const gi = wd != 0 ? f32x4.add(ld(at(g, i), vec), f32x4.mul(f32x4.splat(wd), pi)) : ld(at(g, i), vec);
  const s = f32x4.add(ld(at(sum, i), vec), f32x4.mul(gi, gi));
  st(at(sum, i), s, vec);
  st(at(p, i), f32x4.sub(pi, f32x4.div(f32x4.mul(f32x4.splat(clr), gi), f32x4.add(f32x4.sqrt(s), f32x4.splat(eps)))), vec);
}

export function adagradStep(p: usize, g: usize, sum: usize, n: i32, clr: f32, wd: f32, eps: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) adaE(i, p, g, sum, clr, wd, eps, true);
  for (; i < n; i++) adaE(i, p, g, sum, clr, wd, eps, false);
}
