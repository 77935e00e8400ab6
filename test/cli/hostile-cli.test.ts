/**
 * One CLI check per finding of the hostile-input review (issue 16): crafted or edited
 * checkpoints, oversized options and misleading messages. Each gives exit code 1 and one line
 * naming the problem, or the corrected output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors, saveSafetensors } from '../../src/io/safetensors.js';
import { generateIds } from '../../src/tasks/lm/generate.js';
import { loadLmRun } from '../../src/tasks/lm/run.js';
import { trainLm } from '../../src/tasks/lm/train.js';
import { tokenizerFromJSON } from '../../src/text/from-json.js';
import { lmRun, tempDir, tinyLmOptions, translateRun } from '../helpers/runs.js';
import { recur } from './run-cli.js';
import { backendIndependent } from '../helpers/backend-independent.js';

type Edit = (c: { metadata: Record<string, string>; config: Record<string, unknown>; state: Record<string, unknown> | null; tensors: Map<string, unknown> }) => void;

/** A copy of run `dir` whose checkpoints were edited (config/state JSON, tensors). */
function edited(dir: string, edit: Edit): string {
  const copy = join(tempDir(), 'run');
  cpSync(dir, copy, { recursive: true });
  for (const name of ['best', 'last']) {
    const file = join(copy, `${name}.safetensors`);
    const { tensors, metadata } = parseSafetensors(readFileSync(file));
    const c = { metadata, config: JSON.parse(metadata.config!) as Record<string, unknown>, state: JSON.parse(metadata.state!) as Record<string, unknown> | null, tensors };
    edit(c as Parameters<Edit>[0]);
    metadata.config = JSON.stringify(c.config);
    metadata.state = JSON.stringify(c.state);
    writeFileSync(file, saveSafetensors(tensors, metadata));
  }
  return copy;
}

