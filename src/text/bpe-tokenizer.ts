import { RecurError } from '../errors.js';
import { countPretokens, learnMerges, MAX_BPE_VOCAB, pairKey, pretokenize } from './bpe-train.js';
import { Heap } from './heap.js';
import { expectKind, parseObject, readInt, readStringArray } from './json-checks.js';
import { addBosEos, type BpeTokenizerJSON, type DecodeOptions, type EncodeOptions, type Tokenizer } from './tokenizer.js';
import { BOS, EOS, PAD, UNK } from './vocab.js';

export interface BpeTrainOptions {
  /** Total vocabulary: 256 bytes + learnt merges + specials. */
  vocabSize: number;
  /** A pair must occur at least this often to be merged. Default 2. */
  minFrequency?: number;
  /** Appended after the merges. Default `['<pad>', '<bos>', '<eos>']` (bytes make `<unk>` pointless). */
  specials?: readonly string[];
}

const DEFAULT_BPE_SPECIALS: readonly string[] = [PAD, BOS, EOS];
const CACHE_LIMIT = 100_000;

/**
 * Byte-level BPE as in GPT-2. Ids 0..255 are the raw bytes, so any string encodes with
 * nothing unknown, and decode(encode(s)) === s for every well-formed string (a lone
 * surrogate is not valid UTF-8 and comes back as U+FFFD). Then one id per merge, in the
 * order learnt (its rank), then the specials.
 */
