/**
 * Kaldi log-mel filterbank features, as `torchaudio.compliance.kaldi.fbank` computes them, with
 * the same option names and defaults. For each frame (T = number of frames, C = mel bins):
 *
 *     x      = samples [f*shift, f*shift + L)               L = frameLength ms, shift = frameShift ms
 *     x     += dither * N(0, 1)                             (only if dither != 0)
 *     x     -= mean(x)                                      (removeDcOffset)
 *     x[j]  -= preemph * x[max(0, j-1)]                     (from the last j down)
 *     x     *= window                                       povey: hann(L, periodic=false)^0.85
 *     P[k]   = |rfft(x zero-padded to nfft)[k]|^2           nfft = next power of two >= L
 *     E[c]   = sum_k P[k] * mel[c, k]                       triangles on the mel scale 1127 ln(1 + f/700)
 *     out[c] = ln(max(E[c], eps))                           eps = float32 epsilon (useLogFbank)
 *
 * | name    | shape      | meaning                                   |
 * |---------|------------|-------------------------------------------|
 * | samples | [N]        | mono waveform (Kaldi expects int16 scale: multiply [-1, 1] audio by 32768) |
 * | output  | [T, C]     | T = 1 + floor((N - L) / shift) with snipEdges (0 if N < L), C = numMelBins (+1 with useEnergy) |
 */
