import { RecurError } from '../../errors.js';
import { loadTextCorpus } from '../../data/corpora.js';
import { splitContiguous } from '../../data/streams.js';
import { BpeTokenizer } from '../../text/bpe-tokenizer.js';
import { CharTokenizer } from '../../text/char-tokenizer.js';
import { tokenizerFromJSON } from '../../text/from-json.js';
import type { Tokenizer, TokenizerJSON } from '../../text/tokenizer.js';
import { WordTokenizer } from '../../text/word-tokenizer.js';
import type { LmSplits } from './task.js';
import type { LanguageModelConfig } from './model.js';

export type Level = 'char' | 'word' | 'bpe';

/** What a run directory's checkpoints carry as `config`: enough to rebuild model and tokenizer. */
export interface LmRunConfig {
  task: 'lm';
  corpus: string;
  level: Level;
  model: LanguageModelConfig;
  tokenizer: TokenizerJSON;
  train: Record<string, unknown>;
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
 * built from the training text only, as a held-out split must not shape the vocabulary.
 */
export function prepareLmData(corpus: string, o: TokenizerOptions, saved?: TokenizerJSON): { tokenizer: Tokenizer; splits: LmSplits } {
  const text = loadTextCorpus(corpus);
  const parts = splitContiguous(text);
  const tokenizer = saved ? tokenizerFromJSON(saved) : buildTokenizer(parts.train, o);
  const splits = { train: tokenizer.encode(parts.train), valid: tokenizer.encode(parts.valid), test: tokenizer.encode(parts.test) };
  if (splits.train.length < 4) throw new RecurError(`corpus '${corpus}' is too small to train on (${splits.train.length} training tokens)`);
  return { tokenizer, splits };
}
