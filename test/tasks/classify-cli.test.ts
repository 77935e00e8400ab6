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

  const trained = report(t.stdout);
  assert.equal(trained.total, 8, 'test split size');
  assert.match(t.stdout, new RegExp(`test accuracy ${trained.accuracy.toFixed(4)} \\| macro-F1 ${trained.macroF1.toFixed(4)} \\(best checkpoint\\)`));

  const texts = ['great food', 'What a great phone , I love it', 'awful service', 'it is ok'];
  const lines = join(dir, 'lines.txt');
  writeFileSync(lines, texts.join('\n') + '\n');
  const f = recur('classify', out, '--file', lines, '--json');
  assert.equal(f.status, 0, f.stderr);
  const preds = f.stdout.trim().split('\n').map((l) => JSON.parse(l) as { label: string; probs: Record<string, number> });
  assert.equal(preds.length, texts.length);
  for (const p of preds) {
    assertSum(p.probs);
    assert.equal(p.label, p.probs.positive! > p.probs.negative! ? 'positive' : 'negative', 'label is the most probable class');
  }
  // A short text alone on the command line, and padded in a batch with a longer one from a
  // file, gets the same probabilities; so do the JSON and the plain output.
  const c = recur('classify', out, texts[0]!);
  assert.equal(c.status, 0, c.stderr);
  const plain = recur('classify', out, '--file', lines);
  assert.equal(plain.status, 0, plain.stderr);
  const asText = (p: { label: string; probs: Record<string, number> }): string =>
    `${p.label}\tnegative=${p.probs.negative!.toFixed(4)} positive=${p.probs.positive!.toFixed(4)}`;
  assert.equal(c.stdout.trim(), asText(preds[0]!));
  assert.deepEqual(plain.stdout.trim().split('\n'), preds.map(asText));

  // eval reloads the best checkpoint and scores the same test split: the same report.
  const e = recur('eval', out);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /sentiment-tiny\.tsv test split: 8 examples, loss \d/);
  assert.deepEqual(report(e.stdout), trained);

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
    assert.equal(b.stderr.trim().split('\n').length, 1, `one line: ${b.stderr}`);
  }
});

interface Report { confusion: number[][]; total: number; accuracy: number; macroF1: number }

/**
 * Reads the metrics block (per-class table, accuracy line, confusion matrix) and checks that
 * its figures follow from the confusion matrix: accuracy = trace / total, per-class precision,
 * recall and F1, macro-F1 = their mean, support = row sums.
 */
function report(stdout: string): Report {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('confusion matrix'));
  assert.ok(at >= 0, `no confusion matrix in:\n${stdout}`);
  const confusion = [lines[at + 2]!, lines[at + 3]!].map((l, i) => {
    const cols = l.trim().split(/\s+/);
    assert.equal(cols[0], ['negative', 'positive'][i]);
    return cols.slice(1).map(Number);
  });
  const total = confusion.flat().reduce((a, b) => a + b, 0);
  const f1s: number[] = [];
  for (let k = 0; k < 2; k++) {
    const tp = confusion[k]![k]!, support = confusion[k]![0]! + confusion[k]![1]!, predicted = confusion[0]![k]! + confusion[1]![k]!;
    const p = predicted ? tp / predicted : 0, r = support ? tp / support : 0, f1 = p + r ? (2 * p * r) / (p + r) : 0;
    f1s.push(f1);
    const name = ['negative', 'positive'][k]!;
    const row = lines.find((l) => l.startsWith(`${name} `) && /\d\.\d{4}/.test(l));
    assert.equal(row?.trim().split(/\s+/).join(' '), `${name} ${p.toFixed(4)} ${r.toFixed(4)} ${f1.toFixed(4)} ${support}`);
  }
  const accuracy = (confusion[0]![0]! + confusion[1]![1]!) / total, macroF1 = (f1s[0]! + f1s[1]!) / 2;
  assert.match(stdout, new RegExp(`^accuracy ${accuracy.toFixed(4)} \\| macro-F1 ${macroF1.toFixed(4)} \\| ${total} examples$`, 'm'));
  return { confusion, total, accuracy, macroF1 };
}

function assertSum(p: Record<string, number>): void {
  const s = Object.values(p).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(s - 1) < 1e-4, `probabilities sum to ${s}`);
}
