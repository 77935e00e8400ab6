import { RecurError } from '../errors.js';
import type { VocabularyJSON } from './vocab.js';

/** Which tokenizer a saved JSON describes; `tokenizerFromJSON` dispatches on it. */
export type TokenizerKind = 'char' | 'word' | 'bpe';

export interface EncodeOptions {
  /** Prepend `<bos>` (throws if the tokenizer has none). */
  bos?: boolean;
  /** Append `<eos>` (throws if the tokenizer has none). */
  eos?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens instead of writing them out as `<pad>`, `<unk>`, ... Default false. */
  skipSpecials?: boolean;
}

/**
 * What every tokenizer offers. Ids are plain `Int32Array`s so that text code never
 * depends on tensors; the training code turns them into tensors.
 */
export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** Number of distinct ids: every id is in [0, vocabSize). */
  readonly vocabSize: number;
  readonly padId: number | undefined;
  readonly unkId: number | undefined;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  encode(text: string, options?: EncodeOptions): Int32Array;
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  toJSON(): TokenizerJSON;
}

export interface CharTokenizerJSON {
  kind: 'char';
  version: 1;
  vocab: VocabularyJSON;
}

export interface WordTokenizerJSON {
  kind: 'word';
  version: 1;
  lowercase: boolean;
  lineBreaks: 'eos' | 'ignore';
  vocab: VocabularyJSON;
}

export interface BpeTokenizerJSON {
  kind: 'bpe';
  version: 1;
  /** Merge i joins ids merges[2i] and merges[2i+1] into id 256 + i. */
  merges: number[];
  /** Special tokens, with ids 256 + merges.length/2 onwards, in this order. */
  specials: string[];
}

export type TokenizerJSON = CharTokenizerJSON | WordTokenizerJSON | BpeTokenizerJSON;

/** Adds `<bos>`/`<eos>` around encoded ids as requested, with an error naming what is missing. */
export function addBosEos(
  ids: ArrayLike<number>,
  options: EncodeOptions | undefined,
  tok: { kind: TokenizerKind; bosId: number | undefined; eosId: number | undefined },
): Int32Array {
  const bos = options?.bos === true;
  const eos = options?.eos === true;
  if (bos && tok.bosId === undefined) throw new RecurError(`${tok.kind} tokenizer: encode({ bos: true }) but it has no <bos> token`);
  if (eos && tok.eosId === undefined) throw new RecurError(`${tok.kind} tokenizer: encode({ eos: true }) but it has no <eos> token`);
  const out = new Int32Array(ids.length + (bos ? 1 : 0) + (eos ? 1 : 0));
  if (bos) out[0] = tok.bosId!;
  out.set(ids, bos ? 1 : 0);
  if (eos) out[out.length - 1] = tok.eosId!;
  return out;
}