export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  readonly specials: readonly string[];
  readonly padId: number | undefined;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  /** Always undefined: every byte has an id. */
  readonly unkId: number | undefined = undefined;
  private readonly mergeList: Int32Array;
  private readonly ranks = new Map<number, number>();
  private readonly bytes: Uint8Array[] = [];
  private readonly cache = new Map<string, Int32Array>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8');

  /** `merges` flat: merge i joins merges[2i] and merges[2i+1] into id 256 + i. */
  constructor(merges: ArrayLike<number>, specials: readonly string[] = DEFAULT_BPE_SPECIALS) {
    if (merges.length % 2 !== 0) throw new RecurError(`BpeTokenizer: merges has odd length ${merges.length}; expected id pairs`);
    const numMerges = merges.length / 2;
    if (256 + numMerges + specials.length > MAX_BPE_VOCAB) {
      throw new RecurError(`BpeTokenizer: vocabulary of ${256 + numMerges + specials.length} exceeds the limit ${MAX_BPE_VOCAB}`);
    }
    if (new Set(specials).size !== specials.length) throw new RecurError(`BpeTokenizer: duplicate special tokens in [${specials.join(', ')}]`);
    if (specials.includes(UNK)) throw new RecurError(`BpeTokenizer: ${UNK} is not allowed; byte fallback means nothing is unknown`);
    this.mergeList = Int32Array.from(merges);
    this.specials = [...specials];
    for (let b = 0; b < 256; b++) this.bytes.push(Uint8Array.of(b));
    for (let r = 0; r < numMerges; r++) {
      const a = this.mergeList[2 * r]!;
      const b = this.mergeList[2 * r + 1]!;
      const id = 256 + r;
      // A merge may only use ids that exist before it, or ranks would not be an order.
      if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < id && b < id)) {
        throw new RecurError(`BpeTokenizer: merge ${r} joins (${a}, ${b}) but only ids below ${id} exist at that point`);
      }
      const key = pairKey(a, b);
      if (this.ranks.has(key)) throw new RecurError(`BpeTokenizer: merge ${r} repeats merge ${this.ranks.get(key)} (${a}, ${b})`);
      this.ranks.set(key, r);
      const ab = new Uint8Array(this.bytes[a]!.length + this.bytes[b]!.length);
      ab.set(this.bytes[a]!);
      ab.set(this.bytes[b]!, this.bytes[a]!.length);
      this.bytes.push(ab);
    }
    const specialId = (s: string): number | undefined => {
      const i = this.specials.indexOf(s);
      return i < 0 ? undefined : 256 + numMerges + i;
    };
    this.padId = specialId(PAD);
    this.bosId = specialId(BOS);
    this.eosId = specialId(EOS);
  }

  /**
   * Learns merges until the vocabulary reaches `vocabSize` or no pair occurs
   * `minFrequency` times. Several texts are pre-tokenised separately, so no merge spans two.
   */
  static train(text: string | Iterable<string>, options: BpeTrainOptions): BpeTokenizer {
    const specials = options.specials ?? DEFAULT_BPE_SPECIALS;
    const minFrequency = options.minFrequency ?? 2;
    const { vocabSize } = options;
    if (!Number.isInteger(vocabSize) || vocabSize < 256 + specials.length || vocabSize > MAX_BPE_VOCAB) {
      throw new RecurError(
        `BpeTokenizer.train: vocabSize=${vocabSize} must be an integer in [${256 + specials.length}, ${MAX_BPE_VOCAB}] (256 bytes + ${specials.length} specials + merges)`,
      );
    }
    if (!Number.isInteger(minFrequency) || minFrequency < 1) {
      throw new RecurError(`BpeTokenizer.train: minFrequency must be an integer >= 1, got ${minFrequency}`);
    }
    const counts = countPretokens(typeof text === 'string' ? [text] : text);
    return new BpeTokenizer(learnMerges(counts, vocabSize - 256 - specials.length, minFrequency), specials);
  }

  static fromJSON(json: unknown): BpeTokenizer {
    const where = 'BpeTokenizer.fromJSON';
    const obj = parseObject(json, where);
    expectKind(obj, 'bpe', where);
    const merges = obj['merges'];
    if (!Array.isArray(merges)) throw new RecurError(`${where}: "merges" must be an array of ids`);
    return new BpeTokenizer(
      merges.map((m: unknown, i) => readInt(m, `merges[${i}]`, where)),
      readStringArray(obj, 'specials', where),
    );
  }

  get numMerges(): number {
    return this.mergeList.length / 2;
  }

  get vocabSize(): number {
    return 256 + this.numMerges + this.specials.length;
  }

  /** The merges as [left, right] pairs in rank order; pair i produced id 256 + i. */
  merges(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.mergeList.length; i += 2) out.push([this.mergeList[i]!, this.mergeList[i + 1]!]);
    return out;
  }

  /** The bytes an id stands for (a special's UTF-8 name). */
  tokenBytes(id: number): Uint8Array {
    this.checkId(id);
    if (id < this.bytes.length) return this.bytes[id]!.slice();
    return this.encoder.encode(this.specials[id - this.bytes.length]!);
  }

  encode(text: string, options?: EncodeOptions): Int32Array {
    const ids: number[] = [];
    for (const piece of pretokenize(text)) {
      let enc = this.cache.get(piece);
      if (enc === undefined) {
        enc = this.encodePiece(this.encoder.encode(piece));
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(piece, enc);
      }
      for (let i = 0; i < enc.length; i++) ids.push(enc[i]!);
    }
    return addBosEos(ids, options, this);
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.checkId(id);
      if (id >= this.bytes.length && options.skipSpecials === true) continue;
      const part = id < this.bytes.length ? this.bytes[id]! : this.encoder.encode(this.specials[id - this.bytes.length]!);
      parts.push(part);
      total += part.length;
    }
    const buf = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      buf.set(p, at);
      at += p.length;
    }
    // Non-fatal: a cut-off sequence of ids may end inside a character; show U+FFFD there.
    return this.decoder.decode(buf);
  }

  toJSON(): BpeTokenizerJSON {
    return { kind: 'bpe', version: 1, merges: Array.from(this.mergeList), specials: [...this.specials] };
  }

  /**
   * Applies merges lowest rank first, like GPT-2's `bpe()`, on a linked list with a heap
   * of candidate pairs so that long pieces (a CJK sentence has no spaces) stay O(n log n).
   * Equal ranks go left to right, which gives the same non-overlapping choice as GPT-2.
   */
  private encodePiece(bytes: Uint8Array): Int32Array {
    const n = bytes.length;
    if (n < 2) return Int32Array.from(bytes);
    const sym = Int32Array.from(bytes); // -1 once merged into its left neighbour
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new Heap<[number, number]>((x, y) => x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]));
    const consider = (i: number): void => {
      const j = next[i]!;
      if (j < 0) return;
      const r = this.ranks.get(pairKey(sym[i]!, sym[j]!));
      if (r !== undefined) heap.push([r, i]);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    for (let top = heap.pop(); top !== undefined; top = heap.pop()) {
      const [r, i] = top;
      const j = next[i]!;
      if (sym[i]! < 0 || j < 0 || this.ranks.get(pairKey(sym[i]!, sym[j]!)) !== r) continue; // stale
      sym[i] = 256 + r;
      sym[j] = -1;
      const k = next[j]!;
      next[i] = k;
      if (k >= 0) prev[k] = i;
      if (prev[i]! >= 0) consider(prev[i]!);
      consider(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
    return Int32Array.from(out);
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RecurError(`BpeTokenizer: token id ${id} is out of range for vocabSize ${this.vocabSize}`);
    }
  }
}
