/**
 * WAV decoding and encoding, browser-safe (bytes in, bytes out). The RIFF chunks are parsed by
 * the `wavefile` package; this file checks what it found and turns the samples into mono
 * float32 in [-1, 1], the scaling of `torchaudio.load(normalize=True)`.
 *
 * | encoding (fmt tag)         | bits        | sample -> float                      |
 * |----------------------------|-------------|--------------------------------------|
 * | PCM (1)                    | 8 unsigned  | (v - 128) / 128                      |
 * | PCM (1)                    | 16, 24, 32  | v / 2^(bits-1)                       |
 * | IEEE float (3)             | 32, 64      | v                                    |
 * | mu-law (7), A-law (6)      | 8           | decoded to 16-bit, then v / 32768    |
 * | WAVE_FORMAT_EXTENSIBLE     | as above    | by its sub-format (PCM or float)     |
 *
 * Several channels are downmixed by averaging them. Anything else (ADPCM, GSM, MP3 in WAV, ...)
 * and every malformed file is a one-line {@link WavError} naming the source and what was found.
 */
import * as wavefileModule from 'wavefile';
import { RecurError } from '../errors.js';

type WaveFileClass = typeof wavefileModule.WaveFile;
// Node loads wavefile's CommonJS build (the class sits on the default export); bundlers that
// follow its `module` field get named exports. Either way this is the same class.
const wavefileExports: Record<string, unknown> = wavefileModule;
const WaveFile = (wavefileExports.WaveFile ?? (wavefileExports['default'] as { WaveFile: WaveFileClass }).WaveFile) as WaveFileClass;

/** A WAV file could not be decoded; `source` is the file name (or label) the caller gave. */
export class WavError extends RecurError {
  readonly source: string;

  constructor(source: string, what: string) {
    super(`${source}: ${what}`);
    this.name = 'WavError';
    this.source = source;
  }
}

/** Decoded audio: mono samples in [-1, 1] and what the file held. */
export interface Audio {
  /** Mono samples, float32, [-1, 1] for integer encodings (float files are passed through). */
  samples: Float32Array;
  sampleRate: number;
  /** Channels in the file (downmixed to one in `samples`). */
  channels: number;
  /** E.g. `pcm16`, `pcm24`, `float32`, `mulaw`: the file's encoding. */
  encoding: string;
}

interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
  subformat?: number[];
}

/** Data sizes from here up are "unknown length" placeholders of streaming writers. */
const STREAMED_SIZE = 0x7ffff000;

const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'MS ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MP3',
  0x0092: 'Dolby AC3',
  0x0161: 'WMA',
};

function formatName(code: number): string {
  return `${FORMAT_NAMES[code] ?? 'unknown encoding'} (format tag 0x${code.toString(16).padStart(4, '0')})`;
}

/**
 * Decodes a WAV file. `source` names it in errors (`a.wav: not a WAV file (starts with "hell")`).
 * Truncated files are errors, not silently shortened audio.
 */
