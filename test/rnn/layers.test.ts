import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GRU, LSTM, RNN } from '../../src/nn/rnn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/assert.js';

test('parameter names and order are PyTorch _flat_weights (bidirectional, projected LSTM)', () => {
  const m = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, projSize: 2 });
  const expected: Array<[string, number[]]> = [];
  for (let l = 0; l < 2; l++) for (const sfx of ['', '_reverse']) {
    const s = `_l${l}${sfx}`;
    expected.push([`weight_ih${s}`, [16, l === 0 ? 3 : 4]], [`weight_hh${s}`, [16, 2]], [`bias_ih${s}`, [16]], [`bias_hh${s}`, [16]], [`weight_hr${s}`, [2, 4]]);
  }
  assert.deepEqual([...m.stateDict()].map(([k, t]) => [k, [...t.shape]]), expected);
  assert.deepEqual([...new GRU({ inputSize: 3, hiddenSize: 4, bias: false }).stateDict().keys()], ['weight_ih_l0', 'weight_hh_l0']);
});

test('lengths in any batch order: each row equals running that sequence alone', () => {
  const rng = new Rng(1);
  const m = new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true }, rng);
  const x = randn([3, 6, 3], { rng });
  const lengths = [2, 6, 4];
  const { output, h } = m.forward(x, { lengths });
  for (let b = 0; b < 3; b++) {
    const L = lengths[b]!;
    const xb = randn([1, L, 3]);
    xb.data.set(x.data.subarray(b * 18, b * 18 + L * 3));
    const alone = m.forward(xb);
    assertClose(output.data.subarray(b * 48, b * 48 + L * 8), alone.output.data, { what: `output row ${b}` });
    assert.ok(output.data.subarray(b * 48 + L * 8, (b + 1) * 48).every((v) => v === 0), 'zero past the length');
    for (let k = 0; k < 4; k++) assertClose(h.data.subarray((k * 3 + b) * 4, (k * 3 + b + 1) * 4), alone.h.data.subarray(k * 4, k * 4 + 4), { what: `h row ${k},${b}` });
  }
});

test('dropout acts between layers in training only', () => {
  const rng = new Rng(2);
  const x = randn([5, 2, 3], { rng });
  const m = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.5 }, rng);
  const evalOut = m.eval().forward(x).output;
  const trainOut = m.train().forward(x).output;
  assert.ok(trainOut.data.some((v, i) => Math.abs(v - evalOut.data[i]!) > 1e-6), 'training output differs');
  assertClose(m.eval().forward(x).output, evalOut, { what: 'eval is deterministic' });
  const one = new RNN({ inputSize: 3, hiddenSize: 4, dropout: 0.5 }, rng);
  assertClose(one.train().forward(x).output, one.eval().forward(x).output, { what: 'no dropout after the last layer' });
});

test('LSTM c0 / h0 feed the right layer-direction rows', () => {
  const rng = new Rng(3);
  const m = new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true }, rng);
  const x = randn([1, 1, 2], { rng });
  const h0 = randn([4, 1, 3], { rng }), c0 = randn([4, 1, 3], { rng });
  const { c } = m.forward(x, { h0, c0 });
  // One step: c = f ⊙ c0 + i ⊙ g, so changing c0 row k changes c row k only.
  const c0b = c0.clone();
  c0b.data[3 * 3] += 1;
  const c2 = m.forward(x, { h0, c0: c0b }).c;
  const changed = (t: Tensor, u: Tensor, k: number): boolean => t.data.subarray(k * 3, k * 3 + 3).some((v, i) => v !== u.data[k * 3 + i]);
  assert.deepEqual([0, 1, 2, 3].map((k) => changed(c, c2, k)), [false, false, false, true]);
});
