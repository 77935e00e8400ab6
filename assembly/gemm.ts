// GEMM: C = alpha * op(A) · op(B) + beta * C, row-major, all four transpose combinations.
//
// Structure (GotoBLAS/BLIS): the operands are packed, block by block, into contiguous panels
// so that ONE register-blocked micro-kernel serves every transpose case — the backward pass
// lives on AᵀB and ABᵀ, so those must be as fast as AB. Packing cost is O(MK + KN) against
// O(MNK) flops, and the transposing packs use 4x4 SIMD shuffles.
//
//   for jc (NC columns of C)        B block  KC x NC packed into [NR-panel][k][NR]  (L2/L3)
//     for pc (KC of the K axis)
//       pack B
//       for ic (MC rows)            A block  MC x KC packed into [MR-panel][k][MR]  (L2)
//         pack A
//         for jr (NR), ir (MR)      micro-kernel: MR x NR tile in registers, B micro-panel in L1
//
// Single-row (M = 1, batch-1 generation) and single-column products skip packing: a
// matrix-vector loop streams the matrix once, which beats the tiled kernel there.

import { hsum, madd } from './simd';

// Register tile: 2 rows x 16 columns = 8 f32x4 accumulators + 4 B vectors + 2 A splats,
// which fits the 16 SIMD registers V8 uses on x64 without spills.
const MR: i32 = 2;
const NR: i32 = 16;
// Cache blocking, tuned on Zen4 (32 KiB L1d, 1 MiB L2): the B micro-panel (KC*NR*4 = 16 KiB)
// stays in L1 while the A block (MC*KC*4 = 128 KiB) streams from L2.
const MC: i32 = 128;
const KC: i32 = 256;
const NC: i32 = 1024;

/** Bytes of scratch `gemm` needs for these sizes (packed panels, edge tile, gathered vectors). */
export function gemmWorkBytes(M: i32, N: i32, K: i32): i32 {
  // The tiled path uses a fixed layout (A block, B block, edge tile) at 64-byte alignment.
  const packed = (MC * KC + KC * NC + MR * NR) * 4 + 3 * 64;
  const gemv = (max(M, N) + K) * 4 + 2 * 64;
  return max(packed, gemv);
}

// @ts-ignore: decorator
@inline function alignUp(p: usize): usize {
  return (p + 63) & ~(<usize>63);
}

/** transB value meaning "B is already packed by packBPanels" (see gemm). */
const PACKED: i32 = 2;

/**
 * Packs all of op(B) (K x N) into NR-column panels laid out [panel][k][NR], zero-padded to a
 * multiple of NR columns (N16 * K floats). A product that reuses B many times (a recurrent
 * layer's W_hh over every timestep) packs it once and passes it to gemm as transB = PACKED,
 * with ldb = K. Columns j.. of the packed matrix (j a multiple of NR) start j*K floats in.
 */
export function packBPanels(transB: bool, B: usize, ldb: i32, K: i32, N: i32, dst: usize): void {
  packB(transB, B, ldb, 0, 0, K, N, dst);
}

/**
 * transB: 0 or 1, or PACKED: B points to panels from packBPanels (for all of op(B)'s K rows,
 * ldb = K), which are read in place instead of packed per K block.
 */
export function gemm(transA: bool, transB: i32, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, work: usize): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) {
    scaleC(M, N, beta, C, ldc);
    return;
  }
  const packed = transB == PACKED;
  if (M == 1 && !packed) {
    gemmRow(transA, transB != 0, N, K, alpha, A, lda, B, ldb, beta, C, work);
    return;
  }
  if (N == 1 && !packed) {
    gemmCol(transA, transB != 0, M, K, alpha, A, lda, B, ldb, beta, C, ldc, work);
    return;
  }
  const pa = alignUp(work);
  const pb = alignUp(pa + <usize>(MC * KC * 4));
  const tile = alignUp(pb + <usize>(KC * NC * 4));
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      // Only the first K block applies beta; later ones accumulate onto it.
      const bEff: f32 = pc == 0 ? beta : 1;
      // Micro-panel jr of this block: packed here (panels kc deep), or in place (K deep).
      let bBase = pb, panelB = <usize>(kc * NR * 4);
      if (packed) {
        bBase = B + (<usize>jc * <usize>ldb + <usize>(pc * NR)) * 4;
        panelB = <usize>ldb * <usize>(NR * 4);
      } else {
        packB(transB != 0, B, ldb, pc, jc, kc, nc, pb);
      }
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(transA, A, lda, ic, pc, mc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = bBase + <usize>(jr / NR) * panelB;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = pa + <usize>(ir * kc * 4);
            const c = C + (<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) * 4;
            if (mr == MR && nr == NR) {
              kernel(kc, ap, bp, c, <usize>ldc * 4, alpha, bEff);
            } else {
              kernel(kc, ap, bp, tile, <usize>NR * 4, 1, 0);
              mergeTile(tile, mr, nr, c, ldc, alpha, bEff);
            }
          }
        }
      }
    }
  }
}

