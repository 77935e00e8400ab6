/*
 * GEMM over a prepared op(B) (contract: GemmKernels.packB / gemmPackedB in
 * src/kernels/gemm-types.ts; reference: src/kernels/js/gemm.ts). Included by kernels.h, so it is
 * compiled in the AVX2+FMA and the baseline build; addon.c validates the arguments and splits
 * the panels between two threads (threads.c).
 *
 * Why not OpenBLAS: a recurrent layer multiplies every time step's b x H state by the same W_hh
 * (b = the batch, 32..64). sgemm repacks W_hh on every call and splits and packs a product that
 * small as it would a large one (docs/kernels.md, "Where a training step's time goes"). Here
 * op(B) is packed once per sequence and each product streams the panels through a
 * register-blocked micro-kernel, reading A in place.
 *
 * Layout (the same as the WebAssembly backend's packBPanels): op(B), K x N, as ceil(N/16)
 * panels of 16 columns, each K x 16 floats, k-major (the 16 values of row k contiguous); the
 * last panel is zero-padded. Panel p starts at p*16*K.
 *
 * Micro-kernel: PK_MR rows of A by one panel, accumulated in registers over a block of PK_KC
 * values of k, then scaled by alpha and added to C (beta applied by the first block only). With
 * AVX2 that is 6 x 16: 12 ymm accumulators, 2 for the panel row, 1 for the broadcast A value
 * (the classic Haswell/Zen shape: 12 FMAs per 8 loads). The baseline build has 16 xmm registers,
 * and 6 x 16 would need 24 accumulators there, so it runs 2 x 16 tiles (8 xmm accumulators, 4
 * for the panel row) over the same panels.
 */

#define PK_NR RK_PANEL
#if defined(__AVX2__)
#define PK_MR 6
#else
#define PK_MR 2
#endif
/* K runs in blocks of at most PK_KC values, as equal as possible. Each block beyond the first
 * reads and writes the tile of C again, which costs more than streaming a panel slice of up to
 * 64 KiB from L2 (256-value blocks, sized for L1, ran the LSTM's step products 1.04-1.29x slower:
 * docs/kernels.md, "The packed kernel's K blocks"); at 1024 the A block (PK_MB x PK_KC floats,
 * 768 KiB) still fits in L2. */
#define PK_KC 1024

/* Packs op(B) (K x N; transB: B is N x K) into panels (ceil(N/16)*16*K floats). */
static void k_pack_panels(int transB, const float *B, size_t ldb, size_t K, size_t N, float *panels) {
  for (size_t j0 = 0; j0 < N; j0 += PK_NR) {
    size_t nc = N - j0 < PK_NR ? N - j0 : PK_NR;
    float *P = panels + j0 * K;
    if (!transB) {
      for (size_t k = 0; k < K; k++) {
        memcpy(P + k * PK_NR, B + k * ldb + j0, nc * 4);
        if (nc < PK_NR) memset(P + k * PK_NR + nc, 0, (PK_NR - nc) * 4);
      }
    } else {
      /* Rows of B are columns of op(B): read each along k, write it with stride 16. */
      for (size_t jj = 0; jj < nc; jj++) {
        const float *b = B + (j0 + jj) * ldb;
        for (size_t k = 0; k < K; k++) P[k * PK_NR + jj] = b[k];
      }
      for (size_t jj = nc; jj < PK_NR; jj++)
        for (size_t k = 0; k < K; k++) P[k * PK_NR + jj] = 0.0f;
    }
  }
}

/* The accumulator vector: one ymm in the AVX2 build; in the baseline build one xmm (v4f), since
 * GCC keeps arrays of the 8-lane v8f in memory there rather than in register pairs. */
#if defined(__AVX2__)
typedef v8f pkv;
INLINE pkv pk_spl(float x) { return SPL(x); }
#else
typedef v4f pkv;
INLINE pkv pk_spl(float x) { return (v4f){x, x, x, x}; }
#endif
#define PK_LANES ((int)(sizeof(pkv) / 4))
#define PK_NV (PK_NR / PK_LANES)

INLINE pkv pk_ld(const float *p) { pkv v; memcpy(&v, p, sizeof v); return v; }
/* cnt in [1, PK_LANES] lanes: plain loads and stores when cnt is all of them. */
INLINE pkv pk_ldc(const float *p, int cnt) {
  if (cnt == PK_LANES) return pk_ld(p);
  pkv v = pk_spl(0.0f);
  memcpy(&v, p, (size_t)cnt * 4);
  return v;
}
INLINE void pk_stc(float *p, pkv v, int cnt) { memcpy(p, &v, (size_t)cnt * 4); }

/* cnt columns of one C row: alpha*acc, + beta*C in the first K block (C is not read when beta is
 * 0, so NaN there does not leak), + C in later blocks. */
INLINE void pk_store(float *c, pkv acc, int cnt, float alpha, float beta, int first) {
  pkv v = pk_spl(alpha) * acc;
  if (!first || beta == 1.0f) v += pk_ldc(c, cnt);
  else if (beta != 0.0f) v += pk_spl(beta) * pk_ldc(c, cnt);
  pk_stc(c, v, cnt);
}

/*
 * One tile: rows [0, mr) of A (row stride lda, already offset to the K block) times a panel
 * slice P (kc x 16), into C (row stride ldc), nc of the 16 columns valid. mr is a constant after
 * inlining, so the loops over rows and vectors unroll and the accumulators stay in registers.
 *
 * A tile of one or two rows has only 2 or 4 accumulators in the AVX2 build: too few chains of
 * dependent FMAs to cover their latency (the 6-row tile has 12). Those tiles run a second set
 * over the odd values of k, added in at the end (M = 1 steps, and the tail of M = 32 = 5*6 + 2).
 */
