import { RecurError } from '../../errors.js';
import { readConllFile } from '../../data/conll.js';
import { CorpusError } from '../../data/corpus-error.js';
import { encodeChunks } from '../../metrics/conlleval.js';
import type { TagScheme } from '../../nn/crf-constraints.js';
import { Rng } from '../../tensor/rng.js';
import { PAD, UNK, Vocabulary } from '../../text/vocab.js';
import { loadBrownTagging } from './brown.js';

/** One sentence of words and their tags, and where it came from (for messages). */
export interface TaggedSentence {
  words: string[];
  tags: string[];
  where: string;
}

/** Tag scheme of a data set: chunk tags (BIO / BIOES, scored with conlleval) or plain tags ('none'). */
export type SchemeChoice = TagScheme | 'none';

/**
 * The scheme the tags are written in: 'bioes' when every tag is O or [BIES]-TYPE and some is E-
 * or S-; 'bio' when every tag is O or [BI]-TYPE; else 'none' (part of speech and other plain tags).
 */
export function detectScheme(sentences: readonly TaggedSentence[]): SchemeChoice {
  let chunky = true, es = false, any = false;
  for (const s of sentences) {
    for (const t of s.tags) {
      any = true;
      if (t === 'O') continue;
      const m = /^([BIES])-./.exec(t);
      if (!m) { chunky = false; break; }
      if (m[1] === 'E' || m[1] === 'S') es = true;
    }
    if (!chunky) break;
  }
  return !any || !chunky ? 'none' : es ? 'bioes' : 'bio';
}

/**
 * Rewrites chunk tags in the clean form of the scheme (same chunks by conlleval's rules): IOB1
 * files (I- opening chunks, as the original CoNLL-2003) become IOB2, or BIO becomes BIOES, so a
 * constrained CRF can model every training sentence.
 */
export function normalizeChunkTags(sentences: readonly TaggedSentence[], scheme: TagScheme): TaggedSentence[] {
  return sentences.map((s) => ({ ...s, tags: encodeChunks(s.tags, scheme) }));
}

/**
 * The form a word takes in the word vocabulary: lower-cased, every digit written 0 ("1961" and
 * "1987" share "0000"). Case and spelling reach the model through the character features.
 */
export function normalizeWord(w: string): string {
  return w.toLowerCase().replace(/\p{Nd}/gu, '0');
}

/** Longest word the character encoder reads (longer ones are cut: URLs, tables). */
export const MAX_WORD_CHARS = 30;

export interface TagVocabs {
  words: Vocabulary;
  chars: Vocabulary;
  /** Tag strings, id order. */
  tags: string[];
}

/**
 * Vocabularies from the training sentences: normalised words seen at least `minFreq` times,
 * every character, and the tag set (O first for chunk tags, then by frequency).
 */
export function buildTagVocabs(train: readonly TaggedSentence[], minFreq: number): TagVocabs {
  const words = Vocabulary.build(train.flatMap((s) => s.words.map(normalizeWord)), { specials: [PAD, UNK], minFreq });
  const chars = Vocabulary.build(train.flatMap((s) => s.words.flatMap((w) => [...w].slice(0, MAX_WORD_CHARS))), { specials: [PAD, UNK] });
  const tagVocab = Vocabulary.build(train.flatMap((s) => s.tags), { specials: [] });
  const tags = tagVocab.tokens();
  const o = tags.indexOf('O');
  if (o > 0) tags.unshift(...tags.splice(o, 1));
  return { words, chars, tags };
}

/** A sentence as ids: word ids, its words (raw, for characters) and tag ids (when known). */
export interface EncodedSentence {
  wordIds: Int32Array;
  words: string[];
  tagIds: Int32Array | null;
}

/** Encodes sentences; a tag the model has not seen is an error naming the sentence's origin. */
export function encodeSentences(v: TagVocabs, sentences: readonly TaggedSentence[], withTags: boolean): EncodedSentence[] {
  const tagId = new Map(v.tags.map((t, i) => [t, i]));
  return sentences.map((s) => {
    if (s.words.length === 0) throw new RecurError(`${s.where}: empty sentence`);
    let tagIds: Int32Array | null = null;
    if (withTags) {
      tagIds = Int32Array.from(s.tags, (t, i) => {
        const id = tagId.get(t);
        if (id === undefined) {
          throw new CorpusError(`${s.where}: tag '${t}' of word ${i + 1} ('${s.words[i]}') was not in the training data ` +
            `(the model knows ${v.tags.length} tags: ${v.tags.slice(0, 12).join(' ')}${v.tags.length > 12 ? ' ...' : ''})`, s.where);
        }
        return id;
      });
    }
    return { wordIds: v.words.encode(s.words.map(normalizeWord)), words: s.words, tagIds };
  });
}

/**
 * A padded batch for the tagger. Character features are computed once per distinct word of
 * the batch: `uniqueChars [U, maxChars]` (0 = padding) with `uniqueLengths`, and `wordSlot`
 * maps each of the B·T positions to its row in the unique words (padding positions to row 0;
 * their values are never used).
 */
