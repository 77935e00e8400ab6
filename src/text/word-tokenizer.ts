import { RecurError } from '../errors.js';
import { detokenize } from './detokenize.js';
import { expectKind, parseObject, readBoolean } from './json-checks.js';
import { addBosEos, type DecodeOptions, type EncodeOptions, type Tokenizer, type WordTokenizerJSON } from './tokenizer.js';
import { DEFAULT_SPECIALS, EOS, Vocabulary, type VocabularyBuildOptions } from './vocab.js';

export interface WordTokenizerOptions extends VocabularyBuildOptions {
  /** Lower-case words before lookup (specials are left alone). Default false. */
  lowercase?: boolean;
  /**
   * `'eos'` (default): every line break becomes `<eos>` and decodes back to a newline, as
   * PyTorch's word_language_model does. `'ignore'`: line breaks are plain whitespace.
   */
  lineBreaks?: 'eos' | 'ignore';
}

// Numbers keep their separators (3.14, 1,000, 10:30); words keep inner apostrophes and
// hyphens (don't, well-known); anything else is punctuation, one token per run of the
// same character so that `` '' -- ... stay whole.
const NUMBER = String.raw`\p{N}+(?:[.,:]\p{N}+)+`;
const WORD = String.raw`[\p{L}\p{M}\p{N}_]+(?:['’\-][\p{L}\p{M}\p{N}_]+)*`;
const PUNCT = String.raw`(?<p>[^\s\p{L}\p{M}\p{N}_])\k<p>*`;

/**
 * Words and punctuation split by a Unicode-aware regex. Special tokens written literally
 * in the text (e.g. `<unk>` in Penn Treebank files) are recognised as themselves.
 */
export class WordTokenizer implements Tokenizer {
  readonly kind = 'word' as const;
  readonly vocab: Vocabulary;
  readonly lowercase: boolean;
  readonly lineBreaks: 'eos' | 'ignore';
  private readonly pattern: RegExp;

  constructor(vocab: Vocabulary, options: { lowercase?: boolean; lineBreaks?: 'eos' | 'ignore' } = {}) {
    this.vocab = vocab;
    this.lowercase = options.lowercase ?? false;
    this.lineBreaks = options.lineBreaks ?? 'eos';
    if (this.lineBreaks === 'eos' && vocab.eosId === undefined) {
      throw new RecurError(`WordTokenizer: lineBreaks 'eos' needs an ${EOS} special token in the vocabulary`);
    }
    this.pattern = wordPattern(vocab.specials, this.lineBreaks);
  }

  static fromCorpus(text: string, options: WordTokenizerOptions = {}): WordTokenizer {
    const specials = options.specials ?? DEFAULT_SPECIALS;
    const lineBreaks = options.lineBreaks ?? 'eos';
    if (lineBreaks === 'eos' && !specials.includes(EOS)) {
      throw new RecurError(`WordTokenizer: lineBreaks 'eos' needs ${EOS} among the specials [${specials.join(', ')}]`);
    }
    const tokens = splitWords(text, wordPattern(specials, lineBreaks), options.lowercase ?? false);
    const vocab = Vocabulary.build(tokens, { ...options, specials });
    return new WordTokenizer(vocab, { lowercase: options.lowercase ?? false, lineBreaks });
  }

  static fromJSON(json: unknown): WordTokenizer {
    const where = 'WordTokenizer.fromJSON';
    const obj = parseObject(json, where);
    expectKind(obj, 'word', where);
    const lineBreaks = obj['lineBreaks'];
    if (lineBreaks !== 'eos' && lineBreaks !== 'ignore') {
      throw new RecurError(`${where}: "lineBreaks" must be "eos" or "ignore", got ${JSON.stringify(lineBreaks)}`);
    }
    return new WordTokenizer(Vocabulary.fromJSON(obj['vocab']), {
      lowercase: readBoolean(obj, 'lowercase', where),
      lineBreaks,
    });
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

  /** The token strings `encode` would look up, line breaks already turned into `<eos>`. */
  tokenize(text: string): string[] {
    return splitWords(text, this.pattern, this.lowercase);
  }

  encode(text: string, options?: EncodeOptions): Int32Array {
    return addBosEos(this.vocab.encode(this.tokenize(text)), options, this);
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id === this.vocab.eosId && this.lineBreaks === 'eos') tokens.push('\n');
      else if (!(options.skipSpecials === true && this.vocab.isSpecial(id))) tokens.push(this.vocab.token(id));
    }
    return detokenize(tokens);
  }

  toJSON(): WordTokenizerJSON {
    return { kind: 'word', version: 1, lowercase: this.lowercase, lineBreaks: this.lineBreaks, vocab: this.vocab.toJSON() };
  }
}

// Only syntax characters: a `u`-flag RegExp rejects needless escapes such as `\-`.
function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function wordPattern(specials: readonly string[], lineBreaks: 'eos' | 'ignore'): RegExp {
  const alts: string[] = [];
  // Longest first, so that a special which is a prefix of another does not win.
  const lits = [...specials].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  if (lits.length > 0) alts.push(`(?<sp>${lits.map(escapeRegExp).join('|')})`);
  if (lineBreaks === 'eos') alts.push(String.raw`(?<nl>\r?\n)`);
  alts.push(NUMBER, WORD, PUNCT);
  return new RegExp(alts.join('|'), 'gu');
}

function splitWords(text: string, pattern: RegExp, lowercase: boolean): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(pattern)) {
    const g = m.groups;
    if (g?.['nl'] !== undefined) out.push(EOS);
    else if (g?.['sp'] !== undefined) out.push(m[0]);
    else out.push(lowercase ? m[0].toLowerCase() : m[0]);
  }
  return out;
}
