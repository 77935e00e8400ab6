import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationReport, confusionMatrix, formatClassificationReport } from '../../src/metrics/classification.js';
import { assertClose } from '../helpers/assert.js';

test('classification report: accuracy, per-class precision/recall/F1, macro-F1 and confusion, by hand', () => {
  // gold: a a a b b c ; pred: a b a b c c
  const gold = [0, 0, 0, 1, 1, 2], pred = [0, 1, 0, 1, 2, 2];
  const r = classificationReport(gold, pred, ['a', 'b', 'c']);
  assert.deepEqual(r.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
  assertClose(r.accuracy, 4 / 6);
  // a: P 2/2, R 2/3, F1 0.8 | b: P 1/2, R 1/2, F1 0.5 | c: P 1/2, R 1/1, F1 2/3
  assertClose(r.perClass.map((c) => c.precision), [1, 0.5, 0.5]);
  assertClose(r.perClass.map((c) => c.recall), [2 / 3, 0.5, 1]);
  assertClose(r.perClass.map((c) => c.f1), [0.8, 0.5, 2 / 3]);
  assert.deepEqual(r.perClass.map((c) => c.support), [3, 2, 1]);
  assertClose(r.macroF1, (0.8 + 0.5 + 2 / 3) / 3);
  assert.match(formatClassificationReport(r), /accuracy 0\.6667 \| macro-F1 0\.6556 \| 6 examples/);
});

test('a class never predicted and never present scores 0 and still counts in macro-F1 (zero_division=0)', () => {
  const r = classificationReport([0, 0, 1], [0, 0, 1], ['x', 'y', 'z']);
  assert.equal(r.accuracy, 1);
  assert.deepEqual(r.perClass[2], { label: 'z', precision: 0, recall: 0, f1: 0, support: 0 });
  assertClose(r.macroF1, 2 / 3);
  assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /gold label 3 at position 1 is not a class id in \[0, 3\)/);
  assert.throws(() => confusionMatrix([0], [0, 1], 2), /1 gold labels but 2 predictions/);
});
