import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMobyDick } from '../../src/data/corpora.js';
import { BpeTokenizer } from '../../src/text/bpe-tokenizer.js';
import { pretokenize } from '../../src/text/bpe-train.js';
import { tokenizerFromJSON } from '../../src/text/from-json.js';

/** GPT-2's bpe(): repeatedly merge every occurrence of the lowest-ranked pair, left to right. */
function referenceEncode(tok: BpeTokenizer, text: string): number[] {
  const rank = new Map(tok.merges().map(([a, b], r) => [`${a},${b}`, r]));
  const out: number[] = [];
  for (const piece of pretokenize(text)) {
    let sym = Array.from(new TextEncoder().encode(piece));
    for (;;) {
      let best = Infinity;
      for (let i = 0; i + 1 < sym.length; i++) best = Math.min(best, rank.get(`${sym[i]},${sym[i + 1]}`) ?? Infinity);
      if (best === Infinity) break;
      const [a, b] = tok.merges()[best]!;
      const next: number[] = [];
      for (let i = 0; i < sym.length; i++) {
        if (i + 1 < sym.length && sym[i] === a && sym[i + 1] === b) {
          next.push(256 + best);
          i++;
        } else next.push(sym[i]!);
      }
      sym = next;
    }
    out.push(...sym);
  }
  return out;
}

/** Deterministic pseudo-random text over a mix of scripts (no lone surrogates). */
function randomText(seed: number, length: number): string {
  const alphabet = [...'aab  bcabcab aaa,.!\n\t 0123 ééàü 你好世界东京 😀👍🏽🇫🇷 👨‍👩‍👧 ﷺ ا ب e\u0301 ẞ 𝔘'];
  let s = seed >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out += alphabet[s % alphabet.length];
  }
  return out;
}

