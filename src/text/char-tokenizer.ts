import { RecurError } from '../errors.js';
import { expectKind, parseObject } from './json-checks.js';
import { addBosEos, type CharTokenizerJSON, type DecodeOptions, type EncodeOptions, type Tokenizer } from './tokenizer.js';
import { Vocabulary, type VocabularyBuildOptions } from './vocab.js';

/**
 * One token per Unicode code point (not per UTF-16 unit, so an emoji outside the BMP is
 * one character, not two halves of a surrogate pair).
 */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly vocab: Vocabulary;

  constructor(vocab: Vocabulary) {
    this.vocab = vocab;
  }

  /**
   * Vocabulary of the corpus's characters, most frequent first. Characters seen fewer
   * than `minFreq` times, or beyond `maxSize`, encode as `<unk>`.
   */
  // A string iterates by code point, which is exactly the unit wanted here.
  static fromCorpus(text: string, options: VocabularyBuildOptions = {}): CharTokenizer {
    return new CharTokenizer(Vocabulary.build(text, options));
  }

  static fromJSON(json: unknown): CharTokenizer {
    const obj = parseObject(json, 'CharTokenizer.fromJSON');
    expectKind(obj, 'char', 'CharTokenizer.fromJSON');
    return new CharTokenizer(Vocabulary.fromJSON(obj['vocab']));
  }

  get vocabSize(): number {
    return this.vocab.size;
  }
  get padId(): number | undefined {
    return this.vocab.padId;
  }
  get unkId(): number | undefined {
    return this.vocab.unkId;
  }
  get bosId(): number | undefined {
    return this.vocab.bosId;
  }
  get eosId(): number | undefined {
    return this.vocab.eosId;
  }

  encode(text: string, options?: EncodeOptions): Int32Array {
    const ids: number[] = [];
    for (const ch of text) {
      if (this.vocab.has(ch)) {
        ids.push(this.vocab.id(ch));
      } else if (this.vocab.unkId !== undefined) {
        ids.push(this.vocab.unkId);
      } else {
        throw new RecurError(
          `CharTokenizer: unknown character ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) and no <unk> token`,
        );
      }
    }
    return addBosEos(ids, options, this);
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (options.skipSpecials === true && this.vocab.isSpecial(id)) continue;
      out += this.vocab.token(id);
    }
    return out;
  }

  toJSON(): CharTokenizerJSON {
    return { kind: 'char', version: 1, vocab: this.vocab.toJSON() };
  }
}