/** C = beta * C (C is not read when beta is 0, so NaN there does not leak). */
function scaleC(M: i32, N: i32, beta: f32, C: usize, ldc: i32): void {
  if (beta == 1) return;
  const vb = f32x4.splat(beta);
  for (let i = 0; i < M; i++) {
    const row = C + <usize>i * <usize>ldc * 4;
    let j = 0;
    if (beta == 0) {
      for (; j + 4 <= N; j += 4) v128.store(row + <usize>j * 4, f32x4.splat(0));
      for (; j < N; j++) store<f32>(row + <usize>j * 4, 0);
    } else {
      for (; j + 4 <= N; j += 4) v128.store(row + <usize>j * 4, f32x4.mul(vb, v128.load(row + <usize>j * 4)));
      for (; j < N; j++) store<f32>(row + <usize>j * 4, beta * load<f32>(row + <usize>j * 4));
    }
  }
}

/**
 * The micro-kernel: a 2x16 tile of alpha * Apanel · Bpanel over kc, stored as
 * c = alpha*acc + beta*c (beta 0: c is not read). ldcB is the row stride in bytes.
 */
function kernel(kc: i32, ap: usize, bp: usize, c: usize, ldcB: usize, alpha: f32, beta: f32): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00;
  let c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
    const a0 = v128.load32_splat(ap);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01); c02 = madd(a0, b2, c02); c03 = madd(a0, b3, c03);
    const a1 = v128.load32_splat(ap, 4);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11); c12 = madd(a1, b2, c12); c13 = madd(a1, b3, c13);
    ap += 8;
    bp += 64;
  }
  const va = f32x4.splat(alpha);
  const c1 = c + ldcB;
  if (beta == 0) {
    v128.store(c, f32x4.mul(va, c00)); v128.store(c, f32x4.mul(va, c01), 16);
    v128.store(c, f32x4.mul(va, c02), 32); v128.store(c, f32x4.mul(va, c03), 48);
    v128.store(c1, f32x4.mul(va, c10)); v128.store(c1, f32x4.mul(va, c11), 16);
    v128.store(c1, f32x4.mul(va, c12), 32); v128.store(c1, f32x4.mul(va, c13), 48);
  } else if (beta == 1) {
    v128.store(c, madd(va, c00, v128.load(c))); v128.store(c, madd(va, c01, v128.load(c, 16)), 16);
    v128.store(c, madd(va, c02, v128.load(c, 32)), 32); v128.store(c, madd(va, c03, v128.load(c, 48)), 48);
    v128.store(c1, madd(va, c10, v128.load(c1))); v128.store(c1, madd(va, c11, v128.load(c1, 16)), 16);
    v128.store(c1, madd(va, c12, v128.load(c1, 32)), 32); v128.store(c1, madd(va, c13, v128.load(c1, 48)), 48);
  } else {
    const vb = f32x4.splat(beta);
    v128.store(c, madd(va, c00, f32x4.mul(vb, v128.load(c))));
    v128.store(c, madd(va, c01, f32x4.mul(vb, v128.load(c, 16))), 16);
    v128.store(c, madd(va, c02, f32x4.mul(vb, v128.load(c, 32))), 32);
    v128.store(c, madd(va, c03, f32x4.mul(vb, v128.load(c, 48))), 48);
    v128.store(c1, madd(va, c10, f32x4.mul(vb, v128.load(c1))));
    v128.store(c1, madd(va, c11, f32x4.mul(vb, v128.load(c1, 16))), 16);
    v128.store(c1, madd(va, c12, f32x4.mul(vb, v128.load(c1, 32))), 32);
    v128.store(c1, madd(va, c13, f32x4.mul(vb, v128.load(c1, 48))), 48);
  }
}

