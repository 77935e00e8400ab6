import type { CtcKernels } from '../ctc-types.js';

/**
 * Reference CTC forward–backward (contract in ctc-types.ts). One sequence at a time, over the
 * 2L+1 states of its extended label sequence, in float64 arithmetic. Every log-sum-exp
 * subtracts its maximum, and a maximum of −∞ (no path reaches the state) stays −∞ instead of
 * becoming NaN.
 */

/** log(exp(a) + exp(b)) without overflow; −∞ when both are −∞. */
function lae(a: number, b: number): number {
  const m = a > b ? a : b;
  if (m === -Infinity) return m;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** The step's shift: its largest value rounded to float32 (so that row − shift + shift is exact), 0 if all are −∞. */
function shiftOf(row: Float32Array, at: number, N: number): number {
  let m = -Infinity;
  for (let s = 0; s < N; s++) if (row[at + s]! > m) m = row[at + s]!;
  return m === -Infinity ? 0 : Math.fround(m);
}

export const ctcJs: CtcKernels = {
  ctcForward(T, B, C, S, lp, targets, inputLengths, targetLengths, blank, alpha, nll) {
    const W = 2 * S + 2;
    for (let b = 0; b < B; b++) {
      const Tb = inputLengths[b]!, L = targetLengths[b]!, N = 2 * L + 1;
      const tg = b * S, base = b * T * W;
      const label = (s: number): number => (s & 1 ? targets[tg + (s >> 1)]! : blank);
      let logC = 0;
      for (let t = 0; t < Tb; t++) {
        const cur = base + t * W, prev = cur - W, row = (t * B + b) * C;
        for (let s = 0; s < N; s++) {
          const l = label(s);
          let a: number;
          if (t === 0) a = s < 2 ? 0 : -Infinity;
          else {
            a = alpha[prev + s]!;
            if (s >= 1) a = lae(a, alpha[prev + s - 1]!);
            if (s >= 2 && l !== blank && l !== label(s - 2)) a = lae(a, alpha[prev + s - 2]!);
          }
          alpha[cur + s] = a + lp[row + l]!;
        }
        const m = shiftOf(alpha, cur, N);
        for (let s = 0; s < N; s++) alpha[cur + s] = alpha[cur + s]! - m;
        alpha[cur + W - 1] = m;
        logC += m;
      }
      const last = base + (Tb - 1) * W;
      const ll = L > 0 ? lae(alpha[last + N - 1]!, alpha[last + N - 2]!) : alpha[last + N - 1]!;
      nll[b] = -(ll + logC);
    }
  },

  ctcBackward(T, B, C, S, lp, targets, inputLengths, targetLengths, blank, alpha, nll, gNll, zeroInfinity, beta, gLp) {
    const W = 2 * S + 2;
    for (let b = 0; b < B; b++) {
      const Tb = inputLengths[b]!, L = targetLengths[b]!, N = 2 * L + 1, g = gNll[b]!, z = nll[b]!;
      if (z === Infinity) {
        if (zeroInfinity) continue;
        for (let t = 0; t < Tb; t++) for (let c = 0, row = (t * B + b) * C; c < C; c++) gLp[row + c]! += NaN;
        continue;
      }
      const tg = b * S, base = b * T * W;
      const label = (s: number): number => (s & 1 ? targets[tg + (s >> 1)]! : blank);
      // Running log normalisers: alpha's through step t (logA), beta's from step t on (logB).
      let logA = 0;
      for (let t = 0; t < Tb; t++) logA += alpha[base + t * W + W - 1]!;
      // The log-likelihood again, in float64: the float32 nll is too coarse at T = 500 (ulp 1e-4 at 1500).
      const last = base + (Tb - 1) * W;
      const ll = logA + (L > 0 ? lae(alpha[last + N - 1]!, alpha[last + N - 2]!) : alpha[last + N - 1]!);
      let logB = 0;
      for (let t = Tb - 1; t >= 0; t--) {
        const cur = base + t * W, nxt = cur + W, row = (t * B + b) * C;
        for (let s = 0; s < N; s++) {
          const l = label(s);
          let v: number;
          if (t === Tb - 1) v = s >= N - 2 ? 0 : -Infinity;
          else {
            v = beta[nxt + s]!;
            if (s + 1 < N) v = lae(v, beta[nxt + s + 1]!);
            if (s + 2 < N && l !== blank && l !== label(s + 2)) v = lae(v, beta[nxt + s + 2]!);
          }
          beta[cur + s] = v + lp[row + l]!;
        }
        const m = shiftOf(beta, cur, N);
        for (let s = 0; s < N; s++) beta[cur + s] = beta[cur + s]! - m;
        beta[cur + W - 1] = m;
        logB += m;
        // γ[t, s] = exp(α̂ + β̂ + logA_t + logB_t + nll − lp): the posterior of state s at step t.
        const shift = logA + logB - ll;
        for (let c = 0; c < C; c++) gLp[row + c]! += g * Math.exp(lp[row + c]!);
        for (let s = 0; s < N; s++) {
          const l = label(s);
          gLp[row + l]! -= g * Math.exp(alpha[cur + s]! + beta[cur + s]! + shift - lp[row + l]!);
        }
        logA -= alpha[cur + W - 1]!;
      }
    }
  },
};

/**
 * Whether a CTC kernel call is in the contract's range (counts, lengths in range, labels in
 * [0, C)): the wasm and native backends run only such calls, and leave any other to the
 * reference, so that their code never indexes outside the arrays.
 */
export function ctcCallInRange(T: number, B: number, C: number, S: number, targets: Int32Array, inputLengths: Int32Array,
  targetLengths: Int32Array, blank: number): boolean {
  for (const x of [T, B, C, S, blank]) if (!(Number.isInteger(x) && x >= 0 && x < 2 ** 31)) return false;
  if (blank >= C || T * B * C >= 2 ** 31 || B * T * (2 * S + 2) >= 2 ** 31) return false;
  if (targets.length < B * S || inputLengths.length < B || targetLengths.length < B) return false;
  for (let b = 0; b < B; b++) {
    const Tb = inputLengths[b]!, L = targetLengths[b]!;
    if (!(Tb >= 1 && Tb <= T && L >= 0 && L <= S)) return false;
    for (let j = 0; j < L; j++) {
      const l = targets[b * S + j]!;
      if (!(l >= 0 && l < C)) return false;
    }
  }
  return true;
}
