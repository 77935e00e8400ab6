// Batched matrix-vector products for attention: per batch entry b, a small [M, N] matrix (the
// encoder memory of one sentence) times a vector. Too small for GEMM packing, and a GEMM per
// entry would pay the call overhead batch times; one call loops over the batch here.

import { hsum, madd } from './simd';

/**
 * trans = 0: y[b, m] (=|+=) Σ_n A[b, m, n] · x[b, n];  trans = 1: y[b, n] (=|+=) Σ_m A[b, m, n] · x[b, m].
 * Sums run in f32 with four f32x4 partial sums (then the scalar tail), unlike the js
 * reference's f64: results agree to rounding, not bit for bit.
 */
export function bmv(trans: bool, batch: i32, M: i32, N: i32, A: usize, x: usize, y: usize, accumulate: bool): void {
  for (let b = 0; b < batch; b++) {
    const a = A + <usize>b * <usize>M * <usize>N * 4;
    if (!trans) {
      const xb = x + <usize>(b * N) * 4, yb = y + <usize>(b * M) * 4;
      for (let m = 0; m < M; m++) {
        const row = a + <usize>(m * N) * 4;
        let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
        let n = 0;
        for (; n + 16 <= N; n += 16) {
          const o = <usize>n * 4;
          s0 = madd(v128.load(row + o), v128.load(xb + o), s0);
          s1 = madd(v128.load(row + o, 16), v128.load(xb + o, 16), s1);
          s2 = madd(v128.load(row + o, 32), v128.load(xb + o, 32), s2);
          s3 = madd(v128.load(row + o, 48), v128.load(xb + o, 48), s3);
        }
        for (; n + 4 <= N; n += 4) s0 = madd(v128.load(row + <usize>n * 4), v128.load(xb + <usize>n * 4), s0);
        let acc = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
        for (; n < N; n++) acc += load<f32>(row + <usize>n * 4) * load<f32>(xb + <usize>n * 4);
        const p = yb + <usize>m * 4;
        store<f32>(p, accumulate ? load<f32>(p) + acc : acc);
      }
    } else {
      const xb = x + <usize>(b * M) * 4, yb = y + <usize>(b * N) * 4;
      if (!accumulate) memory.fill(yb, 0, <usize>N * 4);
      for (let m = 0; m < M; m++) axpyRow(N, load<f32>(xb + <usize>m * 4), a + <usize>(m * N) * 4, yb);
    }
  }
}

/** A[b, m, n] += x[b, m] · y[b, n]. */
export function bger(batch: i32, M: i32, N: i32, x: usize, y: usize, A: usize): void {
  for (let b = 0; b < batch; b++) {
    const a = A + <usize>b * <usize>M * <usize>N * 4;
    const xb = x + <usize>(b * M) * 4, yb = y + <usize>(b * N) * 4;
    for (let m = 0; m < M; m++) axpyRow(N, load<f32>(xb + <usize>m * 4), yb, a + <usize>(m * N) * 4);
  }
}

/** dst[0..N) += s · src[0..N). */
// @ts-ignore: decorator
@inline function axpyRow(N: i32, s: f32, src: usize, dst: usize): void {
  const vs = f32x4.splat(s);
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    const o = <usize>n * 4;
    v128.store(dst + o, madd(vs, v128.load(src + o), v128.load(dst + o)));
  }
  for (; n < N; n++) {
    const o = <usize>n * 4;
    store<f32>(dst + o, load<f32>(dst + o) + s * load<f32>(src + o));
  }
}
