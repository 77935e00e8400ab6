import type { GemmKernels, PackedB } from '../gemm-types.js';

/** A PackedB that is the operand itself: for backends whose gemm needs no packing from us. */
export function unpackedB(transB: boolean, K: number, N: number, B: Float32Array, ldb: number): PackedB {
  return { transB, K, N, B, ldb };
}

/** Throws unless a product's K and N are the ones op(B) was prepared with. */
export function checkPackedB(p: PackedB, N: number, K: number): void {
  if (p.N !== N || p.K !== K) throw new RangeError(`gemmPackedB: op(B) was prepared as ${p.K}x${p.N}, the product needs ${K}x${N}`);
}

/**
 * Reference matrix products (contract: gemm-types.ts).
 */
export const gemmJs: GemmKernels = {
  gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
    for (let i = 0; i < M; i++) {
      const row = i * ldc;
      if (beta === 0) for (let j = 0; j < N; j++) C[row + j] = 0;
      else if (beta !== 1) for (let j = 0; j < N; j++) C[row + j]! *= beta;
    }
    if (alpha === 0 || K === 0) return;
    if (!transB) {
      // i-p-j order: the inner loop walks rows of B and C contiguously.
      for (let i = 0; i < M; i++) {
        const row = i * ldc;
        for (let p = 0; p < K; p++) {
          const a = alpha * (transA ? A[p * lda + i]! : A[i * lda + p]!);
          if (a === 0) continue;
          const bRow = p * ldb;
          for (let j = 0; j < N; j++) C[row + j]! += a * B[bRow + j]!;
        }
      }
    } else {
      // B is N×K: each C element is a dot product over contiguous rows.
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          const bRow = j * ldb;
          if (transA) for (let p = 0; p < K; p++) s += A[p * lda + i]! * B[bRow + p]!;
          else {
            const aRow = i * lda;
            for (let p = 0; p < K; p++) s += A[aRow + p]! * B[bRow + p]!;
          }
          C[i * ldc + j]! += alpha * s;
        }
      }
    }
  },

  packB: unpackedB,

  gemmPackedB(transA, M, N, K, alpha, A, lda, p, beta, C, ldc) {
    checkPackedB(p, N, K);
    gemmJs.gemm(transA, p.transB, M, N, K, alpha, A, lda, p.B, p.ldb, beta, C, ldc);
  },

  freePackedB: () => {},
};
