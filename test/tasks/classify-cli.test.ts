import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recur } from '../cli/run-cli.js';

const data = 'fixtures/tasks/sentiment-tiny.tsv';

test('CLI: train classify on a TSV, classify a text and a file, eval; bad input gives one line naming file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-classify-'));
  const out = join(dir, 'run');
  const t = recur('train', 'classify', '--data', data, '--hidden', '8', '--embed', '8', '--epochs', '6', '--batch', '8',
    '--lr', '0.02', '--valid', '0.2', '--test', '0.2', '--lexicon', 'afinn', '--out', out);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /test accuracy \d\.\d{4} \| macro-F1 \d\.\d{4} \(best checkpoint\)/);
  assert.match(t.stdout, /confusion matrix \(rows: gold, columns: predicted\)/);
  for (const f of ['best.safetensors', 'last.safetensors', 'metrics.jsonl']) assert.ok(existsSync(join(out, f)), f);

  const c = recur('classify', out, 'What a great phone , I love it');
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout.trim(), /^(negative|positive)\tnegative=0\.\d{4} positive=0\.\d{4}$/);

  const lines = join(dir, 'lines.txt');
  writeFileSync(lines, 'great food\nawful service\nit is ok\n');
  const f = recur('classify', out, '--file', lines, '--json');
  assert.equal(f.status, 0, f.stderr);
  const preds = f.stdout.trim().split('\n').map((l) => JSON.parse(l) as { label: string; probs: Record<string, number> });
  assert.equal(preds.length, 3);
  for (const p of preds) assertSum(p.probs);

  const e = recur('eval', out);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /sentiment-tiny\.tsv test split: 8 examples, loss \d/);
  assert.match(e.stdout, /accuracy \d\.\d{4} \| macro-F1/);

  writeFileSync(join(dir, 'gaps.txt'), 'good\n\nbad\n');
  for (const [args, msg] of [
    [['eval', out, '--data', 'fixtures/tasks/sentiment-unknown-label.tsv'], /sentiment-unknown-label\.tsv:3: unknown label 'neutral'/],
    [['train', 'classify', '--data', 'fixtures/tasks/sentiment-bad-columns.csv', '--out', join(dir, 'r2')], /sentiment-bad-columns\.csv:3: 3 columns, expected 2 as on line 1/],
    [['classify', out, '--file', join(dir, 'gaps.txt')], /gaps\.txt:2: empty line/],
    [['train', 'classify', '--data', 'fixtures/tasks/ner-tiny.conll', '--out', join(dir, 'r3')], /ner-tiny\.conll:2: empty line/],
    [['classify', out], /give either a text or --file PATH/],
    [['train', 'classify', '--data', data, '--pooling', 'sum', '--out', join(dir, 'r4')], /--pooling must be one of last, mean, max, attention/],
  ] as const) {
    const b = recur(...args);
    assert.notEqual(b.status, 0, args.join(' '));
    assert.match(b.stderr, msg);
    assert.doesNotMatch(b.stderr, /\n\s+at /, 'no stack trace');
  }
});

function assertSum(p: Record<string, number>): void {
  const s = Object.values(p).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(s - 1) < 1e-4, `probabilities sum to ${s}`);
}