describe('BpeTokenizer', () => {
  it('learns the textbook merges on aaabdaaabac', () => {
    // Pairs: aa=4 -> Z; then Za=2 and ab=2 tie, smaller ids (a,b) win -> Y; then ZY=2 -> X.
    const tok = BpeTokenizer.train('aaabdaaabac', { vocabSize: 1000, specials: [] });
    assert.deepEqual(tok.merges(), [[97, 97], [97, 98], [256, 257]]);
    assert.deepEqual(Array.from(tok.encode('aaabdaaabac')), [258, 100, 258, 97, 99]);
    assert.equal(tok.vocabSize, 259);
  });

  it('merges within GPT-2 pre-tokens only, leading space included', () => {
    const tok = BpeTokenizer.train('ab ab ab', { vocabSize: 1000, specials: [] });
    // "ab" x1 and " ab" x2: (a,b)=3 -> 256, then (space,256)=2 -> 257; (b, space) never counts.
    assert.deepEqual(tok.merges(), [[97, 98], [32, 256]]);
    assert.deepEqual(Array.from(tok.encode('ab ab')), [256, 257]);
    assert.deepEqual(Array.from(tok.encode('ba')), [98, 97]);
  });

  it('stops at vocabSize and at minFrequency', () => {
    assert.equal(BpeTokenizer.train('aaabdaaabac', { vocabSize: 257, specials: [] }).numMerges, 1);
    assert.equal(BpeTokenizer.train('abcd', { vocabSize: 1000, specials: [] }).numMerges, 0);
    assert.equal(BpeTokenizer.train('abcd', { vocabSize: 1000, specials: [], minFrequency: 1 }).numMerges, 3);
    assert.throws(() => BpeTokenizer.train('x', { vocabSize: 258 }), /vocabSize=258 must be an integer in \[259,/);
  });

  it('is deterministic', () => {
    const text = randomText(1, 5000);
    const a = BpeTokenizer.train(text, { vocabSize: 400 });
    const b = BpeTokenizer.train(text, { vocabSize: 400 });
    assert.deepEqual(a.toJSON(), b.toJSON());
  });

  it('encodes exactly like the reference GPT-2 algorithm', () => {
    const tok = BpeTokenizer.train(randomText(2, 20000), { vocabSize: 600 });
    assert.ok(tok.numMerges > 100);
    for (let seed = 10; seed < 20; seed++) {
      const text = randomText(seed, 2000) + 'aaaaaaaaaaaaaaaaaaaaa     '.repeat(3);
      assert.deepEqual(Array.from(tok.encode(text)), referenceEncode(tok, text));
    }
  });

  it('round-trips any unicode string, including text never seen in training (byte fallback)', () => {
    const tok = BpeTokenizer.train(randomText(3, 20000), { vocabSize: 500 });
    const samples = [
      '',
      'plain ASCII text, with punctuation!',
      '日本語のテキスト、中文文本和한국어',
      '👨‍👩‍👧‍👦 🏳️‍🌈 🇯🇵 👍🏿 emoji with ZWJ, flags and skin tones',
      'Ελληνικά, русский, עברית, العربية, हिन्दी, ไทย',
      'combining: e\u0301 a\u0308 \u0915\u094d\u0937; astral: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀',
      '  leading and\ttabs\r\nCRLF   trailing  ',
      randomText(99, 3000),
    ];
    for (const s of samples) assert.equal(tok.decode(tok.encode(s)), s);
    const unseen = tok.encode('Ж');
    assert.deepEqual(Array.from(unseen), [0xd0, 0x96]);
  });

  it('decodes a cut-off character as U+FFFD instead of throwing', () => {
    const tok = BpeTokenizer.train('x', { vocabSize: 259 });
    assert.equal(tok.decode([0xe4, 0xbd]), '\uFFFD');
    assert.throws(() => tok.decode([259]), /token id 259 is out of range for vocabSize 259/);
  });

  it('puts specials after the merges', () => {
    const tok = BpeTokenizer.train('aaabdaaabac', { vocabSize: 1000 });
    assert.equal(tok.vocabSize, 262);
    assert.deepEqual([tok.padId, tok.bosId, tok.eosId, tok.unkId], [259, 260, 261, undefined]);
    const ids = tok.encode('ab', { bos: true, eos: true });
    assert.deepEqual(Array.from(ids), [260, 257, 261]);
    assert.equal(tok.decode(ids), '<bos>ab<eos>');
    assert.equal(tok.decode(ids, { skipSpecials: true }), 'ab');
    assert.throws(() => BpeTokenizer.train('x', { vocabSize: 300, specials: ['<unk>'] }), /<unk> is not allowed/);
  });

  it('saves and loads as JSON, and validates merges', () => {
    const tok = BpeTokenizer.train(randomText(4, 5000), { vocabSize: 350 });
    const back = tokenizerFromJSON(JSON.stringify(tok));
    assert.ok(back instanceof BpeTokenizer);
    assert.deepEqual(back.toJSON(), tok.toJSON());
    const text = randomText(5, 500);
    assert.deepEqual(back.encode(text), tok.encode(text));
    assert.throws(() => BpeTokenizer.fromJSON({ kind: 'bpe', merges: [97, 300], specials: [] }), /merge 0 joins \(97, 300\) but only ids below 256 exist/);
    assert.throws(() => BpeTokenizer.fromJSON({ kind: 'bpe', merges: [97], specials: [] }), /odd length/);
    assert.throws(() => tokenizerFromJSON({ kind: 'sentencepiece' }), /unknown tokenizer kind "sentencepiece"/);
  });

  it('trains on Moby-Dick (1.2 MB) and compresses it', () => {
    const text = loadMobyDick();
    const tok = BpeTokenizer.train(text, { vocabSize: 2000 });
    assert.equal(tok.vocabSize, 2000);
    const sample = text.slice(500_000, 560_000);
    const ids = tok.encode(sample);
    assert.equal(tok.decode(ids), sample);
    const bytes = new TextEncoder().encode(sample).length;
    assert.ok(ids.length < bytes / 3, `${ids.length} ids for ${bytes} bytes`);
  });
});
