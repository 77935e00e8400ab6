/**
 * Storage from emptyStorage (Kernels.empty) is not zero-filled: its callers promise to write
 * every element before reading it. With setPoisonEmpty(true) every such array starts as NaN, so
 * a caller that reads an element it did not write changes its results. Each case runs the
 * same forward and backward with and without the poison and asserts the same bits: the fused
 * recurrent layers (every cell, bias-less, projection, two layers with dropout, bidirectional,
 * variable lengths, initial states) and the elementwise ops and dropout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { add, mul, sum } from '../../src/autograd/ops/index.js';
import { dropout } from '../../src/autograd/ops/dropout.js';
import { emptyStorage, kernels, setPoisonEmpty } from '../../src/kernels/index.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn/index.js';
import { manualSeed, Rng } from '../../src/tensor/rng.js';
import { Tensor, zeros } from '../../src/tensor/tensor.js';

const T = 7, B = 5, I = 6, H = 9;

function randn(shape: number[], seed: number, requiresGrad = true): Tensor {
  const t = zeros(shape);
  const r = new Rng(seed);
  for (let i = 0; i < t.size; i++) t.data[i] = r.normal();
  t.requiresGrad = requiresGrad;
  return t;
}

type Layer = LSTM | GRU | RNN;
const cases: [string, () => Layer, { lengths?: number[]; states?: boolean }][] = [
  ['LSTM', () => new LSTM({ inputSize: I, hiddenSize: H }, new Rng(1)), {}],
  ['LSTM without bias, lengths', () => new LSTM({ inputSize: I, hiddenSize: H, bias: false }, new Rng(1)), { lengths: [7, 3, 5, 1, 7] }],
  ['LSTM projSize 4, h0 and c0', () => new LSTM({ inputSize: I, hiddenSize: H, projSize: 4 }, new Rng(1)), { states: true }],
  ['LSTM 2 layers, dropout, bidirectional, lengths', () => new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, dropout: 0.3, bidirectional: true }, new Rng(1)), { lengths: [2, 7, 7, 4, 6] }],
  ['GRU', () => new GRU({ inputSize: I, hiddenSize: H }, new Rng(1)), { states: true }],
  ['GRU reset before, bidirectional, lengths', () => new GRU({ inputSize: I, hiddenSize: H, resetAfter: false, bidirectional: true }, new Rng(1)), { lengths: [1, 7, 2, 7, 3] }],
  ['RNN tanh without bias', () => new RNN({ inputSize: I, hiddenSize: H, bias: false }, new Rng(1)), {}],
  ['RNN relu, lengths', () => new RNN({ inputSize: I, hiddenSize: H, nonlinearity: 'relu' }, new Rng(1)), { lengths: [3, 3, 7, 6, 5] }],
];

/** Output, final states and every gradient of one forward and backward, as plain arrays. */
function run(make: () => Layer, o: { lengths?: number[]; states?: boolean }, poison: boolean): Float32Array[] {
  setPoisonEmpty(poison);
  try {
    const layer = make();
    layer.train();
    const x = randn([T, B, I], 2);
    const D = layer.bidirectional ? 2 : 1, L = layer.numLayers;
    const Hout = layer.projSize > 0 ? layer.projSize : H;
    const h0 = o.states ? randn([L * D, B, Hout], 3) : undefined;
    const c0 = o.states && layer instanceof LSTM ? randn([L * D, B, H], 4) : undefined;
    const inputs = { ...(o.lengths ? { lengths: o.lengths } : {}), ...(h0 ? { h0 } : {}), ...(c0 ? { c0 } : {}) };
    const out = layer instanceof LSTM ? layer.forward(x, inputs) : layer.forward(x, inputs);
    const w = randn([...out.output.shape], 5, false);
    const loss = add(sum(mul(out.output, w)), sum(out.h));
    loss.backward();
    const grads = [x, ...(h0 ? [h0] : []), ...(c0 ? [c0] : []), ...layer.parameters()].map((t) => Float32Array.from(t.grad!.data));
    return [Float32Array.from(out.output.data), Float32Array.from(out.h.data), ...grads];
  } finally {
    setPoisonEmpty(false);
  }
}

describe(`empty storage is written whole before it is read (${kernels().name})`, () => {
  it('the poison reaches emptyStorage arrays', () => {
    setPoisonEmpty(true);
    try {
      const a = emptyStorage(33);
      assert.ok(a.every((v) => Number.isNaN(v)), 'poisoned emptyStorage holds NaN');
    } finally {
      setPoisonEmpty(false);
    }
  });

  for (const [name, make, o] of cases) {
    it(`${name}: the same bits with NaN-poisoned empty storage`, () => {
      const clean = withGlobalSeed(() => run(make, o, false));
      const poisoned = withGlobalSeed(() => run(make, o, true));
      assert.equal(poisoned.length, clean.length);
      clean.forEach((a, i) => {
        assert.ok(a.every((v) => Number.isFinite(v)), `${name}: array ${i} is finite without poison`);
        assert.ok(poisoned[i]!.every((v, j) => Object.is(v, a[j])), `${name}: array ${i} differs with NaN-poisoned empty storage`);
      });
    });
  }

  it('dropout and broadcasting elementwise ops write their whole output', () => {
    const f = (poison: boolean): Float32Array[] => withGlobalSeed(() => {
      setPoisonEmpty(poison);
      try {
        const a = randn([4, 3, 6], 7), b = randn([6], 8), c = randn([4, 3, 1], 9);
        const y = dropout(mul(mul(a, b), c), 0.4, true);
        sum(mul(y, y)).backward();
        return [y, a.grad!, b.grad!, c.grad!].map((t) => Float32Array.from(t.data));
      } finally {
        setPoisonEmpty(false);
      }
    });
    const clean = f(false), poisoned = f(true);
    clean.forEach((a, i) => assert.ok(poisoned[i]!.every((v, j) => Object.is(v, a[j])), `array ${i} differs`));
  });
});

/** Runs fn with the global generator (dropout's) seeded the same way each time: the same masks in both runs. */
function withGlobalSeed<R>(fn: () => R): R {
  manualSeed(123);
  return fn();
}
