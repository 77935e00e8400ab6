/**
 * Linear-chain CRF (src/nn/crf.ts).
 *
 * Sequential dynamic programmes over the tags of each sequence: the forward algorithm (log
 * partition function), its adjoint (tag marginals) and Viterbi decoding. Shapes:
 * `em [B, T, K]` emission scores (row-major, batch-first), `lengths [B]` valid steps of each
 * sequence, each in [1, T]; `trans [K, K]` with trans[i*K + j] the score of tag i followed by
 * tag j; `start [K]`, `end [K]` the scores of the first and last tag. Scores may be −Infinity
 * (forbidden transitions); a log-sum-exp over only −Infinity terms is −Infinity. Entries of
 * per-step arrays past a sequence's length are neither read nor written.
 *
 * Conventions for every area are in types.ts.
 */
export interface CrfKernels {
  /**
   * Forward algorithm: alpha[b,0,j] = start[j] + em[b,0,j];
   * alpha[b,t,j] = em[b,t,j] + logsumexp_i(alpha[b,t−1,i] + trans[i,j]);
   * logZ[b] = logsumexp_j(alpha[b,L_b−1,j] + end[j]). Writes alpha [B,T,K] (kept for backward) and logZ [B].
   */
  crfForward(B: number, T: number, K: number, em: Float32Array, lengths: Int32Array, trans: Float32Array,
    start: Float32Array, end: Float32Array, alpha: Float32Array, logZ: Float32Array): void;
  /**
   * Adjoint of crfForward: with beta[b,L−1,i] = end[i], beta[b,t,i] = logsumexp_j(trans[i,j] +
   * em[b,t+1,j] + beta[b,t+1,j]) (written to the workspace `beta` [B,T,K]) and g = gLogZ[b],
   * ACCUMULATES gEm[b,t,j] += g·P(y_t = j), gTrans[i,j] += g·Σ_t P(y_{t−1} = i, y_t = j),
   * gStart[j] += g·P(y_0 = j), gEnd[j] += g·P(y_{L−1} = j). Any gradient output may be null.
   */
  crfBackward(B: number, T: number, K: number, em: Float32Array, lengths: Int32Array, trans: Float32Array,
    start: Float32Array, end: Float32Array, alpha: Float32Array, logZ: Float32Array, gLogZ: Float32Array,
    beta: Float32Array, gEm: Float32Array | null, gTrans: Float32Array | null, gStart: Float32Array | null,
    gEnd: Float32Array | null): void;
  /**
   * Viterbi: the highest-scoring tag path of each sequence. `delta [B,T,K]` and `backptr [B,T,K]`
   * are workspaces; writes paths [B,T] (−1 past each length) and the best path's score [B].
   * Ties go to the lowest tag index.
   */
  crfViterbi(B: number, T: number, K: number, em: Float32Array, lengths: Int32Array, trans: Float32Array,
    start: Float32Array, end: Float32Array, delta: Float32Array, backptr: Int32Array, paths: Int32Array,
    scores: Float32Array): void;
}
