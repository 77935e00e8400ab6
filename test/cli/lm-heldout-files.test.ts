import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recur } from './run-cli.js';

// 1008 characters: with --batch 4 --bptt 8 the whole text is 252 steps per stream, 32 windows;
// the default 90% split would give 226 steps, 29 windows. Evaluation counts the targets of
// min(10, n/2) streams: 90 valid characters -> 10 x 8, 54 test characters -> 10 x 4.
const TEXT = 'a rose is a rose is a rose. '.repeat(36);

test('CLI: train lm --valid/--test trains on the whole corpus and evaluates on the given files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-lm-heldout-'));
  const corpus = join(dir, 'train.txt'), valid = join(dir, 'valid.txt'), testFile = join(dir, 'test.txt');
  writeFileSync(corpus, TEXT);
  writeFileSync(valid, 'a rose is a rose. '.repeat(5));
  writeFileSync(testFile, 'is a rose a rose. '.repeat(3));
  const common = ['--corpus', corpus, '--hidden', '8', '--embed', '4', '--layers', '1', '--batch', '4', '--bptt', '8', '--epochs', '1'];

  const whole = join(dir, 'whole');
  const t = recur('train', 'lm', ...common, '--valid', valid, '--test', testFile, '--out', whole);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /\(32 steps,/);
  const ev = recur('eval', whole, '--split', 'valid');
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, /valid\.txt: 80 characters/);
  const et = recur('eval', whole);
  assert.equal(et.status, 0, et.stderr);
  assert.match(et.stdout, /test\.txt: 40 characters/);

  const split = join(dir, 'split');
  const s = recur('train', 'lm', ...common, '--out', split);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /\(29 steps,/);

  const onlyValid = join(dir, 'only-valid');
  const v = recur('train', 'lm', ...common, '--valid', valid, '--out', onlyValid);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /\(32 steps,/);
  const noTest = recur('eval', onlyValid);
  assert.equal(noTest.status, 1);
  assert.match(noTest.stderr, /trained with --valid and no --test, so it has no test text/);
});
