import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GRU, LSTM, RNN } from '../../src/nn/rnn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, type Tensor } from '../../src/tensor/tensor.js';
import { slice } from '../../src/autograd/ops/index.js';

// Truncated BPTT: run a long sequence in chunks, passing the detached final states of one
// chunk as h0/c0 of the next. Values equal one uninterrupted run; gradients stop at the cut.

const maxDiff = (a: Tensor, b: Tensor): number => Math.max(...Array.from(a.data, (v, i) => Math.abs(v - b.data[i]!)));

test('chunked forward with detached states equals the full sequence (LSTM, GRU, RNN; 2 layers, bi off)', () => {
  const rng = new Rng(1);
  for (const m of [new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true }, rng),
    new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true }, rng),
    new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true }, rng)]) {
    const x = randn([2, 12, 3], { rng });
    const full = m instanceof LSTM ? m.forward(x) : m.forward(x);
    let h: Tensor | undefined, c: Tensor | undefined;
    for (let t0 = 0; t0 < 12; t0 += 4) {
      const chunk = slice(x, 1, t0, t0 + 4).requiresGrad_();
      const r = m instanceof LSTM ? m.forward(chunk, { h0: h, c0: c }) : m.forward(chunk, { h0: h });
      assert.ok(maxDiff(r.output, slice(full.output, 1, t0, t0 + 4)) < 1e-6, `${m.constructor.name} chunk at ${t0}`);
      r.output.sum().backward();
      assert.ok(chunk.grad);
      if (h) assert.equal(h.grad, null, 'no gradient crosses the cut');
      h = r.h.detach();
      c = 'c' in r ? (r.c as Tensor).detach() : undefined;
    }
    assert.ok(maxDiff(h!, full.h) < 1e-6);
  }
});
