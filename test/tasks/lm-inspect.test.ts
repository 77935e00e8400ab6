import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { manualSeed } from '../../src/tensor/rng.js';
import { LanguageModel } from '../../src/tasks/lm/model.js';
import { traceLstm } from '../../src/tasks/lm/inspect.js';
import { relError } from '../helpers/rel-error.js';

describe('traceLstm (activation visualiser data)', () => {
  it('steps give the fused forward\'s final h, c and logits; gates are in (0, 1)', () => {
    manualSeed(3);
    const model = new LanguageModel({ vocabSize: 11, embedSize: 6, hiddenSize: 9, numLayers: 2, cell: 'lstm', dropout: 0, tieWeights: false });
    model.eval();
    const ids = Int32Array.from({ length: 17 }, (_, i) => (i * 7 + 3) % 11);
    const tr = traceLstm(model, ids, 5);
    const ref = noGrad(() => model.forward(ids, ids.length, 1, null));
    for (let l = 0; l < 2; l++) {
      assert.ok(relError(tr.h[l]!, ref.state.h.data.subarray(l * 9, (l + 1) * 9)) < 1e-5, `h layer ${l}`);
      assert.ok(relError(tr.c[l]!, ref.state.c!.data.subarray(l * 9, (l + 1) * 9)) < 1e-5, `c layer ${l}`);
      for (const g of [tr.input[l]!, tr.forget[l]!, tr.output[l]!]) assert.ok(g.every((v) => v > 0 && v < 1));
      assert.ok(tr.cells[l]!.every((v) => v > -1 && v < 1));
    }
    // Top-5 after each position = the 5 largest softmax entries of the fused logits.
    const V = 11;
    for (let t = 0; t < ids.length; t++) {
      const row = Array.from(ref.logits.data.subarray(t * V, (t + 1) * V));
      const order = row.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 5).map((e) => e[1]);
      assert.deepEqual(tr.top[t]!.map((e) => e.id), order, `position ${t}`);
      const mx = Math.max(...row), z = row.reduce((a, v) => a + Math.exp(v - mx), 0);
      assert.ok(Math.abs(tr.top[t]![0]!.prob - Math.exp(row[order[0]!]! - mx) / z) < 1e-5);
    }
  });

  it('refuses a GRU model, naming the cell', () => {
    const model = new LanguageModel({ vocabSize: 5, embedSize: 3, hiddenSize: 4, numLayers: 1, cell: 'gru', dropout: 0, tieWeights: false });
    assert.throws(() => traceLstm(model, Int32Array.of(1, 2)), /this model's cell is 'gru'/);
  });
});
