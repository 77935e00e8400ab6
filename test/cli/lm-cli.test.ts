import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recur } from './run-cli.js';


test('CLI: train lm, generate, next-word, eval, report on a tiny corpus; bad input gives one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-cli-'));
  const corpus = join(dir, 'tiny.txt');
  writeFileSync(corpus, 'a rose is a rose is a rose. '.repeat(40));
  const out = join(dir, 'run');
  const t = recur('train', 'lm', '--corpus', corpus, '--hidden', '16', '--embed', '8', '--layers', '1', '--batch', '4', '--bptt', '8', '--steps', '12', '--eval-every', '6', '--out', out);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /run saved in .* \(12 steps, best valid loss \d/);
  for (const f of ['best.safetensors', 'last.safetensors', 'metrics.jsonl']) assert.ok(existsSync(join(out, f)), f);

  const g = recur('generate', out, '--prompt', 'a rose', '--length', '20', '--seed', '1');
  assert.equal(g.status, 0, g.stderr);
  assert.ok(g.stdout.startsWith('a rose') && g.stdout.length > 20);
  const g2 = recur('generate', out, '--prompt', 'a rose', '--length', '20', '--seed', '1');
  assert.equal(g2.stdout, g.stdout, 'same seed, same text');
  const g8 = recur('generate', out, '--prompt', 'a rose', '--length', '20', '--seed', '1', '--int8');
  assert.equal(g8.status, 0, g8.stderr);
  assert.ok(g8.stdout.startsWith('a rose') && g8.stdout.length > 20);
  assert.match(recur('generate', '--help').stdout, /--int8/);

  const n = recur('next-word', out, 'a ros', '--top-k', '3');
  assert.equal(n.status, 0, n.stderr);
  assert.equal(n.stdout.trim().split('\n').length, 3);

  const e = recur('eval', out, '--split', 'test');
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /loss \d+\.\d+ nats\/character \| perplexity \d+\.\d+ \| bits per character \d+\.\d+/);

  const r = recur('report', out);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(r.stdout.trim(), 'utf8');
  assert.match(html, /new Chart\(/);
  assert.match(html, /"valid":\[\{"x":6,"y":/);

  for (const [args, msg] of [
    [['train', 'lm', '--corpus', join(dir, 'missing.txt'), '--out', join(dir, 'r-missing')], /corpus file not found/],
    [['train', 'lm', '--corpus', corpus, '--level', 'word', '--out', out, '--resume'], /vocabulary mismatch on resume/],
    [['train', 'lm', '--corpus', corpus, '--hidden', 'many', '--out', out], /--hidden must be a whole number/],
    [['generate', join(dir, 'nope')], /no checkpoint 'last' in/],
    [['generate', out, '--int8', '--beam', '2'], /--int8 applies to sampling/],
    [['train', 'lm', '--out', out, '--frobnicate'], /unknown option '--frobnicate'/],
  ] as const) {
    const b = recur(...args);
    assert.notEqual(b.status, 0);
    assert.match(b.stderr, msg);
    assert.doesNotMatch(b.stderr, /\n\s+at /, 'no stack trace');
  }
  const bin = join(dir, 'bin.txt');
  writeFileSync(bin, Buffer.from([0x61, 0x00, 0xff, 0x10]));
  const b = recur('train', 'lm', '--corpus', bin, '--out', join(dir, 'r2'));
  assert.match(b.stderr, /not a text file/);
});
