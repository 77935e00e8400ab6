/**
 * Step-by-step parity of recur's LM training with PyTorch: PyTorch writes its initial weights,
 * recur loads them, both train the same N steps on the same ids, and the training losses are
 * compared step by step. Dropout defaults to 0 so both runs are deterministic; any systematic
 * gap then comes from a difference in the computation, not from chance.
 * Usage: npx tsx scripts/eval/lm-parity.ts [--steps N (300)] [--dropout P (0)] [--layers L (2)] [--hidden H (256)]
 */
import './errors.js'; // first: a RecurError prints one line
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendName } from '../../src/kernels/index.js';
import { loadSafetensorsFile } from '../../src/io/node.js';
import { optimizerByName } from '../../src/optim/by-name.js';
import { LanguageModel, type LanguageModelConfig } from '../../src/tasks/lm/model.js';
import { prepareLmData } from '../../src/tasks/lm/data.js';
import { LmTask } from '../../src/tasks/lm/task.js';
import { manualSeed } from '../../src/tensor/rng.js';
import { train } from '../../src/train/trainer.js';
import { PYTHON, torchEnv } from '../torch-env.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const steps = arg('steps', 300), dropout = arg('dropout', 0);
const batch = 32, bptt = 64, lr = 0.003, clip = 5;
const dir = mkdtempSync(join(tmpdir(), 'recur-parity-'));

const { tokenizer, splits } = prepareLmData({ corpus: 'moby-dick' }, { level: 'char' });
for (const s of ['train', 'valid'] as const) {
  const a = splits[s];
  writeFileSync(join(dir, `${s}.i32`), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}
const model: LanguageModelConfig = {
  vocabSize: tokenizer.vocabSize, embedSize: 64, hiddenSize: arg('hidden', 256), numLayers: arg('layers', 2),
  cell: 'lstm', dropout, tieWeights: false,
};
const init = join(dir, 'init.safetensors');
writeFileSync(join(dir, 'config.json'), JSON.stringify({ model, lr, batch, bptt, clip, minutes: 0, steps, seed: 0, threads: 1, init_out: init }));
console.log(`PyTorch: ${steps} steps, 2x${model.hiddenSize} LSTM, dropout ${dropout}`);
const p = spawnSync(PYTHON, ['scripts/eval/torch_lm.py', join(dir, 'config.json'), dir], { encoding: 'utf8', env: torchEnv(1) }); // one thread: speed does not matter here, and two spin badly on a busy machine
if (p.status !== 0) throw new Error(`PyTorch run failed:\n${p.stderr.slice(-2000)}`);
const torch = JSON.parse(p.stdout.trim().split('\n').pop()!) as { losses: number[]; valid_loss: number };

console.log(`recur (${backendName()}): the same ${steps} steps from PyTorch's initial weights`);
manualSeed(0);
const lm = new LanguageModel(model);
lm.loadStateDict(loadSafetensorsFile(init));
const optimizer = optimizerByName('adam', lm.parameters(), lr);
const task = new LmTask(lm, splits, { batchSize: batch, bptt });
const losses: number[] = [];
await train(task, {
  optimizer, clipNorm: clip, maxSteps: steps, evalEvery: 0,
  onEvent: (e) => { if (e.type === 'step') losses.push(e.loss); },
});
lm.eval();
const recurValid = (await task.evaluate('valid')).loss;

const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
console.log('step   recur     torch     diff');
for (let i = 0; i < steps; i++) {
  if (i < 5 || (i + 1) % Math.max(1, Math.floor(steps / 20)) === 0) {
    console.log(`${String(i + 1).padStart(4)}  ${losses[i]!.toFixed(5)}  ${torch.losses[i]!.toFixed(5)}  ${(losses[i]! - torch.losses[i]!).toFixed(5)}`);
  }
}
const tail = Math.max(1, Math.floor(steps / 10));
console.log(`mean of the last ${tail} steps: recur ${mean(losses.slice(-tail)).toFixed(4)}, torch ${mean(torch.losses.slice(-tail)).toFixed(4)}`);
console.log(`validation after ${steps} steps: recur ${recurValid.toFixed(4)}, torch ${torch.valid_loss.toFixed(4)}`);
