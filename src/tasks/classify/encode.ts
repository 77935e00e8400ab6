/**
 * Texts to model input without the file system (the browser bundle imports this file): token
 * ids, lexicon features and padded batches. Reading and splitting data sets is data.ts.
 */
import { RecurError } from '../../errors.js';
import type { WordTokenizer } from '../../text/word-tokenizer.js';
import { lexiconFeatures, type Lexicon } from './lexicon-features.js';
import type { TokenBatch } from './model.js';

/** Token ids of each text; a text with no tokens at all becomes a single `<unk>`. */
export function encodeTexts(tok: WordTokenizer, texts: readonly string[], maxLength = 0): Int32Array[] {
  return texts.map((t) => {
    let ids = tok.encode(t);
    if (ids.length === 0) ids = Int32Array.of(tok.unkId!);
    return maxLength > 0 && ids.length > maxLength ? ids.subarray(0, maxLength) : ids;
  });
}

/** Per-token lexicon features aligned with `encodeTexts` (same empty-text and length rules). */
export function encodeFeatures(tok: WordTokenizer, texts: readonly string[], lex: Lexicon, maxLength = 0): Float32Array[] {
  return texts.map((t) => {
    let f = lexiconFeatures(tok.tokenize(t), lex);
    if (f.length === 0) f = new Float32Array(1);
    return maxLength > 0 && f.length > maxLength ? f.subarray(0, maxLength) : f;
  });
}

/**
 * Pads the given sequences (by index) into a [B, T] batch with padId; per-token features, when
 * given, are padded with 0 into [B, T] alongside.
 */
export function makeBatch(seqs: readonly Int32Array[], which: ArrayLike<number>, padId: number, features?: readonly Float32Array[]): TokenBatch {
  const B = which.length;
  if (B === 0) throw new RecurError('makeBatch: empty batch');
  const lengths: number[] = [];
  for (let i = 0; i < B; i++) lengths.push(seqs[which[i]!]!.length);
  const T = Math.max(...lengths);
  const ids = new Int32Array(B * T).fill(padId);
  for (let i = 0; i < B; i++) ids.set(seqs[which[i]!]!, i * T);
  if (!features) return { ids, lengths, B, T };
  const feats = new Float32Array(B * T);
  for (let i = 0; i < B; i++) feats.set(features[which[i]!]!, i * T);
  return { ids, lengths, B, T, features: feats };
}
