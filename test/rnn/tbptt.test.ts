import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GRU, LSTM, RNN } from '../../src/nn/rnn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';
import { slice } from '../../src/autograd/ops/index.js';
import { assertBitEqual } from '../helpers/assert.js';

// Truncated BPTT: run a long sequence in chunks, passing the detached final states of one
// chunk as h0/c0 of the next. Values equal one uninterrupted run; gradients stop at the cut.

const maxDiff = (a: Tensor, b: Tensor): number => Math.max(...Array.from(a.data, (v, i) => Math.abs(v - b.data[i]!)));

test('chunked forward with detached states equals the full sequence; gradients stop at the cut (LSTM, GRU, RNN; 2 layers)', () => {
  const rng = new Rng(1);
  for (const m of [new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true }, rng),
    new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true }, rng),
    new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true }, rng)]) {
    const name = m.constructor.name;
    const x = randn([2, 12, 3], { rng });
    const full = m instanceof LSTM ? m.forward(x) : m.forward(x);
    const run = (chunk: Tensor, h?: Tensor, c?: Tensor) => (m instanceof LSTM ? m.forward(chunk, { h0: h, c0: c }) : m.forward(chunk, { h0: h }));
    let h: Tensor | undefined, c: Tensor | undefined;
    for (let t0 = 0; t0 < 12; t0 += 4) {
      const chunk = slice(x, 1, t0, t0 + 4).requiresGrad_();
      m.zeroGrad();
      const r = run(chunk, h, c);
      assert.ok(maxDiff(r.output, slice(full.output, 1, t0, t0 + 4)) < 1e-6, `${name} chunk at ${t0}`);
      r.output.sum().backward();
      assert.ok(chunk.grad);
      if (h) {
        // The detached state is a leaf: the gradient reaches it and goes no further, so it and
        // the parameters get exactly what a fresh run of this chunk from a copied state gives.
        const got = [h.grad!, ...m.parameters().map((p) => p.grad!)].map((g) => Float32Array.from(g.data));
        m.zeroGrad();
        const copy = (s: Tensor | undefined) => (s ? new Tensor(Float32Array.from(s.data), s.shape, { requiresGrad: true }) : undefined);
        const hCopy = copy(h)!;
        run(slice(x, 1, t0, t0 + 4), hCopy, copy(c)).output.sum().backward();
        const want = [hCopy.grad!, ...m.parameters().map((p) => p.grad!)].map((g) => g.data);
        assert.ok(want[0]!.some((v) => v !== 0), `${name} chunk at ${t0}: h0 gradient is zero`);
        got.forEach((g, i) => assertBitEqual(g, want[i]!, `${name} chunk at ${t0}: ${i === 0 ? 'h0' : `parameter ${i - 1}`} gradient`));
      }
      h = r.h.detach().requiresGrad_();
      c = 'c' in r ? (r.c as Tensor).detach().requiresGrad_() : undefined;
    }
    assert.ok(maxDiff(h!, full.h) < 1e-6);
  }
});
