/**
 * Kaldi MFCCs, as `torchaudio.compliance.kaldi.mfcc` computes them: log-mel energies (see
 * ./fbank.ts), a DCT-II with orthonormal scaling, the first `numCeps` coefficients, then
 * liftering:
 *
 *     c[i] = sum_m logmel[m] * D[m, i]            D[m, 0] = sqrt(1/M), D[m, i] = sqrt(2/M) cos(pi/M (m + 0.5) i)
 *     c[i] *= 1 + (Q/2) sin(pi i / Q)             Q = cepstralLifter (skipped when 0)
 *
 * With useEnergy, c[0] is replaced by the frame's log energy. With htkCompat, C0 (or the energy)
 * moves to the last column (C0 scaled by sqrt(2) when not useEnergy).
 *
 * | name    | shape  | meaning                                      |
 * |---------|--------|----------------------------------------------|
 * | samples | [N]    | mono waveform (Kaldi scale: int16 range)     |
 * | output  | [T, Q] | Q = numCeps, T frames as in fbank            |
 */
import { RecurError } from '../errors.js';
import { kaldiFeatures, subtractColumnMeans, type FbankOptions, type Features } from './fbank.js';

export interface MfccOptions extends Omit<FbankOptions, 'usePower' | 'useLogFbank'> {
  /** Default 13. */
  numCeps?: number;
  /** Default 22. */
  cepstralLifter?: number;
}

/**
 * DCT matrix [M, Q] of Kaldi's MFCC (orthonormal DCT-II, first Q columns), rounded to float32 at
 * each step as torchaudio's `create_dct` computes it: the float32 cosine arguments shift the
 * cepstra by up to 5e-4 after liftering, half the tolerance we promise against torchaudio.
 */
export function mfccDct(numMelBins: number, numCeps: number): Float64Array {
  const f = Math.fround;
  const M = numMelBins;
  const d = new Float64Array(M * numCeps);
  const step = f(Math.PI / M), scale = f(Math.sqrt(2 / M)), c0 = f(Math.sqrt(1 / M));
  for (let m = 0; m < M; m++) {
    for (let i = 0; i < numCeps; i++) {
      d[m * numCeps + i] = i === 0 ? c0 : f(f(Math.cos(f(f(step * f(m + 0.5)) * i))) * scale);
    }
  }
  return d;
}

/** Kaldi's liftering weights 1 + (Q/2) sin(pi i / Q), in float32 steps as torchaudio. */
export function lifterCoeffs(numCeps: number, lifter: number): Float64Array {
  const f = Math.fround;
  const out = new Float64Array(numCeps);
  for (let i = 0; i < numCeps; i++) out[i] = lifter === 0 ? 1 : f(1 + f(0.5 * lifter * f(Math.sin(f(f(f(Math.PI) * i) / f(lifter))))));
  return out;
}

/** MFCC features of `samples`, matching `torchaudio.compliance.kaldi.mfcc`. */
export function mfcc(samples: Float32Array, opts: MfccOptions = {}): Features {
  const M = opts.numMelBins ?? 23;
  const Q = opts.numCeps ?? 13;
  const lifter = opts.cepstralLifter ?? 22;
  const useEnergy = opts.useEnergy ?? false;
  const htk = opts.htkCompat ?? false;
  if (!Number.isInteger(Q) || Q < 1 || Q > M) throw new RecurError(`mfcc: numCeps must be an integer in [1, numMelBins = ${M}], got ${Q}`);
  const fb = kaldiFeatures(
    samples,
    { ...opts, useEnergy: false, htkCompat: false, subtractMean: false, usePower: true, useLogFbank: true } as FbankOptions,
    useEnergy,
  );
  const T = fb.frames;
  const dct = mfccDct(M, Q);
  const lift = lifterCoeffs(Q, lifter);
  const out = new Float32Array(T * Q);
  const c = new Float64Array(Q);
  for (let t = 0; t < T; t++) {
    c.fill(0);
    for (let m = 0; m < M; m++) {
      const v = fb.data[t * M + m]!;
      for (let i = 0; i < Q; i++) c[i] = c[i]! + v * dct[m * Q + i]!;
    }
    for (let i = 0; i < Q; i++) c[i] = c[i]! * lift[i]!;
    if (useEnergy) c[0] = fb.logEnergy[t]!;
    if (htk) {
      const c0 = useEnergy ? c[0]! : c[0]! * Math.SQRT2;
      for (let i = 0; i < Q - 1; i++) out[t * Q + i] = c[i + 1]!;
      out[t * Q + Q - 1] = c0;
    } else {
      for (let i = 0; i < Q; i++) out[t * Q + i] = c[i]!;
    }
  }
  if (opts.subtractMean) subtractColumnMeans(out, T, Q);
  return { data: out, frames: T, dim: Q };
}
