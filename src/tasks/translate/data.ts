import { loadCmudict } from '../../data/cmudict.js';
import { CorpusError } from '../../data/corpus-error.js';
import { readPairsTsv, splitExamples, type PairSplits, type ParallelExample } from '../../data/pairs.js';
import { loadKjvSpanish } from '../../data/sword.js';
import { RecurError } from '../../errors.js';
import { BpeTokenizer } from '../../text/bpe-tokenizer.js';
import { CharTokenizer } from '../../text/char-tokenizer.js';
import { tokenizerFromJSON } from '../../text/from-json.js';
import type { Tokenizer, TokenizerJSON } from '../../text/tokenizer.js';
import type { TranslateTaskData } from './task.js';
import { WordTokenizer } from '../../text/word-tokenizer.js';

/** How hypotheses are scored: BLEU and chrF for translation, word and phoneme error rates for G2P. */
export type TranslateMetric = 'bleu' | 'g2p';
export type TextLevel = 'char' | 'word' | 'bpe';
export const TEXT_LEVELS: readonly TextLevel[] = ['char', 'word', 'bpe'];

export interface DatasetInfo {
  metric: TranslateMetric;
  splits: PairSplits;
  /** Tokenizer levels that suit the data, used unless the user picks others. */
  srcLevel: TextLevel;
  tgtLevel: TextLevel;
}

export const BUILTIN_TRANSLATE_DATA = ['kjv-es', 'cmudict'] as const;

/**
 * The fixed splits of a dataset:
 * - `kjv-es`: KJV -> Reina-Valera 1909 verses (31k); 2% valid, 2% test, assigned by the hash of
 *   the verse reference. Subword (BPE) on both sides.
 * - `cmudict`: spelling -> ARPAbet phonemes without stress (125k words); 2% / 2% by the hash of
 *   the word, so all pronunciations of a word share a split; characters -> phoneme tokens.
 * - a path: `source<TAB>target` lines; 5% / 5% by the hash of the source (at least one each).
 */
export function loadDataset(data: string, reverse = false): DatasetInfo {
  let examples: ParallelExample[], metric: TranslateMetric, key: (e: ParallelExample) => string;
  let fractions: { valid: number; test: number }, srcLevel: TextLevel, tgtLevel: TextLevel;
  if (data === 'kjv-es') {
    examples = loadKjvSpanish().map((p) => ({ source: p.source, targets: [p.target], id: p.ref }));
    [metric, key, fractions, srcLevel, tgtLevel] = ['bleu', (e) => e.id, { valid: 0.02, test: 0.02 }, 'bpe', 'bpe'];
  } else if (data === 'cmudict') {
    examples = loadCmudict().map((e) => ({ source: e.word, targets: e.pronunciations.map((p) => p.join(' ')), id: e.word }));
    [metric, key, fractions, srcLevel, tgtLevel] = ['g2p', (e) => e.id, { valid: 0.02, test: 0.02 }, 'char', 'word'];
  } else {
    examples = readPairsTsv(data);
    [metric, key, fractions, srcLevel, tgtLevel] = ['bleu', (e) => e.source, { valid: 0.05, test: 0.05 }, 'bpe', 'bpe'];
  }
  if (reverse) {
    if (metric === 'g2p') throw new RecurError('--reverse is not available for cmudict (phoneme-to-grapheme is not set up)');
    examples = examples.map((e) => ({ source: e.targets[0]!, targets: [e.source], id: e.id }));
  }
  return { metric, splits: splitExamples(examples, fractions, key), srcLevel, tgtLevel };
}

export interface TokenizerOptions {
  level: TextLevel;
  /** BPE: vocabulary size (default 4000). */
  bpeVocab?: number;
  /** Word level: keep at most this many tokens, specials included. */
  maxVocab?: number;
  /** Word and char level: drop tokens seen fewer times. */
  minFreq?: number;
}

