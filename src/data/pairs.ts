/**
 * Parallel text as tab-separated source/target pairs, and fixed held-out splits of them.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { CorpusError } from './corpus-error.js';
import { firstBinaryByte } from './text-file.js';

/** One training example. `targets[0]` is the one trained on; the others are alternatives metrics also accept. */
export interface ParallelExample {
  source: string;
  targets: string[];
  /** Where it came from (`Gen.1.1`, `file.tsv:12`, a word). */
  id: string;
}

/**
 * Reads `source<TAB>target` lines (further columns, such as Tatoeba's attribution, are
 * ignored). Blank lines and lines starting with `#` are skipped. Errors name the file and line.
 */
export function readPairsTsv(path: string): ParallelExample[] {
  if (!existsSync(path) || !statSync(path).isFile()) throw new CorpusError(`pairs file not found: ${path}`, path);
  const buf = readFileSync(path);
  const bin = firstBinaryByte(buf);
  if (bin >= 0) throw new CorpusError(`not a text file: ${path} (binary data at byte ${bin})`, path);
  const out: ParallelExample[] = [];
  buf.toString('utf8').split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim().length === 0 || line.startsWith('#')) return;
    const cols = line.split('\t');
    const where = `${path}:${i + 1}`;
    if (cols.length < 2) throw new CorpusError(`${where}: expected 'source<TAB>target', found no tab`, path);
    const source = cols[0]!.trim(), target = cols[1]!.trim();
    if (!source || !target) throw new CorpusError(`${where}: empty ${source ? 'target' : 'source'}`, path);
    out.push({ source, targets: [target], id: where });
  });
  if (out.length === 0) throw new CorpusError(`no pairs in ${path}`, path);
  return out;
}

/** 32-bit FNV-1a of a string's UTF-16 units: a stable, seedless hash for split assignment. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface PairSplits {
  train: ParallelExample[];
  valid: ParallelExample[];
  test: ParallelExample[];
}

/**
 * A fixed split that depends only on the examples' keys: examples are ordered by the hash of
 * `key` (ties by key) and the first ⌈n·test⌉ go to test, the next ⌈n·valid⌉ to valid, the rest
 * to train, each split keeping corpus order. Examples sharing a key (duplicate sources)
 * land in the same split, so a test sentence is never seen in training under another target.
 */
export function splitExamples(examples: readonly ParallelExample[], fractions: { valid: number; test: number },
  key: (e: ParallelExample) => string = (e) => e.source): PairSplits {
  const keys = [...new Set(examples.map(key))];
  const order = keys.map((k) => ({ k, h: fnv1a(k) })).sort((a, b) => a.h - b.h || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const nTest = Math.ceil(keys.length * fractions.test), nValid = Math.ceil(keys.length * fractions.valid);
  if (keys.length < nTest + nValid + 1) {
    throw new CorpusError(`too few distinct examples (${keys.length}) for a train/valid/test split`, '');
  }
  const where = new Map<string, 'train' | 'valid' | 'test'>();
  order.forEach(({ k }, i) => where.set(k, i < nTest ? 'test' : i < nTest + nValid ? 'valid' : 'train'));
  const out: PairSplits = { train: [], valid: [], test: [] };
  for (const e of examples) out[where.get(key(e))!].push(e);
  return out;
}