/**
 * Edge tiles: the kernel wrote a full tile to scratch; copy the valid mr x nr part. The store
 * uses the same f32x4 arithmetic as the kernel's (incl. the fused multiply-add of the relaxed
 * build), so an element's value does not depend on whether it fell in an edge tile — results
 * are identical however a product is split (across threads, or by the caller).
 */
function mergeTile(tile: usize, mr: i32, nr: i32, c: usize, ldc: i32, alpha: f32, beta: f32): void {
  const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
  for (let i = 0; i < mr; i++) {
    const t = tile + <usize>(i * NR) * 4;
    const r = c + <usize>i * <usize>ldc * 4;
    for (let j = 0; j < nr; j++) {
      const acc = f32x4.splat(load<f32>(t + <usize>j * 4));
      const p = r + <usize>j * 4;
      let v: v128;
      if (beta == 0) v = f32x4.mul(va, acc);
      else if (beta == 1) v = madd(va, acc, f32x4.splat(load<f32>(p)));
      else v = madd(va, acc, f32x4.mul(vb, f32x4.splat(load<f32>(p))));
      store<f32>(p, f32x4.extract_lane(v, 0));
    }
  }
}

/** Packs op(A)[ic.., pc..] (mc x kc) into MR-row panels laid out [k][MR], zero-padded. */
function packA(transA: bool, A: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  if (transA) {
    packAT(A, lda, ic, pc, mc, kc, dst);
    return;
  }
  const ld = <usize>lda;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const d = dst + <usize>(ir * kc) * 4;
    // op(A)(i, k) = A[i*lda + k]: rows are contiguous in k; interleave two rows.
    const r0 = A + (<usize>(ic + ir) * ld + <usize>pc) * 4;
    if (mr == 2) {
      const r1 = r0 + ld * 4;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const x = v128.load(r0 + <usize>k * 4), y = v128.load(r1 + <usize>k * 4);
        v128.store(d + <usize>k * 8, v128.shuffle<f32>(x, y, 0, 4, 1, 5));
        v128.store(d + <usize>k * 8, v128.shuffle<f32>(x, y, 2, 6, 3, 7), 16);
      }
      for (; k < kc; k++) {
        store<f32>(d + <usize>k * 8, load<f32>(r0 + <usize>k * 4));
        store<f32>(d + <usize>k * 8, load<f32>(r1 + <usize>k * 4), 4);
      }
    } else {
      for (let k = 0; k < kc; k++) {
        store<f32>(d + <usize>k * 8, load<f32>(r0 + <usize>k * 4));
        store<f32>(d + <usize>k * 8, 0, 4);
      }
    }
  }
}

/**
 * packA for op(A) = Aᵀ: op(A)(i, k) = A[k*lda + i], so the mc values of one k are contiguous.
 * Walk k in the outer loop and read each row segment once with SIMD loads (two panels per
 * f32x4), instead of reading 8 bytes per row at a large stride, which thrashes L1 when lda is
 * a multiple of 4 KiB.
 */
function packAT(A: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  const ld = <usize>lda;
  const panelB = <usize>(kc * MR) * 4;
  for (let k = 0; k < kc; k++) {
    const s = A + (<usize>(pc + k) * ld + <usize>ic) * 4;
    const d = dst + <usize>k * 8;
    let i = 0;
    for (; i + 4 <= mc; i += 4) {
      const v = v128.load(s + <usize>i * 4);
      const di = d + <usize>(i >> 1) * panelB;
      v128.store64_lane(di, v, 0);
      v128.store64_lane(di + panelB, v, 1);
    }
    for (; i < mc; i++) {
      // Odd tail row: its panel's second slot is zero padding.
      const di = d + <usize>(i >> 1) * panelB + <usize>(i & 1) * 4;
      store<f32>(di, load<f32>(s + <usize>i * 4));
      if ((i & 1) == 0 && i + 1 == mc) store<f32>(di, 0, 4);
    }
  }
}

