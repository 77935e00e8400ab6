import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { saveSafetensors } from '../../src/io/safetensors.js';
import { manualSeed } from '../../src/tensor/rng.js';
import { prepareTranslateData } from '../../src/tasks/translate/data.js';
import { Seq2Seq } from '../../src/tasks/translate/model.js';
import { loadTranslateRun } from '../../src/tasks/translate/run.js';
import { trainTranslate, translateModelConfig, type TranslateTrainOptions } from '../../src/tasks/translate/train.js';

const TSV = 'fixtures/tasks/translate/tiny.tsv';

// The translation race (scripts/eval/translate.ts) starts recur from the twin's initial weights.
test('trainTranslate: initWeights is where training starts; a file for another model is refused by name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-translate-init-'));
  const o: TranslateTrainOptions = {
    data: TSV, reverse: false, attention: 'luong-general', cell: 'gru', layers: 1, hidden: 16, embed: 8, bidirectional: true,
    inputFeeding: true, teacherForcing: 1, dropout: 0, bridge: 'dense', bpeVocab: 200, maxLen: 64, batch: 8, evalDecode: 0,
    optimizer: 'adam', lr: 1e-9, clip: 5, steps: 1, seed: 0, out: join(dir, 'run'), resume: false,
  };
  const data = prepareTranslateData(TSV, false, o);
  manualSeed(123);
  const init = new Seq2Seq(translateModelConfig(o, data)).stateDict();
  const initFile = join(dir, 'init.safetensors');
  writeFileSync(initFile, saveSafetensors(init));

  await trainTranslate({ ...o, initWeights: initFile });
  const started = loadTranslateRun(o.out, 'last').model.stateDict();
  await trainTranslate({ ...o, out: join(dir, 'own') });
  const own = loadTranslateRun(join(dir, 'own'), 'last').model.stateDict();
  let far = 0;
  for (const [name, t] of init) {
    const a = started.get(name)!.data, b = own.get(name)!.data;
    t.data.forEach((v, i) => assert.ok(Math.abs(a[i]! - v) < 1e-6, `${name}[${i}]: ${a[i]} after one step of lr 1e-9 from ${v}`));
    far = Math.max(far, ...Array.from(t.data, (v, i) => Math.abs(b[i]! - v)));
  }
  assert.ok(far > 1e-2, `without initWeights training starts elsewhere (max difference ${far})`);

  const other = new Seq2Seq(translateModelConfig({ ...o, hidden: 12 }, data)).stateDict();
  writeFileSync(initFile, saveSafetensors(other));
  await assert.rejects(trainTranslate({ ...o, out: join(dir, 'bad'), initWeights: initFile }), /loadStateDict \(Seq2Seq\): .*encoder/);
});