import { RecurError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';
import { PowerSpectrum } from './fft.js';

/** A [frames, dim] feature matrix, row-major: frame t is data[t*dim .. (t+1)*dim). */
export interface Features {
  data: Float32Array;
  frames: number;
  dim: number;
}

export type WindowType = 'povey' | 'hann' | 'hamming' | 'rectangular' | 'blackman';

/** Options of `torchaudio.compliance.kaldi.fbank`, camelCased, with its defaults. */
export interface FbankOptions {
  /** Hz. Default 16000. */
  sampleFrequency?: number;
  /** Frame length in ms. Default 25. */
  frameLength?: number;
  /** Frame shift in ms. Default 10. */
  frameShift?: number;
  /** Gaussian dither amount (needs `rng`). Default 0. */
  dither?: number;
  /** Random numbers for dither. */
  rng?: Rng;
  /** Default 0.97. */
  preemphasisCoefficient?: number;
  /** Default true. */
  removeDcOffset?: boolean;
  /** Default 'povey'. */
  windowType?: WindowType;
  /** Default 0.42. */
  blackmanCoeff?: number;
  /** Zero-pad frames to a power of two before the FFT. Default true. */
  roundToPowerOfTwo?: boolean;
  /** Only frames that fit completely; otherwise reflect at the edges. Default true. */
  snipEdges?: boolean;
  /** Default 23 (torchaudio's default; 40 or 80 are common for speech recognition). */
  numMelBins?: number;
  /** Hz. Default 20. */
  lowFreq?: number;
  /** Hz; <= 0 means offset from Nyquist. Default 0. */
  highFreq?: number;
  /** Power (true) or magnitude spectrum. Default true. */
  usePower?: boolean;
  /** Log of the mel energies. Default true. */
  useLogFbank?: boolean;
  /** Add the frame's log energy as a column (first, or last with htkCompat). Default false. */
  useEnergy?: boolean;
  /** Energy before pre-emphasis and window. Default true. */
  rawEnergy?: boolean;
  /** Floor of the energy (not log); 0 means none. Default 1. */
  energyFloor?: number;
  /** Default false. */
  htkCompat?: boolean;
  /** Subtract each column's mean over the utterance. Default false. */
  subtractMean?: boolean;
}

/** float32 machine epsilon, the floor torchaudio puts under energies before the log. */
export const EPSILON = 1.1920928955078125e-7;

interface Framing {
  windowSize: number;
  windowShift: number;
  paddedSize: number;
  frames: number;
}

function framing(n: number, o: Required<Pick<FbankOptions, 'sampleFrequency' | 'frameLength' | 'frameShift' | 'roundToPowerOfTwo' | 'snipEdges'>>): Framing {
  const windowShift = Math.trunc(o.sampleFrequency * o.frameShift * 0.001);
  const windowSize = Math.trunc(o.sampleFrequency * o.frameLength * 0.001);
  if (windowSize < 2 || windowShift < 1) {
    throw new RecurError(`fbank: frame length ${o.frameLength} ms and shift ${o.frameShift} ms at ${o.sampleFrequency} Hz give ${windowSize} and ${windowShift} samples; need at least 2 and 1`);
  }
  const paddedSize = o.roundToPowerOfTwo ? 2 ** Math.ceil(Math.log2(windowSize)) : windowSize;
  if (paddedSize % 2 !== 0) throw new RecurError(`fbank: the FFT length ${paddedSize} must be even; use roundToPowerOfTwo or change frameLength`);
  let frames: number;
  if (o.snipEdges) frames = n < windowSize ? 0 : 1 + Math.floor((n - windowSize) / windowShift);
  else frames = Math.floor((n + Math.floor(windowShift / 2)) / windowShift);
  return { windowSize, windowShift, paddedSize, frames };
}

/** The window function of length `size` (Kaldi's, symmetric). */
export function featureWindow(type: WindowType, size: number, blackmanCoeff = 0.42): Float64Array {
  const w = new Float64Array(size);
  const a = (2 * Math.PI) / (size - 1);
  for (let i = 0; i < size; i++) {
    switch (type) {
      case 'hann': w[i] = 0.5 - 0.5 * Math.cos(a * i); break;
      case 'povey': w[i] = (0.5 - 0.5 * Math.cos(a * i)) ** 0.85; break;
      case 'hamming': w[i] = 0.54 - 0.46 * Math.cos(a * i); break;
      case 'rectangular': w[i] = 1; break;
      case 'blackman': w[i] = blackmanCoeff - 0.5 * Math.cos(a * i) + (0.5 - blackmanCoeff) * Math.cos(2 * a * i); break;
      default: throw new RecurError(`fbank: unknown window type '${String(type)}' (expected povey, hann, hamming, rectangular or blackman)`);
    }
  }
  return w;
}

export function melScale(freq: number): number {
  return 1127 * Math.log(1 + freq / 700);
}

/** Sparse triangular mel filters: filter c covers FFT bins start[c] .. start[c] + weights[c].length - 1. */
export interface MelBanks {
  start: Int32Array;
  weights: Float64Array[];
}

/**
 * Kaldi's mel filterbank (`get_mel_banks` without VTLN warping) for an FFT of `paddedSize`
 * points. Computed in float32 step by step as torchaudio does (whatever the waveform's dtype):
 * near a triangle's foot the weights are small differences, and float64 weights move weak bands'
 * log energies by up to 1e-4, which MFCC liftering multiplies by up to 12.
 */
export function melBanks(numBins: number, paddedSize: number, sampleFrequency: number, lowFreq: number, highFreq: number): MelBanks {
  if (!(numBins > 3)) throw new RecurError(`fbank: numMelBins must be at least 4, got ${numBins}`);
  const nyquist = 0.5 * sampleFrequency;
  const high = highFreq <= 0 ? highFreq + nyquist : highFreq;
  if (!(lowFreq >= 0 && lowFreq < nyquist && high > 0 && high <= nyquist && lowFreq < high)) {
    throw new RecurError(`fbank: bad frequency range: lowFreq ${lowFreq} and highFreq ${highFreq} (-> ${high}) vs. Nyquist ${nyquist}`);
  }
  const f = Math.fround;
  const numFftBins = paddedSize / 2;
  const binWidth = f(sampleFrequency / paddedSize);
  const melLow = f(melScale(lowFreq));
  const delta = f((melScale(high) - melScale(lowFreq)) / (numBins + 1));
  const mel = new Float64Array(numFftBins);
  for (let k = 0; k < numFftBins; k++) mel[k] = f(1127 * f(Math.log(f(1 + f(f(binWidth * k) / 700)))));
  const start = new Int32Array(numBins);
  const weights: Float64Array[] = [];
  for (let c = 0; c < numBins; c++) {
    const left = f(melLow + f(c * delta)), center = f(melLow + f((c + 1) * delta)), right = f(melLow + f((c + 2) * delta));
    let first = -1, last = -1;
    const w = new Float64Array(numFftBins);
    for (let k = 0; k < numFftBins; k++) {
      const up = f(f(mel[k]! - left) / f(center - left)), down = f(f(right - mel[k]!) / f(right - center));
      const v = Math.max(0, Math.min(up, down));
      w[k] = v;
      if (v > 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    start[c] = first < 0 ? 0 : first;
    weights.push(first < 0 ? new Float64Array(0) : w.slice(first, last + 1));
  }
  return { start, weights };
}

/** Log-mel filterbank features of `samples`, matching `torchaudio.compliance.kaldi.fbank`. */
export function fbank(samples: Float32Array, opts: FbankOptions = {}): Features {
  const { data, frames, dim } = kaldiFeatures(samples, opts, false);
  return { data: Float32Array.from(data), frames, dim };
}

/**
 * The shared frame loop of fbank and MFCC, in float64 (MFCC's DCT takes the unrounded log
 * energies). With `keepEnergy` the per-frame log energy is returned separately (MFCC puts it
 * in place of C0).
 */
export function kaldiFeatures(
  samples: Float32Array,
  opts: FbankOptions,
  keepEnergy: boolean,
): { data: Float64Array; frames: number; dim: number; logEnergy: Float64Array } {
  const o = {
    sampleFrequency: opts.sampleFrequency ?? 16000,
    frameLength: opts.frameLength ?? 25,
    frameShift: opts.frameShift ?? 10,
    roundToPowerOfTwo: opts.roundToPowerOfTwo ?? true,
    snipEdges: opts.snipEdges ?? true,
  };
  const dither = opts.dither ?? 0;
  const preemph = opts.preemphasisCoefficient ?? 0.97;
  const removeDc = opts.removeDcOffset ?? true;
  const numBins = opts.numMelBins ?? 23;
  const usePower = opts.usePower ?? true;
  const useLog = opts.useLogFbank ?? true;
  const useEnergy = opts.useEnergy ?? false;
  const rawEnergy = opts.rawEnergy ?? true;
  const energyFloor = opts.energyFloor ?? 1;
  const htk = opts.htkCompat ?? false;
  if (dither !== 0 && !opts.rng) throw new RecurError('fbank: dither needs an rng (pass { rng: new Rng(seed) })');
  if (!(samples instanceof Float32Array)) throw new RecurError('fbank: samples must be a Float32Array');

  const { windowSize, windowShift, paddedSize, frames } = framing(samples.length, o);
  const { banks, window, spectrum } = frameTools(numBins, paddedSize, o.sampleFrequency, opts.lowFreq ?? 20, opts.highFreq ?? 0,
    opts.windowType ?? 'povey', windowSize, opts.blackmanCoeff ?? 0.42);
  const withEnergy = useEnergy || keepEnergy;
  const dim = numBins + (useEnergy ? 1 : 0);
  const melOffset = useEnergy && !htk ? 1 : 0;
  const out = new Float64Array(frames * dim);
  const logEnergy = new Float64Array(withEnergy ? frames : 0);
  const frame = new Float64Array(paddedSize);
  const power = new Float64Array(paddedSize / 2 + 1);
  const n = samples.length;
  const pad = Math.floor(windowSize / 2) - Math.floor(windowShift / 2);
  const logFloor = energyFloor > 0 ? Math.log(energyFloor) : -Infinity;

  for (let t = 0; t < frames; t++) {
    const base = t * windowShift;
    if (o.snipEdges) frame.set(samples.subarray(base, base + windowSize));
    else {
      for (let j = 0; j < windowSize; j++) {
        // torchaudio's reflection: [x[pad-1] .. x[0]] x [x[n-1] .. x[0]]
        const r = base + j - pad;
        frame[j] = samples[r < 0 ? -r - 1 : r >= n ? 2 * n - 1 - r : r]!;
      }
    }
    if (dither !== 0) for (let j = 0; j < windowSize; j++) frame[j] = frame[j]! + dither * opts.rng!.normal();
    if (removeDc) {
      let mean = 0;
      for (let j = 0; j < windowSize; j++) mean += frame[j]!;
      mean /= windowSize;
      for (let j = 0; j < windowSize; j++) frame[j] = frame[j]! - mean;
    }
    if (withEnergy && rawEnergy) logEnergy[t] = frameLogEnergy(frame, windowSize, logFloor);
    if (preemph !== 0) {
      for (let j = windowSize - 1; j > 0; j--) frame[j] = frame[j]! - preemph * frame[j - 1]!;
      frame[0] = frame[0]! - preemph * frame[0]!;
    }
    for (let j = 0; j < windowSize; j++) frame[j] = frame[j]! * window[j]!;
    frame.fill(0, windowSize);
    if (withEnergy && !rawEnergy) logEnergy[t] = frameLogEnergy(frame, paddedSize, logFloor);

    spectrum.compute(frame, power);
    if (!usePower) for (let k = 0; k < power.length; k++) power[k] = Math.sqrt(power[k]!);
    const row = t * dim + melOffset;
    for (let c = 0; c < numBins; c++) {
      const w = banks.weights[c]!, s = banks.start[c]!;
      let e = 0;
      for (let k = 0; k < w.length; k++) e += power[s + k]! * w[k]!;
      out[row + c] = useLog ? Math.log(Math.max(e, EPSILON)) : e;
    }
    if (useEnergy) out[t * dim + (htk ? numBins : 0)] = logEnergy[t]!;
  }

  if (opts.subtractMean) subtractColumnMeans(out, frames, dim);
  return { data: out, frames, dim, logEnergy };
}

interface FrameTools {
  banks: MelBanks;
  window: Float64Array;
  spectrum: PowerSpectrum;
}

const toolCache = new Map<string, FrameTools>();

/** Mel banks, window and FFT of one configuration, kept: building them costs as much as ~10 frames. */
function frameTools(numBins: number, paddedSize: number, rate: number, low: number, high: number, type: WindowType, size: number, blackman: number): FrameTools {
  const key = `${numBins}/${paddedSize}/${rate}/${low}/${high}/${type}/${size}/${blackman}`;
  let tools = toolCache.get(key);
  if (!tools) {
    tools = { banks: melBanks(numBins, paddedSize, rate, low, high), window: featureWindow(type, size, blackman), spectrum: new PowerSpectrum(paddedSize) };
    if (toolCache.size >= 16) toolCache.clear();
    toolCache.set(key, tools);
  }
  return tools;
}

function frameLogEnergy(frame: Float64Array, size: number, logFloor: number): number {
  let e = 0;
  for (let j = 0; j < size; j++) e += frame[j]! * frame[j]!;
  return Math.max(Math.log(Math.max(e, EPSILON)), logFloor);
}

/** Subtracts each column's mean over the rows of a [frames, dim] matrix, in place. */
export function subtractColumnMeans(data: Float32Array | Float64Array, frames: number, dim: number): void {
  if (frames === 0) return;
  const mean = new Float64Array(dim);
  for (let t = 0; t < frames; t++) for (let c = 0; c < dim; c++) mean[c] = mean[c]! + data[t * dim + c]!;
  for (let c = 0; c < dim; c++) mean[c] = mean[c]! / frames;
  for (let t = 0; t < frames; t++) for (let c = 0; c < dim; c++) data[t * dim + c] = data[t * dim + c]! - mean[c]!;
}
