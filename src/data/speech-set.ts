/**
 * Speech data sets: utterances (audio at 16 kHz and a transcript) read from a TSV manifest
 * `path<TAB>transcript`, one utterance per line. Relative paths are resolved against the
 * manifest's folder. Empty lines and lines starting with `#` are ignored, and so is a first
 * line `path<TAB>transcript` (a header).
 *
 * A line without a tab, or with an empty path or transcript, is an error naming the manifest
 * and line: the manifest itself is wrong. An audio file that is missing or cannot be decoded is
 * skipped with a warning and counted in `skipped`; it never stops the load.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { readAudioFile } from '../audio/node.js';
import { RecurError } from '../errors.js';
import { CorpusError } from './corpus-error.js';
import { readTextFile } from './text-file.js';

export interface ManifestEntry {
  /** Absolute path of the audio file. */
  path: string;
  transcript: string;
  /** 1-based line in the manifest. */
  line: number;
}

/** One utterance; `audio` is the 16 kHz mono samples, or what `transform` made of them. */
export interface Utterance<A = Float32Array> {
  /** The path as the manifest gives it (unique within a set). */
  id: string;
  path: string;
  transcript: string;
  /** Seconds of audio. */
  duration: number;
  audio: A;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface SpeechSet<A = Float32Array> {
  /** Where it came from: the manifest path or the data set name and split. */
  source: string;
  utterances: Array<Utterance<A>>;
  skipped: SkippedFile[];
}

export interface SpeechLoadOptions<A> {
  /** Rate of the returned audio. Default 16000. */
  sampleRate?: number;
  /** Applied to each utterance's samples as it is read (e.g. feature extraction), so large sets need not keep the audio. */
  transform?: (samples: Float32Array, entry: ManifestEntry) => A;
  /** Called once per skipped file. Default: a line on stderr. */
  onWarning?: (message: string) => void;
}

export const defaultWarning = (message: string): void => {
  process.stderr.write(`warning: ${message}\n`);
};

/** Parses a manifest without reading the audio. Paths come back absolute. */
export function readManifest(tsv: string): ManifestEntry[] {
  const text = readTextFile(tsv);
  const base = dirname(resolve(tsv));
  const out: ManifestEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const tab = raw.indexOf('\t');
    if (tab < 0) throw new CorpusError(`${tsv}:${i + 1}: expected "path<TAB>transcript", found no tab in ${JSON.stringify(clip(raw))}`, tsv);
    const path = raw.slice(0, tab).trim(), transcript = raw.slice(tab + 1).trim();
    if (out.length === 0 && path.toLowerCase() === 'path' && /^(transcript|text|sentence)$/i.test(transcript)) continue;
    if (path === '') throw new CorpusError(`${tsv}:${i + 1}: empty audio path`, tsv);
    if (transcript === '') throw new CorpusError(`${tsv}:${i + 1}: empty transcript for ${path}`, tsv);
    out.push({ path: isAbsolute(path) ? path : resolve(base, path), transcript, line: i + 1 });
  }
  return out;
}

/**
 * Reads the manifest and every audio file in it (see the module doc for what is skipped).
 * Without `transform`, `A` is Float32Array (the samples).
 */
export function loadSpeechManifest<A = Float32Array>(tsv: string, opts: SpeechLoadOptions<A> = {}): SpeechSet<A> {
  if (!existsSync(tsv)) throw new CorpusError(`file not found: ${tsv}`, tsv);
  return loadEntries(readManifest(tsv), tsv, opts);
}

/** Reads the audio of manifest entries into a speech set; unreadable files are skipped and counted. */
export function loadEntries<A = Float32Array>(entries: ManifestEntry[], source: string, opts: SpeechLoadOptions<A> = {}): SpeechSet<A> {
  const rate = opts.sampleRate ?? 16000;
  const warn = opts.onWarning ?? defaultWarning;
  const transform = opts.transform ?? ((samples: Float32Array): A => samples as unknown as A);
  const utterances: Array<Utterance<A>> = [];
  const skipped: SkippedFile[] = [];
  for (const e of entries) {
    let samples: Float32Array;
    try {
      samples = readAudioFile(e.path, rate);
    } catch (err) {
      if (!(err instanceof RecurError)) throw err;
      skipped.push({ path: e.path, reason: err.message });
      warn(`${err.message} (skipped: ${source} line ${e.line})`);
      continue;
    }
    utterances.push({ id: e.path, path: e.path, transcript: e.transcript, duration: samples.length / rate, audio: transform(samples, e) });
  }
  return { source, utterances, skipped };
}

/** One line: `train.tsv: 120 utterances, 3.4 min of audio; 2 files skipped (see warnings)`. */
export function summarizeSpeechSet(set: SpeechSet<unknown>): string {
  const seconds = set.utterances.reduce((s, u) => s + u.duration, 0);
  const length = seconds >= 120 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(1)} s`;
  const skipped = set.skipped.length ? `; ${set.skipped.length} file${set.skipped.length === 1 ? '' : 's'} skipped (see warnings)` : '';
  return `${set.source}: ${set.utterances.length} utterances, ${length} of audio${skipped}`;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