/** Packs op(B)[pc.., jc..] (kc x nc) into NR-column panels laid out [k][NR], zero-padded. */
function packB(transB: bool, B: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const ld = <usize>ldb;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const d = dst + <usize>(jr * kc) * 4;
    if (!transB) {
      // op(B)(k, j) = B[k*ldb + j]: each k row of the panel is 16 contiguous floats.
      const s = B + (<usize>pc * ld + <usize>(jc + jr)) * 4;
      if (nr == NR) {
        for (let k = 0; k < kc; k++) {
          const r = s + <usize>k * ld * 4, o = d + <usize>k * 64;
          v128.store(o, v128.load(r)); v128.store(o, v128.load(r, 16), 16);
          v128.store(o, v128.load(r, 32), 32); v128.store(o, v128.load(r, 48), 48);
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const r = s + <usize>k * ld * 4, o = d + <usize>k * 64;
          for (let j = 0; j < NR; j++) store<f32>(o + <usize>j * 4, j < nr ? load<f32>(r + <usize>j * 4) : 0);
        }
      }
    } else {
      // op(B)(k, j) = B[j*ldb + k]: rows of B are contiguous in k; transpose 4x4 blocks.
      const s = B + (<usize>(jc + jr) * ld + <usize>pc) * 4;
      if (nr == NR) {
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = d + <usize>k * 64;
          for (let g = 0; g < 4; g++) {
            const r = s + (<usize>(g * 4) * ld + <usize>k) * 4;
            const r0 = v128.load(r), r1 = v128.load(r + ld * 4), r2 = v128.load(r + ld * 8), r3 = v128.load(r + ld * 12);
            const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
            const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
            const og = o + <usize>g * 16;
            v128.store(og, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
            v128.store(og, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 64);
            v128.store(og, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 128);
            v128.store(og, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 192);
          }
        }
        for (; k < kc; k++) {
          const o = d + <usize>k * 64;
          for (let j = 0; j < NR; j++) store<f32>(o + <usize>j * 4, load<f32>(s + (<usize>j * ld + <usize>k) * 4));
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const o = d + <usize>k * 64;
          for (let j = 0; j < NR; j++) store<f32>(o + <usize>j * 4, j < nr ? load<f32>(s + (<usize>j * ld + <usize>k) * 4) : 0);
        }
      }
    }
  }
}

/**
 * y[i] = Σ_k X[i, k] v[k] for i < n: dot products over contiguous rows, four rows at a time
 * so each load of v feeds four multiply-adds.
 */
function gemvRows(n: i32, K: i32, X: usize, ldx: i32, v: usize, y: usize): void {
  const ld = <usize>ldx * 4;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x0 = X + <usize>i * ld, x1 = x0 + ld, x2 = x1 + ld, x3 = x2 + ld;
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const o = <usize>k * 4;
      const vv = v128.load(v + o);
      s0 = madd(v128.load(x0 + o), vv, s0);
      s1 = madd(v128.load(x1 + o), vv, s1);
      s2 = madd(v128.load(x2 + o), vv, s2);
      s3 = madd(v128.load(x3 + o), vv, s3);
    }
    let a0 = hsum(s0), a1 = hsum(s1), a2 = hsum(s2), a3 = hsum(s3);
    for (; k < K; k++) {
      const o = <usize>k * 4;
      const vk = load<f32>(v + o);
      a0 += load<f32>(x0 + o) * vk; a1 += load<f32>(x1 + o) * vk;
      a2 += load<f32>(x2 + o) * vk; a3 += load<f32>(x3 + o) * vk;
    }
    store<f32>(y + <usize>i * 4, a0); store<f32>(y + <usize>i * 4, a1, 4);
    store<f32>(y + <usize>i * 4, a2, 8); store<f32>(y + <usize>i * 4, a3, 12);
  }
  // Leftover rows: the same arithmetic per row as in the 4-row loop (one accumulator, same
  // order), so a row's value does not depend on its position — splitting rows across threads
  // gives identical bits.
  for (; i < n; i++) {
    const x0 = X + <usize>i * ld;
    let s0 = f32x4.splat(0);
    let k = 0;
    for (; k + 4 <= K; k += 4) s0 = madd(v128.load(x0 + <usize>k * 4), v128.load(v + <usize>k * 4), s0);
    let a = hsum(s0);
    for (; k < K; k++) a += load<f32>(x0 + <usize>k * 4) * load<f32>(v + <usize>k * 4);
    store<f32>(y + <usize>i * 4, a);
  }
}

