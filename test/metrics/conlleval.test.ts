import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conllEval, encodeChunks, extractChunks, formatConllReport } from '../../src/metrics/conlleval.js';
import { assertClose } from '../helpers/assert.js';

const spans = (tags: string[]): string[] => extractChunks(tags).map((c) => `${c.type}[${c.start},${c.end})`);

test('conlleval chunks: I- opens a chunk, B- splits adjacent chunks of one type, a type change splits', () => {
  assert.deepEqual(spans(['O', 'I-PER', 'I-PER', 'O']), ['PER[1,3)'], 'a span starting with I-');
  assert.deepEqual(spans(['B-PER', 'I-PER', 'B-PER', 'I-PER']), ['PER[0,2)', 'PER[2,4)'], 'adjacent spans of the same type');
  assert.deepEqual(spans(['I-LOC', 'I-LOC', 'I-PER']), ['LOC[0,2)', 'PER[2,3)'], 'type change inside I- run');
  assert.deepEqual(spans(['B-ORG', 'I-LOC']), ['ORG[0,1)', 'LOC[1,2)']);
  assert.deepEqual(spans(['B-PER']), ['PER[0,1)'], 'a chunk at the sentence end is closed');
  assert.deepEqual(spans(['O', 'O', 'NN', 'VB']), [], 'O and plain tags have no chunks');
});

test('conlleval chunks, BIOES: S- is a chunk of one, E- closes, adjacent S- stay separate', () => {
  assert.deepEqual(spans(['S-PER', 'S-PER']), ['PER[0,1)', 'PER[1,2)']);
  assert.deepEqual(spans(['B-LOC', 'I-LOC', 'E-LOC', 'B-LOC', 'E-LOC']), ['LOC[0,3)', 'LOC[3,5)']);
  assert.deepEqual(spans(['E-LOC', 'E-LOC']), ['LOC[0,1)', 'LOC[1,2)'], 'ill-formed E- E-');
  assert.deepEqual(spans(['B-LOC', 'I-LOC', 'S-LOC']), ['LOC[0,2)', 'LOC[2,3)']);
});

test('conlleval precision, recall, F1 and accuracy, by hand', () => {
  const gold = [
    ['B-PER', 'I-PER', 'O', 'B-LOC'],
    ['B-ORG', 'I-ORG', 'O', 'B-PER', 'B-PER'],
  ];
  const pred = [
    ['B-PER', 'I-PER', 'O', 'B-ORG'], // PER correct, LOC typed wrong
    ['I-ORG', 'I-ORG', 'O', 'B-PER', 'I-PER'], // ORG correct though it starts with I-; PER PER merged: wrong
  ];
  const r = conllEval(gold, pred);
  // gold chunks 5 (PER, LOC, ORG, PER, PER); predicted 4 (PER, ORG, ORG, PER[3,5)); correct 2.
  assert.deepEqual([r.gold, r.predicted, r.correct], [5, 4, 2]);
  assertClose(r.precision, 0.5);
  assertClose(r.recall, 0.4);
  assertClose(r.f1, (2 * 0.5 * 0.4) / 0.9);
  assertClose(r.accuracy, 6 / 9);
  assert.deepEqual(r.perType.PER, { precision: 0.5, recall: 1 / 3, f1: 0.4, gold: 3, predicted: 2, correct: 1 });
  assert.deepEqual(r.perType.LOC!.predicted, 0);
  assert.deepEqual(r.perType.ORG, { precision: 0.5, recall: 1, f1: 2 / 3, gold: 1, predicted: 2, correct: 1 });
  assert.match(formatConllReport(r), /processed 9 tokens with 5 phrases; found: 4 phrases; correct: 2\.\naccuracy:  66\.67%; precision:  50\.00%; recall:  40\.00%; FB1:  44\.44/);
  assert.equal(conllEval([['O']], [['O']]).f1, 0, 'no chunks at all: F1 0, not NaN');
  assert.throws(() => conllEval([['O', 'O']], [['O']]), /sentence 0 has 2 gold tags but 1 predicted/);
});

test('encodeChunks rewrites IOB1 as IOB2 and BIO as BIOES with the same chunks', () => {
  const iob1 = ['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC'];
  assert.deepEqual(encodeChunks(iob1, 'bio'), ['B-PER', 'I-PER', 'B-PER', 'O', 'B-LOC']);
  assert.deepEqual(encodeChunks(iob1, 'bioes'), ['B-PER', 'E-PER', 'S-PER', 'O', 'S-LOC']);
  for (const s of [iob1, encodeChunks(iob1, 'bioes')]) assert.deepEqual(spans(encodeChunks(s, 'bio')), spans(iob1));
});