/** A tokenizer learnt from the training texts of one side. Every one of them has <pad>, <bos> and <eos>. */
export function buildTokenizer(texts: readonly string[], o: TokenizerOptions): Tokenizer {
  if (texts.length === 0) throw new CorpusError('no training text to build a tokenizer from', '');
  switch (o.level) {
    case 'char':
      return CharTokenizer.fromCorpus(texts.join(''), { minFreq: o.minFreq ?? 1 });
    case 'word':
      return WordTokenizer.fromCorpus(texts.join('\n'), { lineBreaks: 'ignore', minFreq: o.minFreq ?? 1, ...(o.maxVocab ? { maxSize: o.maxVocab } : {}) });
    case 'bpe':
      return BpeTokenizer.train(texts, { vocabSize: Math.max(o.bpeVocab ?? 4000, 259) });
    default:
      throw new RecurError(`unknown tokenizer level '${String(o.level)}' (expected ${TEXT_LEVELS.join(', ')})`);
  }
}

/** The specials a seq2seq model needs, or an error naming the side and what is missing. */
export function specialIds(tok: Tokenizer, side: 'source' | 'target'): { pad: number; bos: number; eos: number } {
  const { padId: pad, bosId: bos, eosId: eos } = tok;
  const missing = [pad === undefined && '<pad>', side === 'target' && bos === undefined && '<bos>', side === 'target' && eos === undefined && '<eos>'].filter(Boolean);
  if (missing.length) throw new RecurError(`${side} tokenizer (${tok.kind}) lacks ${missing.join(', ')}`);
  return { pad: pad!, bos: bos ?? -1, eos: eos ?? -1 };
}

/** A source sentence and its target, as ids without specials. */
export interface EncodedPair {
  src: Int32Array;
  tgt: Int32Array;
}

/** Encodes training pairs (every alternative target is a pair), dropping empty ones and those longer than maxLen tokens. */
export function encodePairs(examples: readonly ParallelExample[], src: Tokenizer, tgt: Tokenizer, maxLen = Infinity): { pairs: EncodedPair[]; dropped: number } {
  const pairs: EncodedPair[] = [];
  let dropped = 0;
  for (const e of examples) {
    const s = src.encode(e.source);
    for (const t of e.targets) {
      const y = tgt.encode(t);
      if (s.length === 0 || y.length === 0 || s.length > maxLen || y.length + 1 > maxLen) dropped++;
      else pairs.push({ src: s, tgt: y });
    }
  }
  return { pairs, dropped };
}

/**
 * Splits, tokenizers (learnt on the training side only, or the saved ones) and encoded pairs.
 * Held-out pairs are never filtered by length: every test sentence counts.
 */
export function prepareTranslateData(data: string, reverse: boolean, tok: { srcLevel?: TextLevel; tgtLevel?: TextLevel; bpeVocab?: number; maxVocab?: number; minFreq?: number; maxLen?: number },
  saved?: { srcTokenizer: TokenizerJSON; tgtTokenizer: TokenizerJSON }): TranslateTaskData & { metric: TranslateMetric; dropped: number } {
  const ds = loadDataset(data, reverse);
  const tokOpts = { bpeVocab: tok.bpeVocab ?? 4000, ...(tok.maxVocab ? { maxVocab: tok.maxVocab } : {}), ...(tok.minFreq ? { minFreq: tok.minFreq } : {}) };
  const src = saved ? tokenizerFromJSON(saved.srcTokenizer) : buildTokenizer(ds.splits.train.map((e) => e.source), { level: tok.srcLevel ?? ds.srcLevel, ...tokOpts });
  const tgt = saved ? tokenizerFromJSON(saved.tgtTokenizer) : buildTokenizer(ds.splits.train.flatMap((e) => e.targets), { level: tok.tgtLevel ?? ds.tgtLevel, ...tokOpts });
  const s = specialIds(src, 'source'), t = specialIds(tgt, 'target');
  const trainEnc = encodePairs(ds.splits.train, src, tgt, tok.maxLen ?? Infinity);
  if (trainEnc.pairs.length === 0) throw new RecurError(`no training pairs left from '${data}' (all empty or longer than --max-len ${tok.maxLen})`);
  const heldOut = (ex: typeof ds.splits.valid) => encodePairs(ex.map((e) => ({ ...e, targets: [e.targets[0]!] })), src, tgt).pairs;
  return {
    train: trainEnc.pairs, valid: heldOut(ds.splits.valid), test: heldOut(ds.splits.test),
    validExamples: ds.splits.valid, testExamples: ds.splits.test, src, tgt,
    specials: { srcPad: s.pad, tgtPad: t.pad, bos: t.bos, eos: t.eos }, metric: ds.metric, dropped: trainEnc.dropped,
  };
}
