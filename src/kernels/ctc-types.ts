/**
 * Connectionist temporal classification (Graves et al. 2006): the forward–backward recursions
 * behind F.ctcLoss (src/nn/losses/ctc.ts), in log space.
 *
 * Shapes (row-major):
 * - `logProbs [T, B, C]`: log-probabilities over C classes per step, time-first as torch's
 *   `ctc_loss`. Element (t, b, c) is at `(t*B + b)*C + c`.
 * - `targets [B, S]` label ids padded to S = the longest target; only the first
 *   targetLengths[b] of row b are read. Labels are in [0, C) and never the blank.
 * - `inputLengths [B]` in [1, T], `targetLengths [B]` in [0, S].
 * - `alpha`, `beta [B, T, 2S+2]`: log forward / backward variables over the extended label
 *   sequence l' = (blank, l_1, blank, l_2, ..., l_L, blank) of length N = 2L+1, stored per step
 *   relative to that step's largest value (its shift, in the row's last slot 2S+1), so that
 *   float32 storage keeps its precision over long inputs where the unshifted values reach
 *   thousands. Entries past a sequence's input length or its N states are neither read nor
 *   written.
 *
 * Recursions on the unshifted values (lp = logProbs of sequence b, L = targetLengths[b],
 * T_b = inputLengths[b]):
 *
 *     alpha[0, 0] = lp[0, blank],  alpha[0, 1] = lp[0, l'_1] (L > 0),  alpha[0, s>1] = −∞
 *     alpha[t, s] = lp[t, l'_s] + logsumexp(alpha[t−1, s], alpha[t−1, s−1], alpha[t−1, s−2] if l'_s ≠ blank, l'_s ≠ l'_{s−2})
 *     nll         = −logsumexp(alpha[T_b−1, 2L], alpha[T_b−1, 2L−1] (L > 0))
 *     beta[T_b−1, 2L] = lp[T_b−1, blank],  beta[T_b−1, 2L−1] = lp[T_b−1, l'_{2L−1}] (L > 0)
 *     beta[t, s]  = lp[t, l'_s] + logsumexp(beta[t+1, s], beta[t+1, s+1], beta[t+1, s+2] if l'_s ≠ blank, l'_s ≠ l'_{s+2})
 *
 * The stored row of step t is alpha[t, s] − A_t with A_t − A_{t−1} = shift_t (float32-exact,
 * 0 when every state is −∞); the unshifted value is the stored one plus Σ_{u≤t} shift_u (for
 * beta, Σ_{u≥t}), summed in float64. Both alpha and beta include the emission of step t, so the
 * posterior of state s at step t is γ[t, s] = exp(alpha[t, s] + beta[t, s] + nll − lp[t, l'_s]).
 * An impossible alignment (T_b too short for the labels) gives nll = +∞.
 *
 * The gradient is torch's: ∂nll/∂lp[t, c] as it returns it assumes lp = logSoftmax(logits), so
 * that it is also the gradient with respect to the logits:
 *
 *     g[t, c] = exp(lp[t, c]) − Σ_{s: l'_s = c} γ[t, s]     (t < T_b;  0 for t ≥ T_b)
 *
 * An infinite nll gives NaN there, as torch does, unless `zeroInfinity` (then 0).
 *
 * The reference implementation is js/ctc.ts; assembly/ctc.ts and native/src/ctc.h follow it
 * step for step. All compute in float64 and store in the dtype of the arrays (float64 in the
 * gradient checks). Backward recomputes the log-likelihood from alpha in float64 rather than
 * reading the float32 nll.
 */
export interface CtcKernels {
  /** Writes alpha (kept for backward) and nll [B]. */
  ctcForward(T: number, B: number, C: number, S: number, logProbs: Float32Array, targets: Int32Array,
    inputLengths: Int32Array, targetLengths: Int32Array, blank: number, alpha: Float32Array, nll: Float32Array): void;
  /**
   * With beta written to the workspace `beta`, ACCUMULATES gLogProbs[t, b, c] += gNll[b] · g[t, c]
   * (see above). Sequences with an infinite nll add nothing when zeroInfinity is set.
   */
  ctcBackward(T: number, B: number, C: number, S: number, logProbs: Float32Array, targets: Int32Array,
    inputLengths: Int32Array, targetLengths: Int32Array, blank: number, alpha: Float32Array, nll: Float32Array,
    gNll: Float32Array, zeroInfinity: boolean, beta: Float32Array, gLogProbs: Float32Array): void;
}
