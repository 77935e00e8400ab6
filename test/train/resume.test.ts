import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { trainLm, type LmTrainOptions } from '../../src/tasks/lm/train.js';
import { RecurError } from '../../src/errors.js';
import { train } from '../../src/train/trainer.js';
import type { TrainTask } from '../../src/train/task.js';
import { Linear } from '../../src/nn/index.js';
import { SGD } from '../../src/optim/index.js';
import { mseLoss } from '../../src/functional.js';
import { tensor } from '../../src/tensor/tensor.js';

const text = 'It was the best of times, it was the worst of times, it was the age of wisdom, ' +
  'it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.\n';

function setup(): { dir: string; corpus: string } {
  const dir = mkdtempSync(join(tmpdir(), 'recur-resume-'));
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, text.repeat(12));
  return { dir, corpus };
}

const base = (corpus: string, out: string): LmTrainOptions => ({
  corpus, level: 'char', cell: 'lstm', layers: 2, hidden: 16, embed: 8, dropout: 0.2, tie: false,
  batch: 4, bptt: 8, lr: 0.01, optimizer: 'adam', clip: 1, evalEvery: 7, seed: 3, out, resume: false,
});

test('10 steps + resume + 10 steps gives bit-identical weights to 20 straight steps', async () => {
  const { dir, corpus } = setup();
  const straight = join(dir, 'straight'), split = join(dir, 'split');
  await trainLm({ ...base(corpus, straight), steps: 20 });
  await trainLm({ ...base(corpus, split), steps: 10 });
  // A different seed on resume must not matter: the RNG state comes from the checkpoint.
  await trainLm({ ...base(corpus, split), steps: 20, resume: true, seed: 99 });
  const a = loadCheckpoint(straight, 'last'), b = loadCheckpoint(split, 'last');
  assert.equal(a.weights.size, b.weights.size);
  for (const [name, t] of a.weights) {
    const u = b.weights.get(name)!;
    assert.ok(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)
      .equals(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength)), `${name} differs after resume`);
  }
  const steps = (p: string): number[] => readFileSync(join(p, 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l) as { type: string; step: number; loss?: number }).filter((r) => r.type === 'train').map((r) => r.loss!);
  assert.deepEqual(steps(split), steps(straight));
});

test('a non-finite loss stops with the step number and keeps the last good checkpoint', async () => {
  const { dir } = setup();
  const model = new Linear(3, 1);
  const x = tensor([[1, 2, 3], [0, 1, 0]]), y = tensor([[1], [2]]);
  let steps = 0;
  const task: TrainTask = {
    model,
    batchesPerEpoch: () => 100,
    startEpoch: () => {},
    trainBatch: () => {
      steps++;
      const loss = mseLoss(model.forward(x), y);
      return { loss: steps >= 9 ? loss.mul(NaN) : loss, count: 2 };
    },
    evaluate: async () => ({ loss: 1 / steps, metrics: {} }),
    getState: () => null,
    setState: () => {},
  };
  const opt = new SGD(model.parameters(), { lr: 0.01 });
  const weightsAt5 = () => Array.from(model.weight.data);
  let saved: number[] = [];
  await assert.rejects(() => train(task, { optimizer: opt, maxSteps: 20, evalEvery: 5, outDir: dir, onEvent: (e) => {
    if (e.type === 'checkpoint' && e.step === 5) saved = weightsAt5();
  } }), (e: unknown) => e instanceof RecurError && /loss is NaN at step 9 \(epoch 1, batch 9\)/.test(e.message));
  const last = loadCheckpoint(dir, 'last');
  assert.equal((last.state as { step: number }).step, 5);
  assert.deepEqual(Array.from(last.weights.get('weight')!.data), saved);
  assert.match(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), /"type":"error","step":9/);
});
