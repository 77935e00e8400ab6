import { RecurError } from '../errors.js';
import { parseObject, readInt, readStringArray } from './json-checks.js';

/** The four special tokens that recur's tokenizers and training code know by name. */
export const PAD = '<pad>';
export const UNK = '<unk>';
export const BOS = '<bos>';
export const EOS = '<eos>';

/** Default specials for char and word tokenizers: ids 0..3 in this order. */
export const DEFAULT_SPECIALS: readonly string[] = [PAD, UNK, BOS, EOS];

export interface VocabularyBuildOptions {
  /** Tokens placed first (ids 0..k-1, in this order). Default `['<pad>', '<unk>', '<bos>', '<eos>']`. */
  specials?: readonly string[];
  /** Tokens seen fewer times than this are left out (they become `<unk>`). Default 1. */
  minFreq?: number;
  /** Largest vocabulary size, specials included. Default: no limit. */
  maxSize?: number;
}

export interface VocabularyJSON {
  /** id -> token. */
  tokens: string[];
  /** id -> how often the token was seen when the vocabulary was built (0 for specials never seen). */
  counts: number[];
  /** Which tokens are special; each one is also in `tokens`. */
  specials: string[];
}

/**
 * A bijection token <-> id plus the counts it was built from.
 *
 * Ordering is part of the contract, because ids are baked into trained weights: specials
 * first in the order given, then tokens by descending count, ties broken by first
 * occurrence in the corpus. The same corpus therefore always gives the same ids.
 */
export class Vocabulary {
  private readonly itos: readonly string[];
  private readonly stoi: Map<string, number>;
  private readonly freq: readonly number[];
  private readonly specialSet: ReadonlySet<string>;
  /** Id of `<unk>`, or undefined when unknown tokens are an error. */
  readonly unkId: number | undefined;
  readonly padId: number | undefined;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;

  /**
   * Wraps an explicit id -> token list. `specials` must all occur in `tokens`;
   * `counts` (default all 0) must have one entry per token.
   */
  constructor(
    tokens: readonly string[],
    options: { specials?: readonly string[]; counts?: readonly number[] } = {},
  ) {
    const specials = options.specials ?? [];
    const counts = options.counts ?? tokens.map(() => 0);
    if (counts.length !== tokens.length) {
      throw new RecurError(
        `Vocabulary: ${counts.length} counts for ${tokens.length} tokens; expected one count per token`,
      );
    }
    const stoi = new Map<string, number>();
    tokens.forEach((token, id) => {
      if (stoi.has(token)) {
        throw new RecurError(`Vocabulary: duplicate token ${JSON.stringify(token)} at ids ${stoi.get(token)} and ${id}`);
      }
      stoi.set(token, id);
    });
    for (const s of specials) {
      if (!stoi.has(s)) throw new RecurError(`Vocabulary: special token ${JSON.stringify(s)} is not in the token list`);
    }
    for (const c of counts) {
      if (!Number.isInteger(c) || c < 0) throw new RecurError(`Vocabulary: counts must be non-negative integers, got ${c}`);
    }
    this.itos = [...tokens];
    this.stoi = stoi;
    this.freq = [...counts];
    this.specialSet = new Set(specials);
    const specialId = (t: string): number | undefined => (this.specialSet.has(t) ? stoi.get(t) : undefined);
    this.unkId = specialId(UNK);
    this.padId = specialId(PAD);
    this.bosId = specialId(BOS);
    this.eosId = specialId(EOS);
  }

