/**
 * The speech front end in one call: samples -> Kaldi fbank or MFCC -> deltas -> CMVN. The
 * config is plain JSON, so a run can store it and apply the same front end at inference.
 *
 * Samples are [-1, 1] floats (as decodeWav returns); they are multiplied by 32768 first, the
 * int16 scale Kaldi's features are defined on (so log energies match Kaldi's and torchaudio's
 * on `waveform * 32768`, the usual recipe).
 */
import { RecurError } from '../errors.js';
import { withDeltas } from './deltas.js';
import { fbank, type Features } from './fbank.js';
import { mfcc } from './mfcc.js';
import { cmvn } from './normalize.js';

export interface FeatureConfig {
  kind: 'fbank' | 'mfcc';
  /** Hz of the samples given. Default 16000. */
  sampleRate?: number;
  /** Default 80 for fbank, 40 for mfcc. */
  numMelBins?: number;
  /** MFCC only. Default 13. */
  numCeps?: number;
  /** 0: none, 1: deltas, 2: deltas and delta-deltas. Default 0. */
  deltas?: 0 | 1 | 2;
  /** Per-utterance mean and variance normalisation. Default true. */
  cmvn?: boolean;
}

/** Feature size per frame for a config (C of the [T, C] output of {@link extractFeatures}). */
export function featureDim(config: FeatureConfig): number {
  const base = config.kind === 'mfcc' ? (config.numCeps ?? 13) : (config.numMelBins ?? 80);
  return base * (1 + (config.deltas ?? 0));
}

export function extractFeatures(samples: Float32Array, config: FeatureConfig): Features {
  if (config.kind !== 'fbank' && config.kind !== 'mfcc') {
    throw new RecurError(`features: kind must be 'fbank' or 'mfcc', got '${String(config.kind)}'`);
  }
  const x = new Float32Array(samples.length);
  for (let i = 0; i < x.length; i++) x[i] = samples[i]! * 32768;
  const sampleFrequency = config.sampleRate ?? 16000;
  let f = config.kind === 'fbank'
    ? fbank(x, { sampleFrequency, numMelBins: config.numMelBins ?? 80 })
    : mfcc(x, { sampleFrequency, numMelBins: config.numMelBins ?? 40, numCeps: config.numCeps ?? 13 });
  const order = config.deltas ?? 0;
  if (order > 0) f = withDeltas(f, order);
  if (config.cmvn ?? true) f = cmvn(f);
  return f;
}

