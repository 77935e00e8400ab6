import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { recur } from './run-cli.js';

const TSV = 'fixtures/tasks/translate/tiny.tsv';

test('CLI: train translate on a tiny TSV, then translate (beam with --attention, --file), eval and report; bad input gives one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-translate-cli-'));
  const out = join(dir, 'run');
  const t = recur('train', 'translate', '--data', TSV, '--attention', 'bahdanau', '--hidden', '24', '--embed', '12', '--batch', '8',
    '--steps', '40', '--eval-every', '20', '--bpe-vocab', '300', '--lr', '0.01', '--out', out);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stderr, /data: \d+ training pairs \(0 left out by --max-len\), \d+ valid, \d+ test/);
  assert.match(t.stderr, /eval @ step 20: valid loss \d+\.\d+ \| perplexity [\d.]+ \| tokens \d+ \| bleu [\d.]+ \| chrf [\d.]+/);
  assert.match(t.stdout, /run saved in .* \(40 steps, best valid loss \d/);
  for (const f of ['best.safetensors', 'last.safetensors', 'metrics.jsonl']) assert.ok(existsSync(join(out, f)), f);

  const b = recur('translate', out, 'two red cats', '--beam', '3', '--attention');
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /attention \(rows: output tokens, columns: "two" " red" " cats"\)/);
  assert.match(b.stdout, /"<eos>" +\d\.\d\d \d\.\d\d \d\.\d\d/);

  const lines = join(dir, 'in.txt');
  writeFileSync(lines, 'one red cats\nfive blue cats\n\nnine white cats\n');
  const f = recur('translate', out, '--file', lines);
  assert.equal(f.status, 0, f.stderr);
  assert.equal(f.stdout.trimEnd().split('\n').length, 3, 'one line per non-empty input line');

  const e = recur('eval', out, '--beam', '2');
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /tiny\.tsv test, beam 2:\nBLEU = \d+\.\d\d [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ \(BP = [\d.]+ ratio = [\d.]+ hyp_len = \d+ ref_len = \d+\) \| chrF2 = \d+\.\d\d \(\d+ sentences\)/);

  const r = recur('report', out);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(r.stdout.trim(), 'utf8');
  assert.match(html, /new Chart\(/);
  assert.match(html, /<h2>Attention \(bahdanau\)<\/h2>/);
  assert.match(html, /<table class="att">/);
  assert.match(html, /<td title="\d\.\d{3}" style="background:rgba\(31,119,180,/);

  for (const [args, msg] of [
    [['train', 'translate', '--data', join(dir, 'missing.tsv'), '--out', join(dir, 'r-missing')], /pairs file not found/],
    [['train', 'translate', '--data', TSV, '--attention', 'sideways', '--out', join(dir, 'r-sideways')], /--attention must be one of bahdanau, luong-dot, luong-general, luong-concat, none/],
    [['translate', out], /give a text to translate, or --file PATH/],
  ] as const) {
    const bad = recur(...args);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, msg);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  }
});
