export { BpeTokenizer, type BpeTrainOptions } from './bpe-tokenizer.js';
export { CharTokenizer } from './char-tokenizer.js';
export { detokenize } from './detokenize.js';
export { tokenizerFromJSON } from './from-json.js';
export type {
  BpeTokenizerJSON,
  CharTokenizerJSON,
  DecodeOptions,
  EncodeOptions,
  Tokenizer,
  TokenizerJSON,
  TokenizerKind,
  WordTokenizerJSON,
} from './tokenizer.js';
export { BOS, DEFAULT_SPECIALS, EOS, PAD, UNK, Vocabulary, type VocabularyBuildOptions, type VocabularyJSON } from './vocab.js';
export { WordTokenizer, type WordTokenizerOptions } from './word-tokenizer.js';
