/**
 * Time derivatives of a feature matrix, as `torchaudio.functional.compute_deltas` (which is
 * Kaldi's add-deltas): with N = (winLength - 1) / 2 (rounded down) and frames clamped at the
 * edges (replicate padding),
 *
 *     d[t, c] = sum_{k=-N..N} k * x[clamp(t + k, 0, T-1), c] / (N (N+1) (2N+1) / 3)
 *
 * | name   | shape  |
 * |--------|--------|
 * | input  | [T, C] |
 * | output | [T, C] |  (withDeltas: [T, C * (order + 1)], the input then each order)
 */
import { RecurError } from '../errors.js';
import type { Features } from './fbank.js';

export function computeDeltas(x: Features, winLength = 5): Features {
  if (!Number.isInteger(winLength) || winLength < 3) throw new RecurError(`computeDeltas: winLength must be an integer >= 3, got ${winLength}`);
  const { frames: T, dim: C, data } = x;
  const N = (winLength - 1) >> 1;
  const denom = (N * (N + 1) * (2 * N + 1)) / 3;
  const out = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      let acc = 0;
      for (let k = 1; k <= N; k++) {
        const ahead = Math.min(t + k, T - 1), behind = Math.max(t - k, 0);
        acc += k * (data[ahead * C + c]! - data[behind * C + c]!);
      }
      out[t * C + c] = acc / denom;
    }
  }
  return { data: out, frames: T, dim: C };
}

/** The features followed by their deltas up to `order` (1: deltas, 2: and delta-deltas), per frame. */
export function withDeltas(x: Features, order = 2, winLength = 5): Features {
  if (!Number.isInteger(order) || order < 0) throw new RecurError(`withDeltas: order must be a non-negative integer, got ${order}`);
  const parts: Features[] = [x];
  for (let i = 0; i < order; i++) parts.push(computeDeltas(parts[i]!, winLength));
  const { frames: T, dim: C } = x;
  const D = C * parts.length;
  const out = new Float32Array(T * D);
  for (let t = 0; t < T; t++) {
    for (let p = 0; p < parts.length; p++) out.set(parts[p]!.data.subarray(t * C, (t + 1) * C), t * D + p * C);
  }
  return { data: out, frames: T, dim: D };
}
