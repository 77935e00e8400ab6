/**
 * Per-utterance cepstral mean and variance normalisation (Kaldi's apply-cmvn with per-utterance
 * statistics): every column c of a [T, C] feature matrix becomes
 *
 *     y[t, c] = (x[t, c] - mean_c) / sqrt(max(var_c, 1e-20))      (variance: true)
 *     y[t, c] =  x[t, c] - mean_c                                  (variance: false)
 *
 * with the population mean and variance over the T frames.
 */
import type { Features } from './fbank.js';

export interface CmvnOptions {
  /** Also divide by the standard deviation. Default true. */
  variance?: boolean;
}

export function cmvn(x: Features, opts: CmvnOptions = {}): Features {
  const { frames: T, dim: C, data } = x;
  const out = new Float32Array(T * C);
  if (T === 0) return { data: out, frames: T, dim: C };
  const mean = new Float64Array(C), ss = new Float64Array(C);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) mean[c] = mean[c]! + data[t * C + c]!;
  for (let c = 0; c < C; c++) mean[c] = mean[c]! / T;
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      const d = data[t * C + c]! - mean[c]!;
      ss[c] = ss[c]! + d * d;
    }
  }
  const scale = new Float64Array(C);
  for (let c = 0; c < C; c++) scale[c] = opts.variance === false ? 1 : 1 / Math.sqrt(Math.max(ss[c]! / T, 1e-20));
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) out[t * C + c] = (data[t * C + c]! - mean[c]!) * scale[c]!;
  return { data: out, frames: T, dim: C };
}
