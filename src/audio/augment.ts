/**
 * Training-time augmentation, seeded by recur's Rng (src/tensor/rng.ts) so a run replays:
 *
 * | function       | on        | what                                                                   |
 * |----------------|-----------|------------------------------------------------------------------------|
 * | specAugment    | [T, C]    | SpecAugment frequency and time masks (Park et al. 2019), torchaudio's `mask_along_axis` draw |
 * | changeSpeed    | samples   | speed perturbation: resample from rate*factor to rate (tempo and pitch change together) |
 * | addNoise       | samples   | noise scaled to a signal-to-noise ratio in dB, as `torchaudio.functional.add_noise` |
 * | whiteNoise / pinkNoise | - | noise sources                                                          |
 * | perturbWaveform | samples  | a random speed from a list, then noise at a random SNR                 |
 */
import { RecurError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';
import type { Features } from './fbank.js';
import { resample } from './resample.js';

export interface SpecAugmentOptions {
  /** Number of frequency masks. Default 2. */
  freqMasks?: number;
  /** Largest frequency mask width F (a width is drawn in [0, F)). Default 27, or C/3 if smaller. */
  freqMaskWidth?: number;
  /** Number of time masks. Default 2. */
  timeMasks?: number;
  /** Largest time mask width. Default 40 frames. */
  timeMaskWidth?: number;
  /** A time mask covers at most this fraction of the frames. Default 1. */
  maxTimeFraction?: number;
  /** What masked cells become: a number, or 'mean' (the utterance's mean). Default 0. */
  maskValue?: number | 'mean';
}

/**
 * SpecAugment: a new [T, C] matrix with `freqMasks` bands of columns and `timeMasks` runs of
 * rows set to the mask value. Each mask draws width v = u1 * W and start s = u2 * (size - v),
 * and covers [floor(s), floor(s + v)), as torchaudio's `mask_along_axis`.
 */
export function specAugment(x: Features, rng: Rng, opts: SpecAugmentOptions = {}): Features {
  const { frames: T, dim: C } = x;
  const out = x.data.slice();
  let value = 0;
  if (opts.maskValue === 'mean') {
    let s = 0;
    for (const v of x.data) s += v;
    value = x.data.length ? s / x.data.length : 0;
  } else if (opts.maskValue !== undefined) value = opts.maskValue;
  const F = opts.freqMaskWidth ?? Math.min(27, Math.floor(C / 3));
  const timeLimit = Math.floor(T * (opts.maxTimeFraction ?? 1));
  const W = Math.min(opts.timeMaskWidth ?? 40, timeLimit);
  for (let m = 0; m < (opts.freqMasks ?? 2); m++) {
    const [a, b] = maskRange(rng, F, C);
    for (let t = 0; t < T; t++) out.fill(value, t * C + a, t * C + b);
  }
  for (let m = 0; m < (opts.timeMasks ?? 2); m++) {
    const [a, b] = maskRange(rng, W, T);
    out.fill(value, a * C, b * C);
  }
  return { data: out, frames: T, dim: C };
}

function maskRange(rng: Rng, maxWidth: number, size: number): [number, number] {
  const v = rng.random() * maxWidth;
  const s = rng.random() * (size - v);
  return [Math.max(0, Math.floor(s)), Math.min(size, Math.floor(s + v))];
}

/**
 * Speed perturbation: the audio played `factor` times faster (0.9 = slower and lower), as
 * `torchaudio.functional.speed`: resampled from round(rate * factor) Hz to `rate` Hz, so the
 * result has about length / factor samples at the same rate.
 */
export function changeSpeed(samples: Float32Array, sampleRate: number, factor: number): Float32Array {
  if (!(factor > 0)) throw new RecurError(`changeSpeed: factor must be positive, got ${factor}`);
  const from = Math.round(sampleRate * factor);
  return resample(samples, from, sampleRate);
}

/**
 * `signal + k * noise` with k such that 10 log10(sum(signal^2) / sum((k*noise)^2)) = snrDb. A
 * shorter noise is repeated; a longer one is cut at a random offset (drawn from `rng`, or 0).
 */
export function addNoise(signal: Float32Array, noise: Float32Array, snrDb: number, rng?: Rng): Float32Array {
  if (noise.length === 0) throw new RecurError('addNoise: the noise is empty');
  if (!Number.isFinite(snrDb)) throw new RecurError(`addNoise: snrDb must be finite, got ${snrDb}`);
  const n = signal.length;
  const offset = noise.length > n && rng ? rng.int(noise.length - n + 1) : 0;
  let es = 0, en = 0;
  for (let i = 0; i < n; i++) {
    const v = noise[(offset + i) % noise.length]!;
    es += signal[i]! * signal[i]!;
    en += v * v;
  }
  const out = signal.slice();
  if (es === 0 || en === 0) return out;
  const k = Math.sqrt(es / (en * 10 ** (snrDb / 10)));
  for (let i = 0; i < n; i++) out[i] = signal[i]! + k * noise[(offset + i) % noise.length]!;
  return out;
}

/** Gaussian white noise, unit variance. */
export function whiteNoise(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  rng.fillNormal(out, 0, 1);
  return out;
}

/** Pink (about -3 dB/octave) noise: white noise through Paul Kellet's three-pole "economy" filter, unit variance. */
export function pinkNoise(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  let b0 = 0, b1 = 0, b2 = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    const w = rng.normal();
    b0 = 0.99765 * b0 + w * 0.099046;
    b1 = 0.963 * b1 + w * 0.2965164;
    b2 = 0.57 * b2 + w * 1.0526913;
    const v = b0 + b1 + b2 + w * 0.1848;
    out[i] = v;
    ss += v * v;
  }
  const scale = n > 0 && ss > 0 ? 1 / Math.sqrt(ss / n) : 1;
  for (let i = 0; i < n; i++) out[i] = out[i]! * scale;
  return out;
}

