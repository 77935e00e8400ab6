import { RecurError } from '../../errors.js';
import { loadMidiFolder, splitByFile, type MidiEntry } from '../../music/corpus.js';
import { tempoMap } from '../../music/midi.js';
import { encodePerformance } from '../../music/performance.js';
import { pianoRoll, type FrameSpec, type PianoRoll } from '../../music/pianoroll.js';
import { timedNotes, type TimedNote } from '../../music/timed.js';

export interface MusicSources {
  /** A folder of .mid files (searched recursively), a .mid file, or a built-in corpus name. */
  data: string;
  /**
   * Held-out folders. Without `valid` the fixed split by file of `data` applies (corpus.ts),
   * with `test` replacing its test share; with `valid` all of `data` trains and the test files
   * are `test`'s only (none without it).
   */
  valid?: string | null;
  test?: string | null;
}

export interface MusicSplits {
  train: MidiEntry[];
  valid: MidiEntry[];
  test: MidiEntry[];
  /** Files that could not be read, over all sources. */
  skipped: number;
}

/**
 * Loads the training and held-out files. A file that does not parse is reported through
 * onSkip and counted; a split left with no usable file is an error naming it.
 */
export function loadMusicSplits(s: MusicSources, onSkip?: (path: string, reason: string) => void): MusicSplits {
  const opts = { drums: 'drop' as const, ...(onSkip ? { onSkip } : {}) };
  const main = loadMidiFolder(s.data, opts);
  let skipped = main.skipped.length;
  const extra = (src: string | null | undefined): MidiEntry[] | null => {
    if (!src) return null;
    const f = loadMidiFolder(src, opts);
    skipped += f.skipped.length;
    return f.files;
  };
  const valid = extra(s.valid), test = extra(s.test);
  let splits: Omit<MusicSplits, 'skipped'>;
  if (valid) {
    splits = { train: main.files, valid, test: test ?? [] };
  } else {
    const fixed = splitByFile(main.files, `'${s.data}'`);
    splits = { ...fixed, test: test ?? fixed.test };
  }
  const source = { train: s.data, valid: s.valid ?? s.data, test: s.test ?? s.data };
  for (const name of ['train', 'valid', 'test'] as const) {
    if (name === 'test' && splits.test.length === 0 && valid && !test) continue;
    if (!splits[name].some((f) => f.score.notes.length > 0)) throw new RecurError(`no pitched notes in the ${name} files of '${source[name]}'`);
  }
  return { ...splits, skipped };
}

/** The pitched notes of each file in seconds. */
export function piecesOf(files: readonly MidiEntry[]): TimedNote[][] {
  return files.map((f) => timedNotes(f.score));
}

/** Each file as performance events (one sequence per file). */
export function eventsOf(files: readonly MidiEntry[]): Int32Array[] {
  return piecesOf(files).map(encodePerformance);
}

/** Each file as a piano roll; files with no frame are left out. */
export function rollsOf(files: readonly MidiEntry[], spec: FrameSpec): PianoRoll[] {
  return files.map((f) => pianoRoll(f.score, spec, tempoMap(f.score))).filter((r) => r.frames > 0);
}

/** Sequences end to end, one stream (the layout the LM machinery trains and evaluates on). */
export function concatIds(seqs: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(seqs.reduce((a, s) => a + s.length, 0));
  let o = 0;
  for (const s of seqs) {
    out.set(s, o);
    o += s.length;
  }
  return out;
}
