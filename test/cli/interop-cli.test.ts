/** `recur export onnx|torch` and `recur import torch|tfjs` on a trained run, as a user runs them. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { recur } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-interop-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a trained LM run: export onnx runs in ORT, export torch + import torch gives a run generate accepts', async () => {
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, 'a rose is a rose is a rose.\n'.repeat(40));
  const run = join(dir, 'run');
  const t = recur('train', 'lm', '--corpus', corpus, '--hidden', '8', '--embed', '8', '--layers', '1', '--batch', '4', '--bptt', '8', '--steps', '3', '--out', run);
  assert.equal(t.status, 0, t.stderr);

  const onnx = join(dir, 'lm.onnx');
  const e = recur('export', 'onnx', run, '--out', onnx);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /lm model exported to .*lm\.onnx/);
  const s = await ort.InferenceSession.create(readFileSync(onnx));
  assert.deepEqual([...s.inputNames].sort(), ['c0', 'h0', 'ids']);
  assert.deepEqual([...s.outputNames].sort(), ['c', 'h', 'logits']);
  await s.release();

  const torchDir = join(dir, 'torch');
  assert.equal(recur('export', 'torch', run, '--out', torchDir).status, 0);
  assert.ok(['model.py', 'train_ddp.py', 'config.json', 'weights.safetensors'].every((f) => existsSync(join(torchDir, f))));
  const back = join(dir, 'back');
  const i = recur('import', 'torch', torchDir, '--out', back);
  assert.equal(i.status, 0, i.stderr);
  assert.match(i.stdout, /lm run written to/);
  const g1 = recur('generate', run, '--prompt', 'a rose', '--length', '12', '--seed', '3');
  const g2 = recur('generate', back, '--prompt', 'a rose', '--length', '12', '--seed', '3');
  assert.equal(g2.status, 0, g2.stderr);
  assert.equal(g2.stdout, g1.stdout);

  // --with-data: the run's training text (its 90% cut of the corpus) and validation text, for train_ddp.py.
  const withData = join(dir, 'torch-data');
  const d = recur('export', 'torch', run, '--out', withData, '--with-data');
  assert.equal(d.status, 0, d.stderr);
  assert.match(d.stdout, /data\/train\.txt, data\/valid\.txt/);
  assert.doesNotMatch(d.stdout, /--data FILE/);
  const train = readFileSync(join(withData, 'data', 'train.txt'), 'utf8'), valid = readFileSync(join(withData, 'data', 'valid.txt'), 'utf8');
  assert.ok(train.startsWith('a rose is a rose') && valid.length > 0 && train.length + valid.length < readFileSync(corpus, 'utf8').length);

  const again = recur('export', 'onnx', run, '--out', join(dir, 'x.bin'));
  assert.equal(again.status, 1);
  assert.match(again.stderr, /--out must name a \.onnx file/);
  const clash = recur('import', 'torch', torchDir, '--out', run);
  assert.equal(clash.status, 1);
  assert.match(clash.stderr, /is not empty/);
});

test('import tfjs: an unsupported layer fails with one line naming it', () => {
  const json = join(dir, 'model.json');
  writeFileSync(json, JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'Conv2D', config: { name: 'conv' } }] } }, weightsManifest: [] }));
  const r = recur('import', 'tfjs', json, '--out', join(dir, 'k'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^recur: .*layer 0 'conv' \(Conv2D\) is not supported/);
  // A functional graph that merges two layers is not a chain.
  const layer = (name: string, cls: string, inbound: string[]): object => ({ name, class_name: cls, config: { name }, inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0, {}])] : [] });
  const graph = { class_name: 'Model', config: { layers: [layer('in', 'InputLayer', []), layer('a', 'Dense', ['in']), layer('b', 'Dense', ['in']), layer('sum', 'Add', ['a', 'b'])], input_layers: [['in', 0, 0]], output_layers: [['sum', 0, 0]] } };
  writeFileSync(json, JSON.stringify({ modelTopology: graph, weightsManifest: [] }));
  const m = recur('import', 'tfjs', json, '--out', join(dir, 'k2'));
  assert.equal(m.status, 1);
  assert.equal(m.stderr.trim().split('\n').length, 1, m.stderr);
  assert.match(m.stderr, /^recur: .*layer 3 'sum' \(Add\) merges 2 inputs \(a, b\); recur imports a single chain of layers/);
});
