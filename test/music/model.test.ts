import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { KEYS, type PianoRoll } from '../../src/music/pianoroll.js';
import { binaryCrossEntropyWithLogits } from '../../src/nn/losses/bce.js';
import { Adam } from '../../src/optim/index.js';
import { manualSeed, Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { PianoRollModel, type RollOutput } from '../../src/tasks/music/model.js';
import { evaluateRolls, PianoRollTask } from '../../src/tasks/music/task.js';

const config = (output: RollOutput) => ({ hiddenSize: 16, numLayers: 1, cell: 'gru' as const, dropout: 0, output, madeHidden: 24 });

function randomFrames(rng: Rng, n: number, p = 0.1): Tensor {
  return new Tensor(Float32Array.from({ length: n * KEYS }, () => (rng.random() < p ? 1 : 0)), [n, KEYS]);
}

describe('MADE output: autoregressive over the keys of a frame', () => {
  test('key k\'s logit depends on keys below k only', () => {
    manualSeed(1);
    const model = new PianoRollModel(config('made'));
    const rng = new Rng(2);
    const h = new Tensor(Float32Array.from({ length: 16 }, () => rng.normal()), [1, 16]);
    const v = randomFrames(rng, 1, 0.3);
    const base = noGrad(() => model.logits(h, v)).data;
    for (const j of [0, 1, 40, 86, 87]) {
      const w = new Tensor(Float32Array.from(v.data), [1, KEYS]);
      w.data[j] = 1 - w.data[j]!;
      const changed = noGrad(() => model.logits(h, w)).data;
      for (let k = 0; k <= j; k++) assert.equal(changed[k], base[k], `flipping key ${j} changed key ${k}`);
      if (j < KEYS - 1) assert.ok(changed.slice(j + 1).some((x, i) => x !== base[j + 1 + i]), `flipping key ${j} changed no higher key`);
    }
  });

  for (const output of ['bernoulli', 'made'] as const) {
    test(`${output}: the key-by-key sampler draws with the probabilities of the parallel forward`, () => {
      manualSeed(3);
      const model = new PianoRollModel(config(output));
      const sampler = model.frameSampler();
      const rng = new Rng(4);
      for (let i = 0; i < 5; i++) {
        const h = new Tensor(Float32Array.from({ length: 16 }, () => rng.normal()), [1, 16]);
        const cond = noGrad(() => model.conditioning(h));
        const { frame, logProb } = sampler.sample(cond.bias, cond.hidden, 1, () => rng.random());
        const v = new Tensor(Float32Array.from(frame), [1, KEYS]);
        const nll = noGrad(() => binaryCrossEntropyWithLogits(model.logits(h, v), v, { reduction: 'sum' })).item();
        assert.ok(Math.abs(nll + logProb) < 1e-3 * Math.max(1, nll), `sampler log p ${logProb}, forward NLL ${nll}`);
      }
    });
  }

  test('on chords the MADE output beats independent keys by far (the chord is modelled jointly)', async () => {
    // Each frame is one of two triads at random, independent of the past: the best independent
    // model has p = 0.5 on 6 keys (6 ln 2 = 4.16 nats/frame); a joint model needs ln 2 = 0.69.
    const rng = new Rng(5);
    const chords = [[60, 64, 67], [62, 65, 69]];
    const piece = (n: number): PianoRoll => {
      const data = new Uint8Array(n * KEYS);
      for (let f = 0; f < n; f++) for (const p of chords[rng.int(2)]!) data[f * KEYS + p - 21] = 1;
      return { frames: n, data };
    };
    const train = Array.from({ length: 8 }, () => piece(32)), valid = [piece(64), piece(64)];
    const nll: Record<string, number> = {};
    for (const output of ['bernoulli', 'made'] as const) {
      manualSeed(6);
      const model = new PianoRollModel(config(output));
      const task = new PianoRollTask(model, { train, valid, test: valid }, { batchSize: 4, bptt: 16, augment: false, seed: 0 });
      const opt = new Adam(model.parameters(), { lr: 0.05 });
      for (let epoch = 0; epoch < 12; epoch++) {
        task.startEpoch(epoch);
        for (let b = 0; b < task.batchesPerEpoch(); b++) {
          const { loss } = task.trainBatch(b);
          opt.zeroGrad();
          loss.backward();
          opt.step();
        }
      }
      model.eval();
      const r = await evaluateRolls(model, valid);
      nll[output] = r.loss;
      assert.ok(r.metrics.frame_accuracy! >= 0 && r.metrics.frame_accuracy! <= 1);
    }
    assert.ok(nll.bernoulli! > 3.9, `bernoulli ${nll.bernoulli} nats/frame (bound 4.16)`);
    assert.ok(nll.made! < 2, `made ${nll.made} nats/frame (bound 0.69)`);
  });
});
