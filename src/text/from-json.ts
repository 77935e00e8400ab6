import { RecurError } from '../errors.js';
import { BpeTokenizer } from './bpe-tokenizer.js';
import { CharTokenizer } from './char-tokenizer.js';
import { parseObject } from './json-checks.js';
import type { Tokenizer } from './tokenizer.js';
import { WordTokenizer } from './word-tokenizer.js';

/**
 * Rebuilds whichever tokenizer a saved `toJSON()` describes (object or JSON string), so
 * a checkpoint can store its tokenizer without the loader knowing the kind in advance.
 */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  const obj = parseObject(json, 'tokenizerFromJSON');
  switch (obj['kind']) {
    case 'char':
      return CharTokenizer.fromJSON(obj);
    case 'word':
      return WordTokenizer.fromJSON(obj);
    case 'bpe':
      return BpeTokenizer.fromJSON(obj);
    default:
      throw new RecurError(
        `tokenizerFromJSON: unknown tokenizer kind ${JSON.stringify(obj['kind'])}; expected "char", "word" or "bpe"`,
      );
  }
}
