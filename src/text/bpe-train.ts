import { Heap } from './heap.js';

/**
 * GPT-2's pre-tokenizer: contractions, runs of letters, of digits, of other symbols (each
 * optionally with one leading space), and whitespace. Merges never cross these pieces, so
 * a frequent word is learnt as one unit and training works on a word-frequency table
 * instead of the whole corpus.
 */
const PRETOKENIZE_PATTERN = /'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Ids are packed into one number per pair; this bounds the vocabulary (2^21 ≈ 2M). */
export const MAX_BPE_VOCAB = 2 ** 21;

export function pairKey(a: number, b: number): number {
  return a * MAX_BPE_VOCAB + b;
}

export function pretokenize(text: string): string[] {
  return text.match(PRETOKENIZE_PATTERN) ?? [];
}

export function countPretokens(texts: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of pretokenize(text)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  }
  return counts;
}

/**
 * Learns up to `numMerges` merges over a word-frequency table. Returns them flat:
 * merge i joins ids out[2i], out[2i+1] into id 256 + i.
 *
 * Incremental, as in HuggingFace tokenizers: pair counts live in a map, an index says
 * which words hold each pair, and a merge rewrites only those words, adjusting counts
 * by their frequency. The best pair comes from a lazily-updated heap. Ties go to the
 * smaller (left id, right id), so the result depends on the counts alone.
 */
export function learnMerges(wordCounts: ReadonlyMap<string, number>, numMerges: number, minFrequency: number): number[] {
  const encoder = new TextEncoder();
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [word, freq] of wordCounts) {
    words.push(Array.from(encoder.encode(word)));
    freqs.push(freq);
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const changed = new Set<number>();
  const adjust = (key: number, delta: number, word: number): void => {
    const c = (pairCount.get(key) ?? 0) + delta;
    changed.add(key);
    if (c === 0) {
      pairCount.delete(key);
      pairWords.delete(key);
      return;
    }
    pairCount.set(key, c);
    if (delta > 0) {
      let set = pairWords.get(key);
      if (set === undefined) pairWords.set(key, (set = new Set()));
      set.add(word);
    }
  };
  for (let w = 0; w < words.length; w++) {
    const sym = words[w]!;
    for (let i = 0; i + 1 < sym.length; i++) adjust(pairKey(sym[i]!, sym[i + 1]!), freqs[w]!, w);
  }

  // Entries are [count, key]; higher count first, then smaller key.
  const heap = new Heap<[number, number]>((x, y) => x[0] > y[0] || (x[0] === y[0] && x[1] < y[1]));
  const pushChanged = (): void => {
    for (const key of changed) {
      const c = pairCount.get(key);
      if (c !== undefined) heap.push([c, key]);
    }
    changed.clear();
  };
  pushChanged();

  const merges: number[] = [];
  while (merges.length / 2 < numMerges) {
    const top = heap.pop();
    if (top === undefined) break;
    const [count, key] = top;
    if (pairCount.get(key) !== count) continue; // stale entry
    if (count < minFrequency) break;
    const a = Math.floor(key / MAX_BPE_VOCAB);
    const b = key % MAX_BPE_VOCAB;
    const z = 256 + merges.length / 2;
    merges.push(a, b);
    for (const w of [...(pairWords.get(key) ?? [])]) {
      const old = words[w]!;
      const next = mergeSymbols(old, a, b, z);
      if (next === null) continue; // index entries are never removed, so some are stale
      const f = freqs[w]!;
      for (let i = 0; i + 1 < old.length; i++) adjust(pairKey(old[i]!, old[i + 1]!), -f, w);
      for (let i = 0; i + 1 < next.length; i++) adjust(pairKey(next[i]!, next[i + 1]!), f, w);
      words[w] = next;
    }
    pushChanged();
  }
  return merges;
}

/** Replaces each non-overlapping (a, b), scanning left to right, by z; null if none. */
export function mergeSymbols(sym: readonly number[], a: number, b: number, z: number): number[] | null {
  let out: number[] | null = null;
  for (let i = 0; i < sym.length; i++) {
    if (sym[i] === a && i + 1 < sym.length && sym[i + 1] === b) {
      out ??= sym.slice(0, i);
      out.push(z);
      i++;
    } else if (out !== null) {
      out.push(sym[i]!);
    }
  }
  return out;
}
