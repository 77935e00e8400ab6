/**
 * Sentences to tagger input without the file system (the browser bundle imports this file):
 * word normalisation, ids, padded batches with character features. Reading CoNLL files and the
 * built-in corpora is data.ts.
 */
import { CorpusError } from '../../data/corpus-error.js';
import { RecurError } from '../../errors.js';
import type { Vocabulary } from '../../text/vocab.js';
import type { TaggedSentence } from './data.js';

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
