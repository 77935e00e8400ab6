import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConll, readConllFile } from '../../src/data/conll.js';
import { BROWN_POS_TAGS, brownBaseTag, brownFilePart, brownNameTags } from '../../src/tasks/tag/brown.js';
import { buildTagVocabs, detectScheme, encodeSentences, makeTagBatch, normalizeWord } from '../../src/tasks/tag/data.js';

test('CoNLL: -DOCSTART-, blank-line sentence breaks, choosable tag column, tabs or spaces', () => {
  const s = readConllFile('fixtures/tasks/ner-tiny.conll');
  assert.equal(s.length, 8);
  assert.deepEqual(s[0], { words: ['John', 'lives', 'in', 'Paris', '.'], tags: ['B-PER', 'O', 'O', 'B-LOC', 'O'], line: 3 });
  assert.deepEqual(readConllFile('fixtures/tasks/ner-tiny.conll', { tagColumn: 1 })[1]!.tags, ['NNP', 'NNP', 'VBD', 'NNP', '.']);
  const tabs = parseConll('New York\tNNP\tB-LOC\r\ncity\tNN\tO\n\n\n', 't.conll');
  assert.deepEqual(tabs, [{ words: ['New York', 'city'], tags: ['B-LOC', 'O'], line: 1 }]);
});

test('bad CoNLL input names the file and line', () => {
  assert.throws(() => readConllFile('fixtures/tasks/ner-bad-columns.conll'), /ner-bad-columns\.conll:2: 2 columns, expected 3 as on line 1/);
  assert.throws(() => parseConll('{"text": "a json file"}\n', 'x.json'), /x\.json:1: this looks like JSON, not a CoNLL column file/);
  assert.throws(() => parseConll('a b\n', 'c.conll', { tagColumn: 4 }), /c\.conll:1: tag column 4 does not exist \(the file has 2 columns/);
  assert.throws(() => parseConll('-DOCSTART- O\n\n', 'e.conll'), /e\.conll: no sentences/);
  assert.throws(() => readConllFile('fixtures/tasks/missing.conll'), /corpus file not found/);
});

test('Brown tags: compound tags -> first part, modifiers dropped, 87 base tags', () => {
  const cases: Array<[string, string]> = [
    ['np-tl', 'np'], ['ppss+ber', 'ppss'], ['fw-in+nn-tl', 'fw'], ['md*', 'md'], ['bez*-hl', 'bez'], ['*', '*'],
    ['nn$', 'nn$'], ['nr$', 'nr'], ['pp$$', 'pp$$'], ['vbd-hl', 'vbd'], ['nn-nc', 'nn'], ["''", "''"], ['NP', 'np'],
  ];
  for (const [raw, base] of cases) assert.equal(brownBaseTag(raw), base, raw);
  assert.equal(BROWN_POS_TAGS.length, 87);
  assert.equal(new Set(BROWN_POS_TAGS).size, 87);
});

test('Brown name chunks: runs of proper nouns and -tl words, NAME when a proper noun is in the run, else TITLE', () => {
  const tags = ['at', 'np-tl', 'nn-tl', 'jj-tl', 'nn-tl', 'vbd', 'nr', 'in', 'np$', 'at', 'nn-tl', 'jj-tl', 'nn-tl', ',', 'np', 'np'];
  assert.deepEqual(brownNameTags(tags), [
    'O', 'B-NAME', 'I-NAME', 'I-NAME', 'I-NAME', 'O', 'O', 'O', 'B-NAME', 'O', 'B-TITLE', 'I-TITLE', 'I-TITLE', 'O', 'B-NAME', 'I-NAME',
  ]);
  assert.deepEqual([brownFilePart('ca10'), brownFilePart('cb25'), brownFilePart('cr09'), brownFilePart('cn30')], ['test', 'valid', 'train', 'test']);
});

test('scheme detection, word normalisation, and a batch with per-distinct-word characters', () => {
  const s = (tags: string[]) => ({ words: tags.map(() => 'w'), tags, where: 'x' });
  assert.equal(detectScheme([s(['O', 'B-PER', 'I-PER'])]), 'bio');
  assert.equal(detectScheme([s(['S-PER', 'O'])]), 'bioes');
  assert.equal(detectScheme([s(['NN', 'VB'])]), 'none');
  assert.equal(normalizeWord('Year-1961'), 'year-0000');
  const train = [{ words: ['The', 'cat', 'the'], tags: ['at', 'nn', 'at'], where: 'a' }, { words: ['A', 'cat'], tags: ['at', 'nn'], where: 'b' }];
  const v = buildTagVocabs(train, 1);
  assert.deepEqual(v.tags, ['at', 'nn']);
  const enc = encodeSentences(v, train, true);
  const b = makeTagBatch(v, enc, [0, 1]);
  assert.deepEqual([b.B, b.T, b.U, b.tokens], [2, 3, 4, 5], 'The, cat, the, A are distinct for characters');
  assert.deepEqual(Array.from(b.wordSlot), [0, 1, 2, 3, 1, 0]);
  assert.deepEqual(Array.from(b.tagIds!), [0, 1, 0, 0, 1, -1]);
  assert.equal(b.wordIds[0], b.wordIds[2], 'The and the share a word id');
  assert.throws(() => encodeSentences(v, [{ words: ['x'], tags: ['vb'], where: 'f.conll:7' }], true), /f\.conll:7: tag 'vb' of word 1 \('x'\) was not in the training data/);
});

test('a CSV given as CoNLL is rejected on its first line', () => {
  assert.throws(() => parseConll('text,label\nhello,pos\n', 'd.csv'), /d\.csv:1: not a CoNLL column file: the line has 1 column/);
});
