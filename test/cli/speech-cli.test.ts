import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { recur } from './run-cli.js';

const TINY = 'fixtures/speech-tiny';
const DIGITS = new Set(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);

test('CLI: train speech on the tiny set until it fits it, then transcribe (greedy, beam, --vocab, --lm), eval and report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-speech-cli-'));
  const out = join(dir, 'run');
  // Validation on the training utterances: the best checkpoint is the one that fits them best.
  const t = recur('train', 'speech', '--data', `${TINY}/train.tsv`, '--valid', `${TINY}/train.tsv`, '--test', `${TINY}/test.tsv`,
    '--steps', '300', '--eval-every', '50', '--hidden', '48', '--layers', '1', '--no-conv', '--batch', '6', '--lr', '0.01',
    '--no-spec-augment', '--out', out);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /train\.tsv: 6 utterances, 4\.7 s of audio/);
  assert.match(t.stdout, /test: WER \d+\.\d\d% \| CER \d+\.\d\d% \| utterance accuracy \d+\.\d\d% \(2 utterances, greedy, best checkpoint\)/);
  const evals = [...t.stderr.matchAll(/eval @ step (\d+): valid loss (\d+\.\d+) \| wer [\d.]+ \| cer ([\d.]+)/g)].map((m) => ({ loss: Number(m[2]), cer: Number(m[3]) }));
  assert.equal(evals.length, 6, t.stderr);
  assert.ok(evals[0]!.loss > 1, `first valid loss ${evals[0]!.loss}`);
  const best = Math.min(...evals.map((e) => e.loss)), bestCer = Math.min(...evals.map((e) => e.cer));
  assert.ok(best < 0.5, `the model fits its 6 utterances: best loss ${best}`);
  assert.ok(bestCer < 0.2, `character error rate on the training utterances ${bestCer}`);

  // Greedy and beam transcripts of the training files agree with the references where the model is sure.
  const e = recur('eval', out, '--data', `${TINY}/train.tsv`);
  assert.equal(e.status, 0, e.stderr);
  const m = /6 utterances: loss (\d+\.\d+) \| WER [\d.]+% \| CER ([\d.]+)% \| utterance accuracy ([\d.]+)%/.exec(e.stdout);
  assert.ok(m, e.stdout);
  assert.ok(Number(m[2]) < 20, `train CER ${m[2]}%`);
  const eb = recur('eval', out, '--data', `${TINY}/train.tsv`, '--beam', '8');
  assert.equal(eb.status, 0, eb.stderr);
  const mb = /CER ([\d.]+)%/.exec(eb.stdout)!;
  assert.ok(Number(mb[1]) <= Number(m[2]) + 5, `beam 8 CER ${mb[1]}% vs greedy ${m[2]}%`);

  // --vocab digits: every output is digit words.
  const files = ['train-0.wav', 'train-1.wav', 'train-2.wav', 'test-0.wav'].map((f) => join(TINY, f));
  const v = recur('transcribe', out, ...files, '--vocab', 'digits');
  assert.equal(v.status, 0, v.stderr);
  const lines = v.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4);
  for (const line of lines) {
    const [path, text] = line.split('\t');
    assert.ok(files.includes(path!), line);
    assert.ok(text!.split(' ').every((w) => DIGITS.has(w)), `"${text}" is digit words`);
  }
  // A one-file list with --file; a character trigram from a text file as the LM.
  const list = join(dir, 'list.txt'), text = join(dir, 'lm.txt');
  writeFileSync(list, `${join(process.cwd(), TINY, 'train-2.wav')}\n`);
  writeFileSync(text, 'three four\nsix two\nfour\nzero three\nnine three\nzero\n'.repeat(20));
  const l = recur('transcribe', out, '--file', list, '--lm', text, '--lm-weight', '0.3');
  assert.equal(l.status, 0, l.stderr);
  assert.equal(l.stdout.trim().split('\n').length, 1);

  // A broken file in a manifest is skipped with a warning and counted.
  const b = recur('eval', out, '--data', `${TINY}/with-broken.tsv`);
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stderr, /warning: .*broken\.wav: not a WAV file/);
  assert.match(b.stdout, /1 file skipped/);

  const r = recur('report', out);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(r.stdout.trim(), 'utf8');
  assert.match(html, /<h2>CTC alignment<\/h2>/);
  assert.match(html, /reference: <b>three four<\/b>/);
  assert.match(html, /"marks":\[\{"frame":\d+,"unit":"[a-z ]"\}/);
});

test('CLI: train speech --head classify prints accuracy, and eval a confusion matrix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-speech-cls-'));
  const out = join(dir, 'run');
  const t = recur('train', 'speech', '--data', `${TINY}/train.tsv`, '--valid', `${TINY}/train.tsv`, '--head', 'classify',
    '--steps', '4', '--hidden', '8', '--layers', '1', '--conv-channels', '8', '--batch', '3', '--out', out);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /test: accuracy \d+\.\d\d% \(6 utterances, best checkpoint\)/);
  const e = recur('eval', out);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /confusion matrix \(rows: gold, columns: predicted\)\n +four +nine three +six two/);
  const bad = recur('transcribe', out, join(TINY, 'train-0.wav'), '--vocab', 'digits');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--beam, --lm and --vocab are for CTC models/);
});

test('CLI: bad speech input gives one line; without espeak-ng the apt-get line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-speech-bad-'));
  const noEspeak = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', 'speech', '--data', 'espeak-digits', '--steps', '1', '--out', join(dir, 'e')],
    { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
  assert.equal(noEspeak.status, 1);
  assert.match(noEspeak.stderr, /apt-get install espeak-ng/);
  assert.equal(noEspeak.stderr.trim().split('\n').length, 1, noEspeak.stderr);
  const none = recur('transcribe', join(dir, 'nothing'), 'a.wav');
  assert.equal(none.status, 1);
  assert.equal(none.stderr.trim().split('\n').length, 1, none.stderr);
});