export function decodeWav(bytes: Uint8Array, source = 'WAV data'): Audio {
  if (bytes.length < 12) throw new WavError(source, `not a WAV file (only ${bytes.length} bytes)`);
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  const wave = String.fromCharCode(bytes[8]!, bytes[9]!, bytes[10]!, bytes[11]!);
  if (!['RIFF', 'RIFX', 'RF64'].includes(magic) || wave !== 'WAVE') {
    throw new WavError(source, `not a WAV file (starts with ${JSON.stringify(printable(bytes.subarray(0, 12)))}, expected "RIFF....WAVE")`);
  }

  let wav: InstanceType<WaveFileClass>;
  try {
    wav = new WaveFile(bytes);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/data" chunk/.test(msg)) throw new WavError(source, 'truncated or malformed WAV: no "data" chunk');
    if (/fmt " chunk/.test(msg)) throw new WavError(source, 'truncated or malformed WAV: no "fmt " chunk');
    throw new WavError(source, `malformed WAV (${msg.replace(/\.$/, '')})`);
  }
  const fmt = wav.fmt as FmtChunk;
  const code = fmt.audioFormat === 0xfffe ? (fmt.subformat?.[0] ?? 0) : fmt.audioFormat;
  const bits = fmt.bitsPerSample;
  const channels = fmt.numChannels;
  const sampleRate = fmt.sampleRate;
  if (!(channels >= 1)) throw new WavError(source, `malformed WAV: ${channels} channels`);
  if (!(fmt.sampleRate > 0)) throw new WavError(source, `malformed WAV: sample rate ${fmt.sampleRate}`);

  let encoding: string;
  let scale: number;
  let offset = 0;
  if (code === 1 && (bits === 8 || bits === 16 || bits === 24 || bits === 32)) {
    encoding = `pcm${bits}`;
    scale = bits === 8 ? 1 / 128 : 1 / 2 ** (bits - 1);
    if (bits === 8) offset = -128;
  } else if (code === 3 && (bits === 32 || bits === 64)) {
    encoding = `float${bits}`;
    scale = 1;
  } else if ((code === 7 || code === 6) && bits === 8) {
    encoding = code === 7 ? 'mulaw' : 'alaw';
    scale = 1 / 32768;
  } else if (code === 1 || code === 3) {
    throw new WavError(source, `unsupported encoding: ${code === 1 ? 'PCM' : 'IEEE float'} with ${bits} bits per sample (supported: PCM 8/16/24/32, float 32/64)`);
  } else {
    throw new WavError(source, `unsupported encoding: ${formatName(code)} (supported: PCM 8/16/24/32-bit, float 32/64-bit, mu-law, A-law)`);
  }

  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  const frameBytes = (bits / 8) * channels;
  // Writers that stream to a pipe (espeak-ng --stdout, ffmpeg) cannot know the length and put a
  // placeholder near 2^31 or 2^32 there; the data then simply runs to the end of the file.
  const streamed = data.chunkSize >= STREAMED_SIZE;
  if (data.samples.length < data.chunkSize && !streamed) {
    throw new WavError(source, `truncated: the data chunk declares ${data.chunkSize} bytes, the file holds ${data.samples.length}`);
  }
  if (data.samples.length % frameBytes !== 0 && !streamed) {
    throw new WavError(source, `truncated: ${data.samples.length} data bytes is not a whole number of ${frameBytes}-byte frames`);
  }
  if (streamed && data.samples.length % frameBytes !== 0) data.samples = data.samples.subarray(0, data.samples.length - (data.samples.length % frameBytes));
  const frames = data.samples.length / frameBytes;
  let raw: Float64Array;
  try {
    if (encoding === 'mulaw') wav.fromMuLaw();
    else if (encoding === 'alaw') wav.fromALaw();
    // wavefile reads extensible float files as integers, so float data is read here directly
    raw = code === 3 ? floats(data.samples, bits, wav.container !== 'RIFX') : (wav.getSamples(true, Float64Array) as unknown as Float64Array);
  } catch (e) {
    throw new WavError(source, `malformed WAV (${(e instanceof Error ? e.message : String(e)).replace(/\.$/, '')})`);
  }
  const samples = new Float32Array(frames);
  const k = scale / channels;
  for (let t = 0; t < frames; t++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += raw[t * channels + c]! + offset;
    samples[t] = sum * k;
  }
  return { samples, sampleRate, channels, encoding };
}

/** Mono 16-bit PCM WAV bytes of `samples` (clipped to [-1, 1], rounded to the nearest step). */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RecurError(`encodeWav16: sample rate must be a positive integer, got ${sampleRate}`);
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i]! * 32768);
    pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '16', pcm);
  return wav.toBuffer();
}

function floats(bytes: Uint8Array, bits: number, littleEndian: boolean): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / (bits / 8);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = bits === 32 ? view.getFloat32(4 * i, littleEndian) : view.getFloat64(8 * i, littleEndian);
  return out;
}

function printable(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c >= 32 && c < 127 ? String.fromCharCode(c) : '.';
  return s;
}
