import { RecurError } from '../errors.js';
import type { BpeTokenizer } from '../text/bpe-tokenizer.js';
import type { CharTokenizer } from '../text/char-tokenizer.js';
import { Detokenizer } from '../text/detokenize.js';
import type { Tokenizer } from '../text/tokenizer.js';
import type { WordTokenizer } from '../text/word-tokenizer.js';

/**
 * Decodes ids one at a time, in constant work per id: `push(id)` returns the text that id
 * adds, `end()` whatever is still held back. The pieces joined equal
 * `tokenizer.decode(ids, { skipSpecials: true })`: special tokens (`<unk>`, `<pad>`, `<bos>`,
 * `<eos>`) are never written out, except that a word tokenizer's `<eos>` is a line break.
 * BPE bytes that end inside a UTF-8 character are held until the character is complete.
 */
export interface TextStream {
  push(id: number): string;
  end(): string;
}

export function textStream(tokenizer: Tokenizer): TextStream {
  switch (tokenizer.kind) {
    case 'char': {
      const { vocab } = tokenizer as CharTokenizer;
      return { push: (id) => (vocab.isSpecial(id) ? '' : vocab.token(id)), end: () => '' };
    }
    case 'word': {
      const tok = tokenizer as WordTokenizer;
      const d = new Detokenizer();
      return {
        push(id) {
          if (id === tok.vocab.eosId && tok.lineBreaks === 'eos') return d.push('\n');
          return tok.vocab.isSpecial(id) ? '' : d.push(tok.vocab.token(id));
        },
        end: () => '',
      };
    }
    case 'bpe': {
      const tok = tokenizer as BpeTokenizer;
      const firstSpecial = tok.vocabSize - tok.specials.length;
      const utf8 = new TextDecoder('utf-8');
      return {
        push(id) {
          const bytes = tok.tokenBytes(id); // checks the id
          return id >= firstSpecial ? '' : utf8.decode(bytes, { stream: true });
        },
        end: () => utf8.decode(),
      };
    }
    default:
      throw new RecurError(`textStream: no streaming decoder for tokenizer kind '${String((tokenizer as { kind: unknown }).kind)}'`);
  }
}