export interface PerturbOptions {
  /** Speed factors to draw from (uniformly). Default [0.9, 1, 1.1] (Ko et al. 2015). */
  speeds?: number[];
  /** SNR range in dB, drawn uniformly; null: no noise. Default [10, 30]. */
  snrDb?: [number, number] | null;
  /** Noise: generated white or pink noise, or a recording (cut at a random offset). Default 'pink'. */
  noise?: 'white' | 'pink' | Float32Array;
  /** Chance that noise is added at all. Default 1. */
  noiseProbability?: number;
}

/**
 * Waveform augmentation for one training example: a speed factor drawn from `speeds`
 * (changeSpeed), then noise at an SNR drawn from `snrDb` (addNoise). Returns what was drawn.
 */
export function perturbWaveform(
  samples: Float32Array,
  sampleRate: number,
  rng: Rng,
  opts: PerturbOptions = {},
): { samples: Float32Array; speed: number; snrDb: number | null } {
  const speeds = opts.speeds ?? [0.9, 1, 1.1];
  if (speeds.length === 0) throw new RecurError('perturbWaveform: speeds is empty');
  const speed = speeds[rng.int(speeds.length)]!;
  let out = speed === 1 ? samples.slice() : changeSpeed(samples, sampleRate, speed);
  const range = opts.snrDb === undefined ? [10, 30] : opts.snrDb;
  let snrDb: number | null = null;
  if (range && rng.random() < (opts.noiseProbability ?? 1)) {
    snrDb = range[0] + rng.random() * (range[1] - range[0]);
    const kind = opts.noise ?? 'pink';
    const noise = kind === 'white' ? whiteNoise(out.length, rng) : kind === 'pink' ? pinkNoise(out.length, rng) : kind;
    out = addNoise(out, noise, snrDb, rng);
  }
  return { samples: out, speed, snrDb };
}
