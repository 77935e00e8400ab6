import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CharTokenizer } from '../../src/text/char-tokenizer.js';
import { tokenizerFromJSON } from '../../src/text/from-json.js';

const corpus = 'Héllo wörld! 你好，世界。 👍🏽 family: 👨‍👩‍👧 café (e\u0301) تست\n\ttab';

describe('CharTokenizer', () => {
  it('round-trips unicode text: emoji, CJK, combining marks, RTL, whitespace', () => {
    const tok = CharTokenizer.fromCorpus(corpus);
    assert.equal(tok.decode(tok.encode(corpus)), corpus);
    assert.equal(tok.kind, 'char');
    assert.equal(tok.vocabSize, new Set(corpus).size + 4);
  });

  it('gives one id per code point, not per UTF-16 unit', () => {
    const tok = CharTokenizer.fromCorpus('a😀');
    const ids = tok.encode('😀a😀');
    assert.equal(ids.length, 3);
    assert.equal(ids[0], ids[2]);
  });

  it('maps unknown characters to <unk> and can skip specials when decoding', () => {
    const tok = CharTokenizer.fromCorpus('abc');
    const ids = tok.encode('abz');
    assert.equal(ids[2], tok.unkId);
    assert.equal(tok.decode(ids), 'ab<unk>');
    assert.equal(tok.decode(ids, { skipSpecials: true }), 'ab');
  });

  it('throws on unknown characters when there is no <unk>', () => {
    const tok = CharTokenizer.fromCorpus('abc', { specials: ['<pad>'] });
    assert.throws(() => tok.encode('a€'), /unknown character "€" \(U\+20AC\) and no <unk> token/);
  });

  it('adds <bos>/<eos> on request', () => {
    const tok = CharTokenizer.fromCorpus('ab');
    assert.deepEqual(Array.from(tok.encode('ab', { bos: true, eos: true })), [tok.bosId, 4, 5, tok.eosId]);
    const bare = CharTokenizer.fromCorpus('ab', { specials: ['<unk>'] });
    assert.throws(() => bare.encode('a', { eos: true }), /has no <eos> token/);
  });

  it('orders characters by frequency and honours minFreq / maxSize', () => {
    const tok = CharTokenizer.fromCorpus('abbccc', { specials: ['<unk>'], maxSize: 3 });
    assert.deepEqual(tok.vocab.tokens(), ['<unk>', 'c', 'b']);
    assert.equal(tok.decode(tok.encode('abc')), '<unk>bc');
  });

  it('saves and loads as JSON', () => {
    const tok = CharTokenizer.fromCorpus(corpus, { minFreq: 1 });
    const json = JSON.parse(JSON.stringify(tok.toJSON())) as unknown;
    const back = tokenizerFromJSON(json);
    assert.ok(back instanceof CharTokenizer);
    assert.deepEqual(back.toJSON(), tok.toJSON());
    assert.deepEqual(back.encode(corpus), tok.encode(corpus));
    assert.throws(() => CharTokenizer.fromJSON({ kind: 'word' }), /expected kind "char", got "word"/);
  });
});
