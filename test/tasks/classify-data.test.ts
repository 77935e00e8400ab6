import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDelimited, parseLabeledTexts, readLabeledTexts } from '../../src/data/tabular.js';
import { encodeLabels, labelSet, loadExamples } from '../../src/tasks/classify/data.js';
import { crossValidationSplit, stratifiedKFold, stratifiedSplit } from '../../src/tasks/classify/splits.js';
import { loadUciSentiment } from '../../src/tasks/classify/uci-sentiment.js';

test('UCI sentiment: 3 x 1000 labelled sentences, balanced, the empty trailing records dropped', () => {
  const d = loadUciSentiment();
  assert.equal(d.length, 3000);
  for (const src of ['amazon', 'imdb', 'yelp']) {
    const part = d.filter((s) => s.source === src);
    assert.equal(part.length, 1000);
    assert.equal(part.filter((s) => s.label === 'positive').length, 500, `${src} positives`);
  }
  assert.ok(d.every((s) => s.text.length > 0));
  assert.deepEqual(d[0], { text: 'So there is no way for me to plug it in here in the US unless I go by a converter.', label: 'negative', source: 'amazon', index: 1 });
});

test('CSV (RFC 4180 quotes), TSV, JSONL; header detection; columns by name or index', () => {
  const csv = 'id,text,label\n1,"Hello, ""world""",pos\n2,"two\nlines",neg\n\n';
  assert.deepEqual(parseDelimited(csv.trimEnd(), ',', 'x.csv').map((r) => r.line), [1, 2, 3]);
  assert.deepEqual(parseLabeledTexts(csv, 'x.csv'), [
    { text: 'Hello, "world"', label: 'pos', line: 2 }, { text: 'two\nlines', label: 'neg', line: 3 },
  ]);
  assert.deepEqual(parseLabeledTexts('great\t1\nawful\t0\n', 'u.txt'), [{ text: 'great', label: '1', line: 1 }, { text: 'awful', label: '0', line: 2 }]);
  assert.deepEqual(parseLabeledTexts('a,b,c\nx,y,z\n', 'n.csv', { textColumn: 1, labelColumn: 0 }), [
    { text: 'b', label: 'a', line: 1 }, { text: 'y', label: 'x', line: 2 },
  ]);
  assert.deepEqual(parseLabeledTexts('{"review":"ok","stars":5}\n{"review":"meh","stars":2}\n', 'r.jsonl', { textColumn: 'review', labelColumn: 'stars' }),
    [{ text: 'ok', label: '5', line: 1 }, { text: 'meh', label: '2', line: 2 }]);
});

test('bad tabular input names the file and line', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['text,label\nok,pos\n\nbad,neg\n', 'e.csv', /e\.csv:3: empty line/],
    ['text,label\nok,pos\nbad,neg,extra\n', 'c.csv', /c\.csv:3: 3 columns, expected 2 as on line 1/],
    ['text\tlabel\n\tpos\n', 't.tsv', /t\.tsv:2: empty text/],
    ['{"text":"a","label":"x"}\n{"text":"b"\n', 'j.jsonl', /j\.jsonl:2: not valid JSON/],
    ['{"text":"a"}\n', 'k.jsonl', /k\.jsonl:1: no field "label"/],
    ['text,label\n"open,pos\n', 'q.csv', /q\.csv:2: a quoted field is never closed/],
    ['just one column\nanother\n', 'one.csv', /one\.csv:1: only 1 column/],
    ['review,stars\nok,5\n', 'h.csv', /h\.csv:1: column 'text' requested but the file has no header row/],
  ];
  for (const [text, path, re] of bad) assert.throws(() => parseLabeledTexts(text, path, path === 'h.csv' ? { textColumn: 'text' } : {}), re, path);
  const dir = mkdtempSync(join(tmpdir(), 'recur-tab-'));
  writeFileSync(join(dir, 'bin.csv'), Buffer.from([0x74, 0x00, 0xff]));
  assert.throws(() => readLabeledTexts(join(dir, 'bin.csv')), /not a text file/);
  assert.throws(() => readLabeledTexts(join(dir, 'missing.csv')), /corpus file not found/);
});

test('labels: numeric order for numbers, unknown labels named with their origin', () => {
  const ex = loadExamples('fixtures/tasks/sentiment-unknown-label.tsv');
  assert.deepEqual(labelSet([{ text: 'a', label: '10', where: '' }, { text: 'b', label: '9', where: '' }]), ['9', '10']);
  assert.throws(() => encodeLabels(ex, ['negative', 'positive']), /sentiment-unknown-label\.tsv:3: unknown label 'neutral' \(the model knows 'negative', 'positive'\)/);
});

test('stratified split and k-fold keep class proportions, cover every index once, and are seeded', () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? 1 : 0)); // 25 / 75
  const s = stratifiedSplit(labels, { valid: 0.1, test: 0.2 }, 3);
  assert.deepEqual([s.train.length, s.valid.length, s.test.length], [69, 11, 20], "per class: round(75·0.1) + round(25·0.1) = 8 + 3");
  assert.equal(s.test.filter((i) => labels[i] === 1).length, 5);
  assert.deepEqual([...s.train, ...s.valid, ...s.test].sort((a, b) => a - b), [...labels.keys()]);
  assert.deepEqual(stratifiedSplit(labels, { valid: 0.1, test: 0.2 }, 3), s);
  assert.notDeepEqual(stratifiedSplit(labels, { valid: 0.1, test: 0.2 }, 4).test, s.test);
  const folds = stratifiedKFold(labels, 10, 0);
  assert.ok(folds.every((f) => f.length === 10 && f.filter((i) => labels[i] === 1).length >= 2));
  assert.deepEqual(folds.flat().sort((a, b) => a - b), [...labels.keys()]);
  const cv = crossValidationSplit(labels, 10, 9, 0);
  assert.deepEqual(cv.test, folds[9]);
  assert.deepEqual(cv.valid, folds[0]);
  assert.equal(cv.train.length, 80);
  assert.throws(() => stratifiedSplit(labels, { valid: 0.5, test: 0.5 }, 0), /sum to less than 1/);
});
