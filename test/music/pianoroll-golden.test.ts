import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StateDict } from '../../src/nn/module.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { PianoRollModel, type PianoRollModelConfig } from '../../src/tasks/music/model.js';
import { rollNll, type RollBatch } from '../../src/tasks/music/task.js';
import { assertClose } from '../helpers/assert.js';
import { assertGradientsMatch, loadFixture } from '../helpers/fixtures.js';

// Fixtures from scripts/fixtures/gen_music.py: PyTorch 1.13 running the twin in
// scripts/eval/torch_music.py with random weights on three piano-roll chunks of unequal length.
// The loss is F.binary_cross_entropy_with_logits summed over keys and real frames, divided by
// the frame count (NLL per frame in nats); the same weights in recur must give the same logits,
// loss and gradients.
describe('piano-roll NLL equals PyTorch BCEWithLogits summed over keys', () => {
  for (const name of ['bernoulli_gru', 'made_lstm_2layer']) {
    test(name, () => {
      const f = loadFixture(`tasks/music/${name}`);
      const model = new PianoRollModel(f.config.model as PianoRollModelConfig);
      const sd: StateDict = new Map();
      for (const [k, t] of f.tensors) if (k.startsWith('w.')) sd.set(k.slice(2), t);
      model.loadStateDict(sd);
      const prev = f.get('prev'), frames = f.get('frames'), lengths = f.ints('lengths');
      const [T, B] = prev.shape as [number, number];
      const mask = new Float32Array(T * B);
      for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]!; t++) mask[t * B + b] = 1;
      const count = mask.reduce((a, v) => a + v, 0);
      assert.equal(count, f.config.frames);
      const batch: RollBatch = { prev, frames, lengths, mask: new Tensor(mask, [T * B, 1]), count };
      const { logits } = model.forward(prev, frames, null, lengths);
      assertClose(logits, f.get('logits'), { rtol: 1e-5, atol: 1e-5, what: `${name} logits` });
      const loss = rollNll(model, batch).div(count);
      assertClose(loss.item(), f.get('loss').item(), { rtol: 1e-5, what: `${name} NLL per frame` });
      loss.backward();
      assertGradientsMatch(model, f, name);
    });
  }
});
