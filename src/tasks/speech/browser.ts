/**
 * A trained speech run in any JavaScript runtime, browser included (no file system):
 * `import { speech } from 'recur'; const run = speech.fromCheckpoint(bytes)`, then
 * `await speech.transcribe(run, samples, sampleRate)` for PCM at any rate (a microphone's), or
 * `speech.transcribeWav(run, wavBytes, name)`. The same front end, model and decoder as
 * `recur transcribe` (src/tasks/speech/run.ts), so both give the same text for the same audio.
 */
import { fbank, type Features } from '../../audio/fbank.js';
import { resample } from '../../audio/resample.js';
import { decodeWav } from '../../audio/wav.js';
import { RecurError } from '../../errors.js';
import { modelFromCheckpoint } from '../from-checkpoint.js';
import type { FeatureUtterance } from './batch.js';
import { checkSpeechRun, DEFAULT_SAMPLE_RATE, SPEECH_KIND } from './check.js';
import { SpeechRecognizer } from './model.js';
import { targetsOf, utteranceFeatures, type SpeechRun } from './run-config.js';
import { transcribeUtterances } from './task.js';

export { SpeechRecognizer, type SpeechRecognizerConfig } from './model.js';
export { UnitSet } from './units.js';
export type { SpeechRun, SpeechRunConfig } from './run-config.js';
export type { SpeechTargets } from './task.js';
export type { FeatureUtterance } from './batch.js';

/** Rebuilds a speech recogniser from a run's checkpoint bytes (best/last.safetensors); `name` labels errors. */
export function fromCheckpoint(bytes: Uint8Array | ArrayBuffer, name = 'checkpoint'): SpeechRun {
  const { model, config } = modelFromCheckpoint(bytes, name, SPEECH_KIND, checkSpeechRun, (c) => new SpeechRecognizer(c.model));
  return { model, targets: targetsOf(config), config };
}

/** The sample rate the run's features were trained at (Hz). */
export function sampleRateOf(run: Pick<SpeechRun, 'config'>): number {
  return run.config.features.sampleRate ?? DEFAULT_SAMPLE_RATE;
}

/** Mono samples at `sampleRate` Hz resampled to the run's rate (a copy when no resampling is needed). */
export function audioForRun(run: Pick<SpeechRun, 'config'>, samples: Float32Array, sampleRate: number): Float32Array {
  return resample(samples, sampleRate, sampleRateOf(run));
}

/** The run's input features of mono samples at any rate; `source` names the audio in errors. */
export function featuresOf(run: Pick<SpeechRun, 'config'>, samples: Float32Array, sampleRate: number, source = 'audio'): FeatureUtterance {
  return utteranceFeatures(run, audioForRun(run, samples, sampleRate), source);
}

export interface TranscribeOptions {
  /** CTC beam width; 1 (the default) is greedy decoding. Ignored by classify heads. */
  beam?: number;
  /** Names the audio in errors. */
  source?: string;
}

export interface Transcript {
  /** The transcript (CTC) or the class name (classify head). */
  text: string;
  /** The features the model read. */
  utterance: FeatureUtterance;
  /** Duration of the audio in seconds. */
  seconds: number;
}

/** Transcribes mono samples in [-1, 1] at `sampleRate` Hz. */
export async function transcribe(run: SpeechRun, samples: Float32Array, sampleRate: number, o: TranscribeOptions = {}): Promise<Transcript> {
  const beam = o.beam ?? 1;
  if (!Number.isInteger(beam) || beam < 1) throw new RecurError(`transcribe: beam must be a whole number >= 1, got ${beam}`);
  const utterance = featuresOf(run, samples, sampleRate, o.source ?? 'audio');
  const { texts } = await transcribeUtterances(run.model, run.targets, [utterance], { beam });
  return { text: texts[0]!, utterance, seconds: samples.length / sampleRate };
}

/** Transcribes a WAV file's bytes; `name` labels errors (a bad file is one line naming it). */
export async function transcribeWav(run: SpeechRun, bytes: Uint8Array, name = 'WAV data', o: Omit<TranscribeOptions, 'source'> = {}): Promise<Transcript & { samples: Float32Array; sampleRate: number }> {
  const audio = decodeWav(bytes, name);
  return { ...(await transcribe(run, audio.samples, audio.sampleRate, { ...o, source: name })), samples: audio.samples, sampleRate: audio.sampleRate };
}

/**
 * A log-mel spectrogram to draw: Kaldi fbank log energies (25 ms frames every 10 ms) of the
 * samples at their own rate, without the run's normalisation, `numMelBins` bands from low to high.
 */
export function spectrogram(samples: Float32Array, sampleRate: number, numMelBins = 64): Features {
  const x = new Float32Array(samples.length);
  for (let i = 0; i < x.length; i++) x[i] = samples[i]! * 32768;
  return fbank(x, { sampleFrequency: sampleRate, numMelBins });
}