export interface TagBatch {
  B: number;
  T: number;
  lengths: number[];
  /** [B·T], padded with `<pad>`. */
  wordIds: Int32Array;
  /** [B·T] gold tag ids, −1 at padding; null when tagging unlabeled text. */
  tagIds: Int32Array | null;
  U: number;
  maxChars: number;
  uniqueChars: Int32Array;
  uniqueLengths: number[];
  wordSlot: Int32Array;
  /** Total real tokens. */
  tokens: number;
}

export function makeTagBatch(v: TagVocabs, sents: readonly EncodedSentence[], which: ArrayLike<number>): TagBatch {
  const B = which.length;
  const lengths = Array.from({ length: B }, (_, i) => sents[which[i]!]!.wordIds.length);
  const T = Math.max(...lengths);
  const wordIds = new Int32Array(B * T).fill(v.words.padId!);
  const hasTags = B > 0 && sents[which[0]!]!.tagIds !== null;
  const tagIds = hasTags ? new Int32Array(B * T).fill(-1) : null;
  const slotOf = new Map<string, number>();
  const uniq: string[] = [];
  const wordSlot = new Int32Array(B * T);
  let tokens = 0;
  for (let i = 0; i < B; i++) {
    const s = sents[which[i]!]!;
    wordIds.set(s.wordIds, i * T);
    if (tagIds) tagIds.set(s.tagIds!, i * T);
    s.words.forEach((w, t) => {
      let slot = slotOf.get(w);
      if (slot === undefined) {
        slotOf.set(w, (slot = uniq.length));
        uniq.push(w);
      }
      wordSlot[i * T + t] = slot;
    });
    tokens += s.words.length;
  }
  const chars = uniq.map((w) => [...w].slice(0, MAX_WORD_CHARS));
  const maxChars = Math.max(1, ...chars.map((c) => c.length));
  const uniqueChars = new Int32Array(uniq.length * maxChars);
  const uniqueLengths = chars.map((c, u) => {
    c.forEach((ch, k) => { uniqueChars[u * maxChars + k] = v.chars.id(ch); });
    return Math.max(1, c.length);
  });
  return { B, T, lengths, wordIds, tagIds, U: uniq.length, maxChars, uniqueChars, uniqueLengths, wordSlot, tokens };
}

export const BUILTIN_TAG_DATA = ['brown-pos', 'brown-names'] as const;

/** Where a tagging run's sentences come from: enough to rebuild its splits. */
export interface TagDataSpec {
  /** 'brown-pos', 'brown-names' or a CoNLL file. */
  source: string;
  tagColumn?: number;
  /** Held-out CoNLL files; without them a user file is split 80/10/10 by sentence (seeded). */
  validData?: string;
  testData?: string;
  seed: number;
}

export function readConll(path: string, spec: TagDataSpec): TaggedSentence[] {
  return readConllFile(path, { tagColumn: spec.tagColumn ?? -1 }).map((s) => ({ words: s.words, tags: s.tags, where: `${path}:${s.line}` }));
}

/** The train/valid/test sentences a data spec describes. */
export function loadTagSplits(spec: TagDataSpec): Record<'train' | 'valid' | 'test', TaggedSentence[]> {
  if (spec.source === 'brown-pos') return loadBrownTagging('pos');
  if (spec.source === 'brown-names') return loadBrownTagging('names');
  const all = readConll(spec.source, spec);
  if (spec.validData && spec.testData) return { train: all, valid: readConll(spec.validData, spec), test: readConll(spec.testData, spec) };
  // A seeded 80/10/10 split by sentence of whatever is not given as a separate file.
  const perm = new Rng(spec.seed).permutation(all.length);
  const nTest = spec.testData ? 0 : Math.round(all.length * 0.1), nValid = spec.validData ? 0 : Math.round(all.length * 0.1);
  const pick = (from: number, to: number): TaggedSentence[] => Array.from(perm.subarray(from, to)).sort((a, b) => a - b).map((i) => all[i]!);
  const out = {
    test: spec.testData ? readConll(spec.testData, spec) : pick(0, nTest),
    valid: spec.validData ? readConll(spec.validData, spec) : pick(nTest, nTest + nValid),
    train: pick(nTest + nValid, all.length),
  };
  if (out.train.length === 0 || out.valid.length === 0 || out.test.length === 0) {
    throw new RecurError(`${spec.source}: ${all.length} sentences are too few to split into train/validation/test (pass --valid-data and --test-data)`);
  }
  return out;
}

export function resolveScheme(want: SchemeChoice | 'auto', train: readonly TaggedSentence[]): SchemeChoice {
  const found = detectScheme(train);
  if (want === 'auto') return found;
  if (want !== 'none' && found === 'none') {
    const bad = train.flatMap((s) => s.tags).find((t) => t !== 'O' && !/^[BIES]-./.test(t));
    throw new RecurError(`--scheme ${want}: the training tags are not chunk tags (found '${bad}'; expected O, B-TYPE, I-TYPE${want === 'bioes' ? ', E-TYPE, S-TYPE' : ''})`);
  }
  if (want === 'bio' && found === 'bioes') throw new RecurError('--scheme bio: the training tags use E- or S- (BIOES); use --scheme bioes');
  return want;
}
