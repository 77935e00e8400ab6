import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecurError } from '../../src/errors.js';
import { Vocabulary } from '../../src/text/vocab.js';

const words = (s: string): string[] => s.split(' ');

describe('Vocabulary', () => {
  it('puts specials first, then tokens by count, ties by first occurrence', () => {
    const v = Vocabulary.build(words('b a c a b a d'));
    assert.deepEqual(v.tokens(), ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b', 'c', 'd']);
    assert.deepEqual([4, 5, 6, 7].map((i) => v.count(i)), [3, 2, 1, 1]);
    assert.equal(v.padId, 0);
    assert.equal(v.unkId, 1);
    assert.equal(v.bosId, 2);
    assert.equal(v.eosId, 3);
    const tie = Vocabulary.build(words('x y y x z'), { specials: [] });
    assert.deepEqual(tie.tokens(), ['x', 'y', 'z']);
  });

  it('applies minFreq and maxSize deterministically', () => {
    const corpus = words('q r s r s t u u u');
    const minFreq = Vocabulary.build(corpus, { minFreq: 2 });
    assert.deepEqual(minFreq.tokens().slice(4), ['u', 'r', 's']);
    assert.equal(minFreq.id('q'), minFreq.unkId);
    // r and s tie at 2: r came first, so it survives a cut at one of them.
    const capped = Vocabulary.build(corpus, { maxSize: 6 });
    assert.deepEqual(capped.tokens(), ['<pad>', '<unk>', '<bos>', '<eos>', 'u', 'r']);
    assert.deepEqual(Vocabulary.build(corpus, { maxSize: 6 }).toJSON(), capped.toJSON());
    assert.equal(Vocabulary.build(corpus, { maxSize: 4 }).size, 4);
    assert.throws(() => Vocabulary.build(corpus, { maxSize: 3 }), /maxSize=3 cannot hold the 4 special tokens/);
    assert.throws(() => Vocabulary.build(corpus, { minFreq: 0 }), /minFreq must be an integer >= 1/);
  });

  it('counts corpus occurrences of a special token toward the special', () => {
    const v = Vocabulary.build(words('a <eos> b <eos>'), { specials: ['<unk>', '<eos>'] });
    assert.deepEqual(v.tokens(), ['<unk>', '<eos>', 'a', 'b']);
    assert.equal(v.count(1), 2);
  });

  it('encodes and decodes, and errors clearly without <unk>', () => {
    const v = Vocabulary.build(words('the cat sat'), { specials: ['<pad>'] });
    assert.deepEqual(Array.from(v.encode(['cat', 'the'])), [2, 1]);
    assert.deepEqual(v.decode([1, 2, 3]), ['the', 'cat', 'sat']);
    assert.equal(v.unkId, undefined);
    assert.throws(() => v.id('dog'), (e: unknown) => {
      assert.ok(e instanceof RecurError);
      assert.match(e.message, /unknown token "dog".*has no <unk> token/);
      return true;
    });
    assert.throws(() => v.token(4), /token id 4 is out of range for a vocabulary of size 4/);
    assert.throws(() => v.token(-1), /out of range/);
    assert.equal(v.isSpecial(0), true);
    assert.equal(v.isSpecial(1), false);
  });

  it('round-trips through JSON', () => {
    const v = Vocabulary.build(words('b a c a b a d'), { minFreq: 1, maxSize: 7 });
    const json = JSON.stringify(v);
    const back = Vocabulary.fromJSON(JSON.parse(json));
    assert.deepEqual(back.toJSON(), v.toJSON());
    assert.deepEqual(Vocabulary.fromJSON(json).toJSON(), v.toJSON());
    assert.equal(back.unkId, v.unkId);
  });

  it('rejects malformed input', () => {
    assert.throws(() => new Vocabulary(['a', 'a']), /duplicate token "a" at ids 0 and 1/);
    assert.throws(() => new Vocabulary(['a'], { specials: ['<unk>'] }), /special token "<unk>" is not in the token list/);
    assert.throws(() => Vocabulary.fromJSON({ tokens: ['a'], specials: [] }), /"counts" must be an array/);
    assert.throws(() => Vocabulary.fromJSON('{oops'), /invalid JSON/);
    assert.throws(() => Vocabulary.fromJSON({ tokens: ['a'], counts: [1.5], specials: [] }), /counts\[0\] must be an integer/);
  });
});