/** y[j] = Σ_k v[k] X[k, j] for j < n: axpy over contiguous rows of X, four rows per pass over y. */
function gemvCols(n: i32, K: i32, X: usize, ldx: i32, v: usize, y: usize): void {
  const ld = <usize>ldx * 4;
  memory.fill(y, 0, <usize>n * 4);
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const x0 = X + <usize>k * ld, x1 = x0 + ld, x2 = x1 + ld, x3 = x2 + ld;
    const v0 = load<f32>(v + <usize>k * 4), v1 = load<f32>(v + <usize>k * 4, 4);
    const v2 = load<f32>(v + <usize>k * 4, 8), v3 = load<f32>(v + <usize>k * 4, 12);
    const w0 = f32x4.splat(v0), w1 = f32x4.splat(v1), w2 = f32x4.splat(v2), w3 = f32x4.splat(v3);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j * 4;
      let acc = v128.load(y + o);
      acc = madd(w0, v128.load(x0 + o), acc);
      acc = madd(w1, v128.load(x1 + o), acc);
      acc = madd(w2, v128.load(x2 + o), acc);
      acc = madd(w3, v128.load(x3 + o), acc);
      v128.store(y + o, acc);
    }
    // Tail columns through the same lane arithmetic as the vector body, so a column's value
    // does not depend on where the body ended (bit-identical however columns are split).
    for (; j < n; j++) {
      const o = <usize>j * 4;
      let acc = f32x4.splat(load<f32>(y + o));
      acc = madd(w0, f32x4.splat(load<f32>(x0 + o)), acc);
      acc = madd(w1, f32x4.splat(load<f32>(x1 + o)), acc);
      acc = madd(w2, f32x4.splat(load<f32>(x2 + o)), acc);
      acc = madd(w3, f32x4.splat(load<f32>(x3 + o)), acc);
      store<f32>(y + o, f32x4.extract_lane(acc, 0));
    }
  }
  for (; k < K; k++) {
    const x0 = X + <usize>k * ld;
    const v0 = load<f32>(v + <usize>k * 4);
    const w0 = f32x4.splat(v0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j * 4;
      v128.store(y + o, madd(w0, v128.load(x0 + o), v128.load(y + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j * 4;
      store<f32>(y + o, f32x4.extract_lane(madd(w0, f32x4.splat(load<f32>(x0 + o)), f32x4.splat(load<f32>(y + o))), 0));
    }
  }
}

/** Copies n floats with a stride into contiguous memory (a column or strided row of a matrix). */
function gather(src: usize, stride: i32, n: i32, dst: usize): void {
  const s = <usize>stride * 4;
  for (let i = 0; i < n; i++) store<f32>(dst + <usize>i * 4, load<f32>(src + <usize>i * s));
}

/** c[i*stride] = alpha*y[i] + beta*c[i*stride], not reading c when beta is 0. */
function storeVec(n: i32, alpha: f32, y: usize, beta: f32, c: usize, stride: i32): void {
  const s = <usize>stride * 4;
  if (stride == 1) {
    const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i * 4;
      const t = f32x4.mul(va, v128.load(y + o));
      v128.store(c + o, beta == 0 ? t : madd(vb, v128.load(c + o), t));
    }
    for (; i < n; i++) {
      const t = alpha * load<f32>(y + <usize>i * 4);
      store<f32>(c + <usize>i * 4, beta == 0 ? t : t + beta * load<f32>(c + <usize>i * 4));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const t = alpha * load<f32>(y + <usize>i * 4);
    const p = c + <usize>i * s;
    store<f32>(p, beta == 0 ? t : t + beta * load<f32>(p));
  }
}

/** M = 1: C[0, :] = alpha * a · op(B) + beta * C[0, :]. */
function gemmRow(transA: bool, transB: bool, N: i32, K: i32, alpha: f32, A: usize, lda: i32,
  B: usize, ldb: i32, beta: f32, C: usize, work: usize): void {
  const y = alignUp(work);
  let a = A;
  if (transA && lda != 1) {
    a = alignUp(y + <usize>N * 4);
    gather(A, lda, K, a);
  }
  if (transB) gemvRows(N, K, B, ldb, a, y);
  else gemvCols(N, K, B, ldb, a, y);
  storeVec(N, alpha, y, beta, C, 1);
}

/** N = 1: C[:, 0] = alpha * op(A) · b + beta * C[:, 0]. */
function gemmCol(transA: bool, transB: bool, M: i32, K: i32, alpha: f32, A: usize, lda: i32,
  B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, work: usize): void {
  const y = alignUp(work);
  let b = B;
  if (!transB && ldb != 1) {
    b = alignUp(y + <usize>M * 4);
    gather(B, ldb, K, b);
  }
  if (transA) gemvCols(M, K, A, lda, b, y);
  else gemvRows(M, K, A, lda, b, y);
  storeVec(M, alpha, y, beta, C, ldc);
}
