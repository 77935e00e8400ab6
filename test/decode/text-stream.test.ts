import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { textStream } from '../../src/decode/text-stream.js';
import { generateIds, generateText } from '../../src/tasks/lm/generate.js';
import { LanguageModel } from '../../src/tasks/lm/model.js';
import { manualSeed } from '../../src/tensor/rng.js';
import { BpeTokenizer } from '../../src/text/bpe-tokenizer.js';
import { CharTokenizer } from '../../src/text/char-tokenizer.js';
import type { Tokenizer } from '../../src/text/tokenizer.js';
import { WordTokenizer } from '../../src/text/word-tokenizer.js';

const TEXT = 'He said "no" (twice) -- then left; naïve café, 3.14 % ok?\n"Yes," she said. Ünïcödé 😀 done!\n';

const tokenizers: Array<[string, Tokenizer]> = [
  ['char', CharTokenizer.fromCorpus(TEXT)],
  ['word', WordTokenizer.fromCorpus(TEXT, { minFreq: 1 })],
  ['bpe', BpeTokenizer.train(TEXT, { vocabSize: 300 })],
];

function streamed(tok: Tokenizer, ids: readonly number[]): string {
  const s = textStream(tok);
  return ids.map((id) => s.push(id)).join('') + s.end();
}

for (const [kind, tok] of tokenizers) {
  test(`${kind}: streamed pieces of any id sequence join to decode(ids, { skipSpecials: true })`, () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: tok.vocabSize - 1 }), { maxLength: 60 }), (ids) => {
        assert.equal(streamed(tok, ids), tok.decode(ids, { skipSpecials: true }));
      }),
      { seed: 7, numRuns: 300 },
    );
  });
}

test('specials are never written out; a word tokenizer\'s <eos> is a line break', () => {
  const word = tokenizers[1]![1] as WordTokenizer;
  const ids = [word.unkId!, word.padId!, word.bosId!, word.eosId!, ...word.encode('said no')];
  assert.equal(streamed(word, ids), '\nsaid no');
  const char = tokenizers[0]![1];
  assert.doesNotMatch(streamed(char, [char.unkId!, ...char.encode('ok'), char.padId ?? char.unkId!]), /<unk>|<pad>/);
  const bpe = tokenizers[2]![1];
  assert.equal(streamed(bpe, [bpe.bosId!, ...bpe.encode('😀 ok'), bpe.eosId!, bpe.padId!]), '😀 ok');
});

test('BPE: a character split over tokens is held back until it is complete', () => {
  const bpe = new BpeTokenizer([]); // bytes only: every UTF-8 byte is its own token
  const s = textStream(bpe);
  const bytes = [...new TextEncoder().encode('😀')];
  assert.deepEqual(bytes.map((b) => s.push(b)), ['', '', '', '😀']);
  assert.equal(s.end(), '');
  const cut = textStream(bpe);
  cut.push(bytes[0]!);
  assert.equal(cut.end(), '\uFFFD', 'a cut-off character ends as U+FFFD, as decode shows it');
});

function tinyModel(vocabSize: number): LanguageModel {
  manualSeed(5);
  return new LanguageModel({ vocabSize, embedSize: 4, hiddenSize: 8, numLayers: 1, cell: 'gru', dropout: 0, tieWeights: false });
}

for (const [kind, tok] of tokenizers) {
  test(`${kind}: generateText streams exactly the decoded text of the sampled ids`, async () => {
    const model = tinyModel(tok.vocabSize);
    const o = { prompt: 'He', length: 300, temperature: 1.5, seed: 3 };
    const ids: number[] = [];
    for await (const id of generateIds(model, tok, o)) ids.push(id);
    let text = '';
    for await (const piece of generateText(model, tok, o)) text += piece;
    assert.equal(ids.length, 300);
    assert.equal(text, tok.decode(ids, { skipSpecials: true }));
  });
}

test('generateText does work linear in the length: each id is decoded once, never the whole output again', async () => {
  const tok = CharTokenizer.fromCorpus(TEXT);
  let decoded = 0, looked = 0;
  const decode = tok.decode.bind(tok);
  tok.decode = (ids, opts) => {
    decoded += ids.length;
    return decode(ids, opts);
  };
  const token = tok.vocab.token.bind(tok.vocab);
  tok.vocab.token = (id: number) => {
    looked++;
    return token(id);
  };
  const model = tinyModel(tok.vocabSize);
  const length = 20_000;
  let chars = 0;
  for await (const piece of generateText(model, tok, { prompt: '', length, temperature: 1, seed: 1 })) chars += piece.length;
  assert.ok(chars > 0 && chars <= length);
  assert.equal(decoded, 0, 'no re-decoding of the output');
  // isSpecial + token per id (each a vocabulary lookup); the old loop looked up ~length²/2.
  assert.ok(looked <= 2 * length + 10, `${looked} vocabulary lookups for ${length} tokens`);
});