  /**
   * Counts `tokens` and keeps those seen at least `minFreq` times, most frequent first,
   * up to `maxSize` entries in total. A corpus token equal to a special adds to the
   * special's count instead of appearing twice.
   */
  static build(tokens: Iterable<string>, options: VocabularyBuildOptions = {}): Vocabulary {
    const specials = options.specials ?? DEFAULT_SPECIALS;
    const minFreq = options.minFreq ?? 1;
    const maxSize = options.maxSize ?? Infinity;
    if (!Number.isInteger(minFreq) || minFreq < 1) {
      throw new RecurError(`Vocabulary: minFreq must be an integer >= 1, got ${minFreq}`);
    }
    if (maxSize !== Infinity && (!Number.isInteger(maxSize) || maxSize < specials.length)) {
      throw new RecurError(
        `Vocabulary: maxSize=${maxSize} cannot hold the ${specials.length} special tokens [${specials.join(', ')}]`,
      );
    }
    if (new Set(specials).size !== specials.length) {
      throw new RecurError(`Vocabulary: duplicate special tokens in [${specials.join(', ')}]`);
    }
    // Map iteration order is insertion order, i.e. first occurrence: the tie-breaker.
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);

    const specialSet = new Set(specials);
    const ranked: [string, number][] = [];
    for (const entry of counts) {
      if (!specialSet.has(entry[0]) && entry[1] >= minFreq) ranked.push(entry);
    }
    ranked.sort((a, b) => b[1] - a[1]); // stable: equal counts keep first-occurrence order
    const room = Math.max(0, maxSize - specials.length);
    const kept = ranked.slice(0, room);
    return new Vocabulary([...specials, ...kept.map((e) => e[0])], {
      specials,
      counts: [...specials.map((s) => counts.get(s) ?? 0), ...kept.map((e) => e[1])],
    });
  }

  /** Rebuilds a vocabulary from `toJSON()` output (a parsed object or its JSON string). */
  static fromJSON(json: unknown): Vocabulary {
    const obj = parseObject(json, 'Vocabulary.fromJSON');
    const tokens = readStringArray(obj, 'tokens', 'Vocabulary.fromJSON');
    const specials = readStringArray(obj, 'specials', 'Vocabulary.fromJSON');
    const rawCounts = obj['counts'];
    if (!Array.isArray(rawCounts)) throw new RecurError('Vocabulary.fromJSON: "counts" must be an array of integers');
    const counts = rawCounts.map((c: unknown, i) => readInt(c, `counts[${i}]`, 'Vocabulary.fromJSON'));
    return new Vocabulary(tokens, { specials, counts });
  }

  toJSON(): VocabularyJSON {
    return { tokens: [...this.itos], counts: [...this.freq], specials: [...this.specialSet] };
  }

  get size(): number {
    return this.itos.length;
  }

  /** The special tokens, in id order. */
  get specials(): string[] {
    return this.itos.filter((t) => this.specialSet.has(t));
  }

  has(token: string): boolean {
    return this.stoi.has(token);
  }

  /** Id of `token`; unknown tokens map to `<unk>`, or throw when there is none. */
  id(token: string): number {
    const id = this.stoi.get(token);
    if (id !== undefined) return id;
    if (this.unkId !== undefined) return this.unkId;
    throw new RecurError(
      `unknown token ${JSON.stringify(token)}: not in the vocabulary (size ${this.size}) and the vocabulary has no ${UNK} token`,
    );
  }

  /** Id of a special token, or undefined if this vocabulary does not have it. */
  specialId(token: string): number | undefined {
    return this.specialSet.has(token) ? this.stoi.get(token) : undefined;
  }

  token(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.itos.length) {
      throw new RecurError(`token id ${id} is out of range for a vocabulary of size ${this.itos.length}`);
    }
    return this.itos[id]!;
  }

  isSpecial(id: number): boolean {
    return this.specialSet.has(this.token(id));
  }

  /** How often the token with this id was seen when the vocabulary was built. */
  count(id: number): number {
    this.token(id);
    return this.freq[id]!;
  }

  encode(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) out[i] = this.id(tokens[i]!);
    return out;
  }

  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = this.token(ids[i]!);
    return out;
  }

  /** id -> token, as a copy. */
  tokens(): string[] {
    return [...this.itos];
  }
}