function fails(args: string[], message: RegExp, not?: RegExp): void {
  const r = recur(...args);
  assert.equal(r.status, 1, `${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, message, args.join(' '));
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  if (not) assert.doesNotMatch(r.stderr, not);
}

// These checks run before any kernel does (validation, option parsing): once per test command.
const once = backendIndependent;

const RESUME = ['--level', 'char', '--cell', 'lstm', '--layers', '1', '--hidden', '6', '--embed', '4', '--dropout', '0', '--batch', '2',
  '--bptt', '4', '--lr', '0.01', '--clip', '1', '--seed', '1', '--steps', '6', '--resume'];

test('CLI: edited checkpoints give one-line errors naming the field (eval, generate, train --resume)', once, async () => {
  const { dir, corpus } = await lmRun();
  const model = (c: Parameters<Edit>[0]): Record<string, unknown> => c.config.model as Record<string, unknown>;
  fails(['eval', edited(dir, (c) => (model(c).hiddenSize = 1e9))], /config\.model\.hiddenSize must be a whole number in \[1, 65536\], got 1000000000/, /RangeError/);
  fails(['eval', edited(dir, (c) => (model(c).vocabSize = 1e9))], /config\.model\.vocabSize must be a whole number in \[1, 16777216\]/);
  fails(['eval', edited(dir, (c) => (model(c).numLayers = 1e6))], /config\.model\.numLayers must be a whole number in \[1, 64\]/);
  fails(['eval', edited(dir, (c) => (model(c).numLayers = 40))], /config describes a model of at least [\d,]+ parameters but the checkpoint holds [\d,]+/);
  fails(['eval', edited(dir, (c) => delete c.config.train)], /config\.train must be a JSON object, got nothing \(missing\)/, /TypeError/);
  fails(['eval', edited(dir, (c) => (c.config.task = 'tag'))], /config\.model\.tags must be an array/, /TypeError/);
  fails(['generate', edited(dir, (c) => {
    const w = c.tensors.get('model.encoder.weight') as { data: Float32Array };
    w.data[3] = NaN;
  })], /weight tensor 'encoder\.weight' holds a non-finite value \(NaN at flat index 3\)/);

  const resume = (run: string): string[] => ['train', 'lm', '--corpus', corpus, '--out', run, ...RESUME];
  fails(resume(edited(dir, (c) => (c.state!.step = 'abc'))), /state\.step must be a whole number in \[0, \d+\], got "abc"/);
  fails(resume(edited(dir, (c) => (c.state!.rng = null))), /state\.rng must be a JSON object, got null/);
  fails(resume(edited(dir, (c) => (c.state = null))), /state must be a JSON object, got null/);
  fails(resume(edited(dir, (c) => c.tensors.delete('state.task.h'))), /state refers to tensor "state\.task\.h" \(\$tensor\), which is not in the file/);
  fails(resume(edited(dir, (c) => (((c.state!.task as Record<string, unknown>).h as Record<string, unknown>).$tensor = 'state.task.c.x'))), /refers to tensor "state\.task\.c\.x"/);

  const broken = join(tempDir(), 'run');
  cpSync(dir, broken, { recursive: true });
  for (const name of ['best', 'last']) {
    const file = join(broken, `${name}.safetensors`);
    const bytes = readFileSync(file);
    bytes[9] = 0x7b; // '{"' becomes '{{': the header JSON no longer parses
    writeFileSync(file, bytes);
  }
  fails(['eval', broken], /best\.safetensors: header is not valid JSON/, /does not say which task/);
});

test('CLI: --hidden 1e9 is refused with a message, not a RangeError', once, () => {
  const dir = tempDir();
  const corpus = join(dir, 'c.txt');
  writeFileSync(corpus, 'a rose is a rose. '.repeat(30));
  fails(['train', 'lm', '--corpus', corpus, '--hidden', '1e9', '--steps', '1', '--out', join(dir, 'run')], /hiddenSize must be a whole number in \[1, 65536\], got 1000000000/, /RangeError/);
});

test('CLI: generate never prints <unk>, <eos> or <pad>', once, async () => {
  const root = tempDir();
  const corpus = join(root, 'c.txt');
  writeFileSync(corpus, 'the cat sat on the mat .\nthe dog sat on the log .\na bird flew .\n'.repeat(8));
  const out = join(root, 'run');
  await trainLm({ ...tinyLmOptions(corpus, out), level: 'word', minFreq: 9, steps: 2 });
  const args = { prompt: 'the', length: 200, temperature: 3, seed: 2 };
  const { model, config } = loadLmRun(out);
  const tok = tokenizerFromJSON(config.tokenizer);
  const ids: number[] = [];
  for await (const id of generateIds(model, tok, args)) ids.push(id);
  assert.ok(ids.includes(tok.unkId!) && ids.includes(tok.eosId!), 'the sample has <unk> and <eos>, so the test can fail');
  const g = recur('generate', out, '--prompt', 'the', '--length', '200', '--temperature', '3', '--seed', '2');
  assert.equal(g.status, 0, g.stderr);
  assert.doesNotMatch(g.stdout, /<unk>|<eos>|<pad>|<bos>/);
  assert.ok(g.stdout.split('\n').length > 2, '<eos> became line breaks');
});

test('CLI: option checks and messages say what is wrong', once, () => {
  const dir = tempDir();
  fails(['translate', translateRun(), ''], /the text to translate is empty/);
  fails(['generate', dir, '--top-p', '0'], /--top-p must be a number in \(0, 1\], got '0'/);
  const csv = join(dir, 'reviews.csv');
  writeFileSync(csv, 'text,label\n' + 'good film,pos\nbad film,neg\n'.repeat(20));
  fails(['train', 'classify', '--data', csv, '--valid', '0', '--out', join(dir, 'c1')], /--valid must be a number in \(0, 0\.9\], got '0'/);
  fails(['train', 'classify', '--data', csv, '--label-column', 'nope', '--out', join(dir, 'c2')],
    /reviews\.csv:1: no column named 'nope' in the header \(columns: text, label\)/, /no header row/);
  const data = 'fixtures/tasks/ner-tiny.conll';
  const t = recur('train', 'tag', '--data', data, '--valid-data', data, '--test-data', data, '--char', 'none', '--word-embed', '4', '--hidden', '4',
    '--batch', '1', '--steps', '1', '--out', join(dir, 'tag'));
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /\(last checkpoint\)/, 'no evaluation ran, so there is no best checkpoint');
});
