/*
 * GEMM through the system OpenBLAS (contract: src/kernels/gemm-types.ts, reference:
 * src/kernels/js/gemm.ts): cblas_sgemm, and cblas_sgemv for one-row / one-column products
 * (~5x faster than sgemm at M = 1). Included by addon.c, which validates the arguments; BLAS
 * does not depend on the build of the C kernels.
 */
#include <cblas.h>
#include <string.h>

/* C[i*ldc + j] = beta * C (0 when beta == 0, never reading C). */
static void scale_c(size_t M, size_t N, float beta, float *C, size_t ldc) {
  if (beta == 1.0f) return;
  for (size_t i = 0; i < M; i++) {
    float *row = C + i * ldc;
    if (beta == 0.0f) memset(row, 0, N * 4);
    else for (size_t j = 0; j < N; j++) row[j] *= beta;
  }
}

/*
 * C = fa op(A) op(B) + fb C with op(A) M x kk (kk = 0 when alpha is 0), every extent checked by
 * the caller. Returns 1, touching nothing, for leading dimensions BLAS rejects (it prints an
 * error for those): the caller then runs the reference.
 */
static int blas_gemm(int tA, int tB, size_t M, size_t N, size_t kk, float fa, const float *Ap, size_t lda,
                     const float *Bp, size_t ldb, float fb, float *Cp, size_t ldc) {
  if (M == 0 || N == 0) return 0;
  if (kk == 0) {
    scale_c(M, N, fb, Cp, ldc);
    return 0;
  }
  const int iM = (int)M, iN = (int)N, iK = (int)kk, iA = (int)lda, iB = (int)ldb, iC = (int)ldc;
  if (M == 1) {
    /* One output row: c = alpha * op(B)^T a (+ beta c), a = row 0 of op(A). */
    const int incx = tA ? iA : 1;
    if (incx < 1) return 1;
    if (fb == 0.0f) memset(Cp, 0, N * 4);
    if (!tB) {
      if (iB < (iN > 1 ? iN : 1)) return 1;
      cblas_sgemv(CblasRowMajor, CblasTrans, iK, iN, fa, Bp, iB, Ap, incx, fb, Cp, 1);
    } else {
      if (iB < (iK > 1 ? iK : 1)) return 1;
      cblas_sgemv(CblasRowMajor, CblasNoTrans, iN, iK, fa, Bp, iB, Ap, incx, fb, Cp, 1);
    }
    return 0;
  }
  if (N == 1) {
    /* One output column (stride ldc): c = alpha * op(A) b (+ beta c), b = column 0 of op(B). */
    const int incb = tB ? 1 : iB;
    if (incb < 1 || iC < 1) return 1;
    if (fb == 0.0f) for (size_t i = 0; i < M; i++) Cp[i * ldc] = 0.0f;
    if (!tA) {
      if (iA < (iK > 1 ? iK : 1)) return 1;
      cblas_sgemv(CblasRowMajor, CblasNoTrans, iM, iK, fa, Ap, iA, Bp, incb, fb, Cp, iC);
    } else {
      if (iA < (iM > 1 ? iM : 1)) return 1;
      cblas_sgemv(CblasRowMajor, CblasTrans, iK, iM, fa, Ap, iA, Bp, incb, fb, Cp, iC);
    }
    return 0;
  }
  /* BLAS rejects (prints an error for) leading dimensions below the row width: use the reference then. */
  if (iA < (tA ? iM : iK) || iB < (tB ? iK : iN) || iC < iN) return 1;
  cblas_sgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans,
              iM, iN, iK, fa, Ap, iA, Bp, iB, fb, Cp, iC);
  return 0;
}