INLINE void pk_tile(const int mr, size_t kc, const float *A, size_t lda, const float *P, float *C, size_t ldc,
                    int nc, float alpha, float beta, int first) {
  const int dual = mr <= 2 && 2 * mr <= PK_MR;
  pkv c[PK_MR][PK_NV], d[PK_MR][PK_NV];
  for (int r = 0; r < mr; r++)
    for (int v = 0; v < PK_NV; v++) c[r][v] = d[r][v] = pk_spl(0.0f);
  size_t k = 0;
  if (dual) {
    for (; k + 2 <= kc; k += 2) {
      pkv b[PK_NV], e[PK_NV];
      for (int v = 0; v < PK_NV; v++) {
        b[v] = pk_ld(P + k * PK_NR + v * PK_LANES);
        e[v] = pk_ld(P + (k + 1) * PK_NR + v * PK_LANES);
      }
      for (int r = 0; r < mr; r++) {
        pkv a = pk_spl(A[r * lda + k]), a1 = pk_spl(A[r * lda + k + 1]);
        for (int v = 0; v < PK_NV; v++) {
          c[r][v] += a * b[v];
          d[r][v] += a1 * e[v];
        }
      }
    }
  }
  for (; k < kc; k++) {
    pkv b[PK_NV];
    for (int v = 0; v < PK_NV; v++) b[v] = pk_ld(P + k * PK_NR + v * PK_LANES);
    for (int r = 0; r < mr; r++) {
      pkv a = pk_spl(A[r * lda + k]);
      /* Contracted to FMAs in the AVX2 build (GNU C: -ffp-contract=fast). */
      for (int v = 0; v < PK_NV; v++) c[r][v] += a * b[v];
    }
  }
  if (dual)
    for (int r = 0; r < mr; r++)
      for (int v = 0; v < PK_NV; v++) c[r][v] += d[r][v];
  for (int r = 0; r < mr; r++)
    for (int v = 0; v < PK_NV && v * PK_LANES < nc; v++) {
      int cnt = nc - v * PK_LANES;
      pk_store(C + r * ldc + v * PK_LANES, c[r][v], cnt < PK_LANES ? cnt : PK_LANES, alpha, beta, first);
    }
}

/*
 * Panels [p0, p1) of C = alpha * op(A) op(B) + beta * C: the columns [16*p0, min(16*p1, N)).
 * op(A) is M x K, rows read in place (A[i*lda + k]; addon.c transposes a transA operand first).
 * Each panel is computed the same way whichever thread runs it and whatever the range, so the
 * result does not depend on the split. Called with K >= 1 and alpha != 0 (addon.c scales C
 * otherwise).
 *
 * Loop order (GotoBLAS's, with A read in place): blocks of PK_MB rows, then K blocks, then the
 * panels, then the row tiles. A block of A (PK_MB x kc floats, up to 768 KiB) stays in L2 while
 * every panel slice passes over it, and each panel slice (kc x 16 floats) in L1 or L2 while the
 * block's row tiles do. With panels outermost, a tall A (the input and output projections: thousands of rows
 * against 64..1024 columns) streamed from memory once per panel. Every C element still sums its
 * K blocks in order, each over the same row tile (PK_MB is a multiple of PK_MR), so the bits are
 * those of any other order or split.
 */
#define PK_MB RK_ROW_BLOCK

static void k_gemm_panels(size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
                          const float *panels, size_t p0, size_t p1, float beta, float *C, size_t ldc) {
  const size_t blocks = (K + PK_KC - 1) / PK_KC, kb = (K + blocks - 1) / blocks;
  for (size_t i0 = 0; i0 < M; i0 += PK_MB) {
    size_t i1 = M - i0 < PK_MB ? M : i0 + PK_MB;
    for (size_t k0 = 0; k0 < K; k0 += kb) {
      size_t kc = K - k0 < kb ? K - k0 : kb;
      int first = k0 == 0;
      for (size_t p = p0; p < p1; p++) {
        size_t j0 = p * PK_NR;
        int nc = N - j0 < PK_NR ? (int)(N - j0) : PK_NR;
        const float *Pk = panels + j0 * K + k0 * PK_NR;
        size_t i = i0;
        for (; i + PK_MR <= i1; i += PK_MR)
          pk_tile(PK_MR, kc, A + i * lda + k0, lda, Pk, C + i * ldc + j0, ldc, nc, alpha, beta, first);
        const float *At = A + i * lda + k0;
        float *Ct = C + i * ldc + j0;
        switch (i1 - i) {
#if PK_MR > 5
          case 5: pk_tile(5, kc, At, lda, Pk, Ct, ldc, nc, alpha, beta, first); break;
          case 4: pk_tile(4, kc, At, lda, Pk, Ct, ldc, nc, alpha, beta, first); break;
          case 3: pk_tile(3, kc, At, lda, Pk, Ct, ldc, nc, alpha, beta, first); break;
          case 2: pk_tile(2, kc, At, lda, Pk, Ct, ldc, nc, alpha, beta, first); break;
#endif
          case 1: pk_tile(1, kc, At, lda, Pk, Ct, ldc, nc, alpha, beta, first); break;
          default: break;
        }
      }
    }
  }
}
