import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { RecurError } from '../errors.js';
import { readMidi, type ReadMidiOptions, type Score } from './midi.js';

/**
 * MIDI shipped by Debian packages, the built-in corpora. Both packages hold hand-sequenced
 * General MIDI game music (several instruments and a drum track per piece):
 * openttd-openmsx 31 files, planetblupi-music-midi 10 files.
 */
export const BUILTIN_MIDI: Record<string, { dirs: string[]; packages: string[] }> = {
  openmsx: { dirs: ['/usr/share/games/openttd/baseset/openmsx'], packages: ['openttd-openmsx'] },
  planetblupi: { dirs: ['/usr/share/planetblupi/music'], packages: ['planetblupi-music-midi'] },
  debian: {
    dirs: ['/usr/share/games/openttd/baseset/openmsx', '/usr/share/planetblupi/music'],
    packages: ['openttd-openmsx', 'planetblupi-music-midi'],
  },
};

export interface MidiEntry {
  /** Path as given (resolved). */
  path: string;
  /** Path relative to the folder it was found in: the split key. */
  name: string;
  score: Score;
}

export interface MidiFolder {
  files: MidiEntry[];
  skipped: Array<{ path: string; reason: string }>;
}

export interface LoadMidiOptions extends ReadMidiOptions {
  /** Called once per file that could not be read (the CLI prints it as a warning). */
  onSkip?: (path: string, reason: string) => void;
}

function findMidi(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) out.push(...findMidi(p));
    else if (/\.(mid|midi|smf)$/i.test(name)) out.push(p);
  }
  return out;
}

/** True when every Debian package of a built-in corpus is installed. */
export function builtinMidiAvailable(name: string): boolean {
  const b = BUILTIN_MIDI[name];
  return !!b && b.dirs.every((d) => existsSync(d));
}

/** The folders a source names: a built-in corpus, a folder or a single .mid file. */
export function midiSourceDirs(source: string): string[] {
  const b = BUILTIN_MIDI[source];
  if (b) {
    if (!builtinMidiAvailable(source)) {
      throw new RecurError(`built-in MIDI corpus '${source}' is not installed; run: apt-get install ${b.packages.join(' ')}`);
    }
    return b.dirs;
  }
  if (!existsSync(source)) {
    throw new RecurError(`MIDI data not found: '${source}' (expected a folder of .mid files, a .mid file, or one of ${Object.keys(BUILTIN_MIDI).join(', ')})`);
  }
  return [source];
}

/**
 * Every .mid/.midi file under a source, searched recursively, in path order. A file that does
 * not parse is skipped, reported through onSkip and counted in `skipped`; it never stops the
 * folder from loading.
 */
export function loadMidiFolder(source: string, o: LoadMidiOptions = {}): MidiFolder {
  const files: MidiEntry[] = [];
  const skipped: MidiFolder['skipped'] = [];
  for (const dir of midiSourceDirs(source)) {
    const isFile = statSync(dir).isFile();
    const paths = isFile ? [dir] : findMidi(dir);
    for (const p of paths) {
      const path = resolve(p);
      try {
        const score = readMidi(readFileSync(path), path, o);
        files.push({ path, name: isFile ? relative(resolve(dir, '..'), path) : relative(resolve(dir), path), score });
      } catch (e) {
        if (!(e instanceof RecurError)) throw e;
        const reason = e.message.startsWith(path) ? e.message.slice(path.length + 2) : e.message;
        skipped.push({ path, reason });
        o.onSkip?.(path, reason);
      }
    }
  }
  return { files, skipped };
}

/** FNV-1a, 32 bits: a split key that does not change when other files are added. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export interface FileSplit<T> {
  train: T[];
  valid: T[];
  test: T[];
}

/**
 * The fixed split by file: files are ordered by the FNV-1a hash of their relative path; the
 * first 10% (at least one) are validation, the next 10% (at least one) test, the rest
 * training. A file keeps its split when others are added or removed. Needs 3 files.
 */
export function splitByFile<T extends { name: string }>(files: readonly T[], what = 'MIDI data'): FileSplit<T> {
  if (files.length < 3) {
    throw new RecurError(`${what} has ${files.length} readable file(s); the fixed split needs at least 3 (or give --valid DIR)`);
  }
  const order = hashOrder(files);
  const n = Math.max(1, Math.round(files.length * 0.1));
  return { valid: order.slice(0, n), test: order.slice(n, 2 * n), train: order.slice(2 * n) };
}

function hashOrder<T extends { name: string }>(files: readonly T[]): T[] {
  return [...files].sort((a, b) => fnv1a(a.name) - fnv1a(b.name) || (a.name < b.name ? -1 : 1));
}

/**
 * Fold `fold` of a `folds`-fold cross-validation, for corpora whose fixed test share is too
 * small to compare models on: in the same hash order as splitByFile, the files are cut into
 * `folds` contiguous parts of near-equal size; part `fold` is the test set, and of the rest the
 * first 10% (at least one) is validation. Every file is tested in exactly one fold.
 */
export function foldSplit<T extends { name: string }>(files: readonly T[], fold: number, folds: number, what = 'MIDI data'): FileSplit<T> {
  if (!Number.isInteger(folds) || folds < 2) throw new RecurError(`folds must be a whole number >= 2, got ${folds}`);
  if (!Number.isInteger(fold) || fold < 0 || fold >= folds) throw new RecurError(`fold must be a whole number in 0..${folds - 1}, got ${fold}`);
  if (files.length < folds + 2) throw new RecurError(`${what} has ${files.length} readable file(s); ${folds} folds need at least ${folds + 2}`);
  const order = hashOrder(files);
  const lo = Math.round((fold * order.length) / folds), hi = Math.round(((fold + 1) * order.length) / folds);
  const rest = [...order.slice(0, lo), ...order.slice(hi)];
  const n = Math.max(1, Math.round(rest.length * 0.1));
  return { test: order.slice(lo, hi), valid: rest.slice(0, n), train: rest.slice(n) };
}
