import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recur } from '../cli/run-cli.js';

const data = 'fixtures/tasks/ner-tiny.conll';

test('CLI: train tag --crf on a CoNLL file, tag a sentence and a file, eval with conlleval; bad input named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-tag-'));
  const out = join(dir, 'run');
  const t = recur('train', 'tag', '--data', data, '--valid-data', data, '--test-data', data, '--crf', '--char', 'cnn',
    '--word-embed', '16', '--char-embed', '8', '--char-hidden', '12', '--hidden', '16', '--dropout', '0', '--min-freq', '1',
    '--batch', '4', '--lr', '0.03', '--epochs', '20', '--out', out);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /test: token accuracy \d\.\d{4} \| chunks: precision \d\.\d{4} recall \d\.\d{4} F1 \d\.\d{4} \(best checkpoint\)/);
  for (const f of ['best.safetensors', 'last.safetensors', 'metrics.jsonl']) assert.ok(existsSync(join(out, f)), f);

  const g = recur('tag', out, 'Mary Smith visited Paris .');
  assert.equal(g.status, 0, g.stderr);
  assert.equal(g.stdout.trim(), 'Mary/B-PER Smith/I-PER visited/O Paris/B-LOC ./O');

  const file = join(dir, 'sents.txt');
  writeFileSync(file, 'John lives in Berlin .\nAnna met Tom Brown .\n');
  const f = recur('tag', out, '--file', file, '--conll');
  assert.equal(f.status, 0, f.stderr);
  assert.equal(f.stdout.trim().split('\n\n').length, 2);
  assert.match(f.stdout, /^John\tB-PER\nlives\tO\n/);

  const e = recur('eval', out, '--data', data);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /ner-tiny\.conll: 43 tokens, loss \d+\.\d{4}, token accuracy \d\.\d{4}/);
  assert.match(e.stdout, /processed 43 tokens with 16 phrases; found: \d+ phrases; correct: \d+\./);
  assert.match(e.stdout, /PER: precision:/);

  const unknown = join(dir, 'unknown.conll');
  writeFileSync(unknown, 'Rome NNP B-LOC\nrocks VBZ B-MISC\n');
  for (const [args, msg] of [
    [['eval', out, '--data', unknown], /unknown\.conll:1: tag 'B-MISC' of word 2 \('rocks'\) was not in the training data/],
    [['train', 'tag', '--data', 'fixtures/tasks/ner-bad-columns.conll', '--out', join(dir, 'r2')], /ner-bad-columns\.conll:2: 2 columns, expected 3 as on line 1/],
    [['train', 'tag', '--data', 'fixtures/tasks/sentiment-tiny.tsv', '--out', join(dir, 'r3')], /^recur: fixtures\/tasks\/sentiment-tiny\.tsv: 1 sentences are too few to split into train\/validation\/test \(pass --valid-data and --test-data\)$/m],
    [['train', 'tag', '--data', data, '--tag-column', '1', '--scheme', 'bio', '--out', join(dir, 'r4')], /--scheme bio: the training tags are not chunk tags \(found 'NNP'/],
    [['tag', out], /give either a sentence or --file PATH/],
  ] as const) {
    const b = recur(...args);
    assert.notEqual(b.status, 0, args.join(' '));
    assert.match(b.stderr, msg);
    assert.equal(b.stderr.trim().split('\n').length, 1, `one line: ${b.stderr}`);
  }
});
