// Data movement (contract: src/kernels/memory-types.ts, reference: src/kernels/js/memory.ts).
// Pointers and lengths as in index.ts; semantics (NaN handling, accumulate-vs-overwrite) are the reference's.

import { at } from './simd';
import { axpy } from './elementwise';

/**
 * x[0, n) = v. Zero is memory.fill (memset speed): TypedArray.prototype.fill on a view of
 * shared memory is several times slower (docs/kernels.md), and every reused heap block is
 * zeroed on allocation.
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
