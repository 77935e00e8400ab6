import { RecurError } from '../../errors.js';
import { loadTextCorpus } from '../../data/corpora.js';
import { splitContiguous } from '../../data/streams.js';
import { BpeTokenizer } from '../../text/bpe-tokenizer.js';
import { CharTokenizer } from '../../text/char-tokenizer.js';
import { tokenizerFromJSON } from '../../text/from-json.js';
import type { Tokenizer, TokenizerJSON } from '../../text/tokenizer.js';
import { WordTokenizer } from '../../text/word-tokenizer.js';
import type { LmSplits } from './task.js';

export type Level = 'char' | 'word' | 'bpe';

/** Where a language model's text comes from: a corpus, and optionally held-out files. */
export interface LmDataSpec {
  /** moby-dick, sotu, brown, or a text file / folder. */
  corpus: string;
  /** Validation text: the whole corpus then trains (no split of it). */
  valid?: string;
  /** Test text. */
  test?: string;
}

export interface TokenizerOptions {
  level: Level;
  /** Word level: keep at most this many words (incl. specials). */
  maxVocab?: number;
  /** Word level: drop words seen fewer times. */
  minFreq?: number;
  lowercase?: boolean;
  /** BPE: target vocabulary size. */
  bpeVocab?: number;
}

export function buildTokenizer(text: string, o: TokenizerOptions): Tokenizer {
  switch (o.level) {
    case 'char':
      return CharTokenizer.fromCorpus(text);
    case 'word':
      return WordTokenizer.fromCorpus(text, { lowercase: o.lowercase ?? false, minFreq: o.minFreq ?? 1, ...(o.maxVocab ? { maxSize: o.maxVocab } : {}) });
    case 'bpe':
      return BpeTokenizer.train(text, { vocabSize: o.bpeVocab ?? 2000 });
    default:
      throw new RecurError(`unknown level '${String(o.level)}' (expected char, word or bpe)`);
  }
}

/**
 * Loads a corpus and splits it contiguously (90/5/5) before tokenizing, so the tokenizer is
 * built from the training text only, as a held-out split must not shape the vocabulary. A
 * validation file means the whole corpus trains (the test text is then only a --test file, and
 * `splits.test` is empty without one); a test file alone replaces the 5% test share.
 */
export function prepareLmData(data: LmDataSpec, o: TokenizerOptions, saved?: TokenizerJSON): { tokenizer: Tokenizer; splits: LmSplits } {
  const text = loadTextCorpus(data.corpus);
  const parts = splitContiguous(text, { valid: data.valid ? 0 : 0.05, test: data.valid || data.test ? 0 : 0.05 });
  const valid = data.valid ? loadTextCorpus(data.valid) : parts.valid;
  const test = data.test ? loadTextCorpus(data.test) : parts.test;
  const tokenizer = saved ? tokenizerFromJSON(saved) : buildTokenizer(parts.train, o);
  const splits = { train: tokenizer.encode(parts.train), valid: tokenizer.encode(valid), test: tokenizer.encode(test) };
  if (splits.train.length < 4) throw new RecurError(`corpus '${data.corpus}' is too small to train on (${splits.train.length} training tokens)`);
  return { tokenizer, splits };
}
