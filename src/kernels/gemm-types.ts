/** Matrix products (row-major, `ld*` the row stride in elements). Conventions for every area are in types.ts. */

/**
 * A right-hand GEMM operand op(B) (K×N) prepared for many products: see GemmKernels.packB. The
 * fields are the operand as given; backends may attach a packed copy.
 */
export interface PackedB {
  readonly transB: boolean;
  readonly K: number;
  readonly N: number;
  readonly B: Float32Array;
  readonly ldb: number;
}

export interface GemmKernels {
  /**
   * C = alpha * op(A) · op(B) + beta * C, with op(A) M×K and op(B) K×N. When beta is 0, C is
   * not read (NaN in C does not leak), as in BLAS.
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number): void;
  /**
   * op(B) prepared for many products with different A: a recurrent layer multiplies every
   * timestep's state by the same W_hh. The wasm and native backends pack it once here instead of
   * once per product; the JS reference just keeps B. B must not change until freePackedB.
   */
  packB(transB: boolean, K: number, N: number, B: Float32Array, ldb: number): PackedB;
  /** gemm with a prepared op(B); N and K must be the ones it was prepared with. */
  gemmPackedB(transA: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, lda: number,
    B: PackedB, beta: number, C: Float32Array, ldc: number): void;
  freePackedB(B: PackedB): void;
}
