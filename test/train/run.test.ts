import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecurError } from '../../src/errors.js';
import { mseLoss } from '../../src/functional.js';
import { Linear } from '../../src/nn/index.js';
import { tensor } from '../../src/tensor/tensor.js';
import { runTraining, type RunOptions } from '../../src/train/run.js';
import type { TrainTask } from '../../src/train/task.js';

/** A linear regression whose validation loss never improves after the first evaluation, so a plateau schedule keeps halving. */
function flatTask(): TrainTask {
  const model = new Linear(3, 1);
  const x = tensor([[1, 2, 3], [0, 1, 0]]), y = tensor([[1], [2]]);
  return {
    model,
    batchesPerEpoch: () => 10,
    startEpoch: () => {},
    trainBatch: () => ({ loss: mseLoss(model.forward(x), y), count: 2 }),
    evaluate: async () => ({ loss: 1, metrics: {} }),
    getState: () => null,
    setState: () => {},
  };
}

const base = (out: string): RunOptions => ({ optimizer: 'sgd', lr: 0.1, clip: 0, seed: 0, out, resume: false, steps: 40, evalEvery: 2 });

type Row = { type: string; step: number; lr?: number; previous?: number; message?: string };
const rows = (dir: string): Row[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);

test('plateau schedule: halves after each evaluation without progress, stops at --min-lr, logs every change', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'recur-run-')), 'run');
  const seen: Array<{ step: number; lr: number }> = [];
  await runTraining(flatTask(), { ...base(dir), minLr: 0.01 }, { task: 'test', model: null, train: {} }, {
    onEvent: (e) => { if (e.type === 'lr') seen.push({ step: e.step, lr: e.lr }); },
  });
  // Evaluations at 2, 4, 6, ...: the first sets the best; with patience 1 the second bad one
  // halves the rate, and the count starts again after each reduction (as PyTorch).
  const expected = [{ step: 6, lr: 0.05 }, { step: 10, lr: 0.025 }, { step: 14, lr: 0.0125 }, { step: 18, lr: 0.01 }];
  assert.deepEqual(seen.map((e) => ({ step: e.step, lr: Number(e.lr.toPrecision(6)) })), expected);
  const logged = rows(dir).filter((r) => r.type === 'lr');
  assert.deepEqual(logged.map((r) => ({ step: r.step, lr: Number(r.lr!.toPrecision(6)) })), expected);
  assert.equal(Number(rows(dir).filter((r) => r.type === 'train').at(-1)!.lr!.toPrecision(6)), 0.01, 'the floor holds to the end');
  assert.match(String(rows(dir).find((r) => r.type === 'note')?.message),
    /^learning rate 0\.1, halved after 2 evaluations in a row without a better validation loss, down to 0\.01/);
});

test('cosine schedule: anneals from --lr to --min-lr over the step budget; none keeps the rate', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'recur-run-')), 'run');
  const cosine: RunOptions = { ...base(dir), lrSchedule: 'cosine', minLr: 0.001 };
  await runTraining(flatTask(), cosine, { task: 'test', model: null, train: { ...cosine } });
  // The rate logged after step t is the one for step t + 1: min + (lr - min)(1 + cos(pi t / T)) / 2.
  for (const r of rows(dir).filter((x) => x.type === 'train')) {
    const want = 0.001 + (0.1 - 0.001) * (1 + Math.cos((Math.PI * r.step) / 40)) / 2;
    assert.ok(Math.abs(r.lr! - want) < 1e-9, `step ${r.step}: lr ${r.lr}, expected ${want}`);
  }
  const flat = join(mkdtempSync(join(tmpdir(), 'recur-run-')), 'run');
  await runTraining(flatTask(), { ...base(flat), lrSchedule: 'none' }, { task: 'test', model: null, train: {} });
  assert.deepEqual([...new Set(rows(flat).filter((x) => x.type === 'train').map((x) => x.lr))], [0.1]);
  await assert.rejects(runTraining(flatTask(), { ...base(flat), steps: undefined, minutes: 1, lrSchedule: 'cosine', overwrite: true }, { task: 'test', model: null, train: {} }),
    /--lr-schedule cosine anneals over the step budget: give --steps or --epochs/);
  // Resumed, the curve keeps its length and floor: a longer budget would make it rise again.
  await assert.rejects(runTraining(flatTask(), { ...cosine, steps: 80, resume: true }, { task: 'test', model: null, train: {} }),
    /--lr-schedule cosine fixes its curve when the run starts, so a resumed run keeps --lr, --min-lr, --steps and --epochs \(got --steps 40 -> 80\)/);
});

test('parameters that become non-finite are named with their step, never saved, and a new run folder is removed', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'recur-run-')), 'run');
  const task = flatTask();
  const model = task.model as Linear;
  let steps = 0;
  task.trainBatch = () => {
    if (++steps === 3) model.weight.data[1] = Infinity;
    // A layer that checks its input refuses to run on what the broken weights produce.
    if (!Number.isFinite(model.weight.data[1]!)) throw new RecurError('Linear: input contains a non-finite value');
    return { loss: mseLoss(model.forward(tensor([[1, 2, 3]])), tensor([[1]])), count: 1 };
  };
  await assert.rejects(runTraining(task, { ...base(dir), evalEvery: 10 }, { task: 'test', model: null, train: {} }),
    (e: unknown) => e instanceof RecurError && /parameter 'weight' is not finite after the update of step 2, so the forward pass of step 3 failed; training stopped, nothing was saved/.test(e.message));
  assert.ok(!existsSync(dir), 'the run folder it created is gone');
});

test('a stop requested by a timer during training is seen at the next step, on every backend', async () => {
  // The loop must give the event loop a turn between steps: that is how Ctrl-C and SIGTERM
  // (src/cli/signals.ts) reach it. The js backend once gave none, so signals waited for the end.
  const dir = join(mkdtempSync(join(tmpdir(), 'recur-run-')), 'run');
  const stop = new AbortController();
  let steps = 0;
  setTimeout(() => stop.abort(), 0);
  await runTraining(flatTask(), { ...base(dir), steps: 100000, evalEvery: 100000 }, { task: 'test', model: null, train: {} }, {
    signal: stop.signal,
    onEvent: (e) => { if (e.type === 'step') steps = e.step; },
  });
  assert.ok(stop.signal.aborted);
  assert.ok(steps < 1000, `stopped after ${steps} steps, expected within a few steps of the timer`);
});
