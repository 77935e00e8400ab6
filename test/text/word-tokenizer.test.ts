import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detokenize } from '../../src/text/detokenize.js';
import { tokenizerFromJSON } from '../../src/text/from-json.js';
import { WordTokenizer } from '../../src/text/word-tokenizer.js';

describe('WordTokenizer', () => {
  it('splits words, numbers and punctuation', () => {
    const tok = WordTokenizer.fromCorpus('x');
    assert.deepEqual(tok.tokenize(`Hello, world! (It's 3.14.) A well-known "fact"...`), [
      'Hello', ',', 'world', '!', '(', "It's", '3.14', '.', ')', 'A', 'well-known', '"', 'fact', '"', '...',
    ]);
    assert.deepEqual(tok.tokenize("``Brown'' -- yes $5 and/or 50%"), [
      '``', 'Brown', "''", '--', 'yes', '$', '5', 'and', '/', 'or', '50', '%',
    ]);
    assert.deepEqual(tok.tokenize('Café naïve 東京 Ünïcode'), ['Café', 'naïve', '東京', 'Ünïcode']);
  });

  it('round-trips text written with conventional spacing', () => {
    const text = [
      `Hello, world! (It's 3.14.) He said "yes" and left; she didn't.`,
      `Call me Ishmael. Some years ago—never mind how long precisely—having little money...`,
      `Prices rose 50% to $1,000 [see note] in 1999: a record?!`,
      '',
      'Ünïcode 東京 naïve café.',
    ].join('\n');
    const tok = WordTokenizer.fromCorpus(text);
    assert.equal(tok.decode(tok.encode(text)), text);
  });

  it('turns line breaks into <eos> by default, or ignores them', () => {
    const eos = WordTokenizer.fromCorpus('a b\nc\r\n');
    assert.deepEqual(eos.tokenize('a b\nc\r\n'), ['a', 'b', '<eos>', 'c', '<eos>']);
    assert.equal(eos.decode(eos.encode('a b\nc\n')), 'a b\nc\n');
    assert.equal(eos.decode(eos.encode('a\n'), { skipSpecials: true }), 'a\n');
    const flat = WordTokenizer.fromCorpus('a b\nc\n', { lineBreaks: 'ignore' });
    assert.deepEqual(flat.tokenize('a b\nc\n'), ['a', 'b', 'c']);
    assert.throws(() => WordTokenizer.fromCorpus('a', { specials: ['<unk>'] }), /lineBreaks 'eos' needs <eos>/);
  });

  it('recognises special tokens written in the text', () => {
    const tok = WordTokenizer.fromCorpus('the <unk> sat on <unk>');
    assert.deepEqual(tok.tokenize('the <unk> sat'), ['the', '<unk>', 'sat']);
    assert.equal(tok.encode('<unk>')[0], tok.unkId);
  });

  it('lower-cases on request, leaving specials alone', () => {
    const tok = WordTokenizer.fromCorpus('The THE the <unk>', { lowercase: true });
    assert.deepEqual(tok.vocab.tokens().slice(4), ['the']);
    assert.equal(tok.vocab.count(4), 3);
    assert.deepEqual(tok.tokenize('THE <unk>'), ['the', '<unk>']);
  });

  it('maps rare words to <unk> with minFreq and maxSize', () => {
    const corpus = 'a a a b b c d d';
    const byFreq = WordTokenizer.fromCorpus(corpus, { minFreq: 2 });
    assert.deepEqual(byFreq.vocab.tokens().slice(4), ['a', 'b', 'd']);
    assert.equal(byFreq.decode(byFreq.encode('a c d')), 'a <unk> d');
    const bySize = WordTokenizer.fromCorpus(corpus, { maxSize: 6 });
    assert.deepEqual(bySize.vocab.tokens().slice(4), ['a', 'b']);
    const strict = WordTokenizer.fromCorpus(corpus, { specials: ['<eos>'] });
    assert.throws(() => strict.encode('zebra'), /unknown token "zebra"/);
  });

  it('adds <bos>/<eos> and skips specials on request', () => {
    const tok = WordTokenizer.fromCorpus('hi there');
    const ids = tok.encode('hi there', { bos: true, eos: true });
    assert.equal(ids[0], tok.bosId);
    assert.equal(ids[ids.length - 1], tok.eosId);
    assert.equal(tok.decode(ids.subarray(0, 3)), '<bos> hi there');
    assert.equal(tok.decode(ids.subarray(0, 3), { skipSpecials: true }), 'hi there');
  });

  it('saves and loads as JSON', () => {
    const tok = WordTokenizer.fromCorpus('The cat sat.\nThe dog ran!', { lowercase: true, maxSize: 9 });
    const back = tokenizerFromJSON(JSON.stringify(tok));
    assert.ok(back instanceof WordTokenizer);
    assert.deepEqual(back.toJSON(), tok.toJSON());
    assert.equal(back.lowercase, true);
    assert.deepEqual(back.encode('the cat ran'), tok.encode('the cat ran'));
    assert.throws(() => WordTokenizer.fromJSON({ ...tok.toJSON(), lineBreaks: 'keep' }), /"lineBreaks" must be "eos" or "ignore"/);
  });

  it('detokenize handles quotes, brackets and dashes', () => {
    assert.equal(detokenize(['a', '"', 'b', 'c', '"', 'd']), 'a "b c" d');
    assert.equal(detokenize(['(', 'x', ')', '—', 'y', '/', 'z']), '(x)—y/z');
    assert.equal(detokenize(['one', '\n', 'two', '.']), 'one\ntwo.');
  });
});
