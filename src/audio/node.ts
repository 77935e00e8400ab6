/** Node-only audio: reading and writing WAV files. Everything in `./index.js` is re-exported. */
import { readFileBytes, writeFileAtomic } from '../io/files.js';
import { resample } from './resample.js';
import { decodeWav, encodeWav16, type Audio } from './wav.js';

export * from './index.js';

/** Decodes a WAV file; errors are one line naming the file (RecurError / WavError). */
export function readWavFile(file: string): Audio {
  return decodeWav(readFileBytes(file), file);
}

/** Mono samples of a WAV file at `sampleRate` Hz (default 16000), resampled if needed. */
export function readAudioFile(file: string, sampleRate = 16000): Float32Array {
  const a = readWavFile(file);
  return a.sampleRate === sampleRate ? a.samples : resample(a.samples, a.sampleRate, sampleRate);
}

/** Writes mono 16-bit PCM, atomically. */
export function writeWavFile(file: string, samples: Float32Array, sampleRate: number): void {
  writeFileAtomic(file, encodeWav16(samples, sampleRate));
}
