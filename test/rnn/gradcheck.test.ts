import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { concat } from '../../src/autograd/ops/index.js';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from '../../src/nn/rnn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor, randn } from '../../src/tensor/tensor.js';

// Central differences in float64 (src/autograd/gradcheck.ts) against the hand-derived fused
// BPTT: tiny sizes, 6 steps with a run of repeated inputs, unsorted lengths, both directions,
// two layers (so layer 1 backpropagates into layer 0's concatenated output), h0/c0.

const B = 3, T = 6, I = 3, H = 2;

/** x [T, B, I] whose steps 1..3 are identical: repeated tokens must accumulate gradients. */
function repeatedInput(rng: Rng): Tensor {
  const x = randn([T, B, I], { rng });
  for (let t = 2; t <= 3; t++) x.data.copyWithin(t * B * I, B * I, 2 * B * I);
  return x;
}

function flatAll(...ts: Array<Tensor | undefined>): Tensor {
  return concat(ts.filter((t): t is Tensor => t !== undefined).map((t) => t.reshape([t.size])), 0);
}

function expectOk(res: ReturnType<typeof gradcheck>, what: string): void {
  assert.ok(res.checked > 0);
  assert.ok(res.ok, `${what}: ${res.failures.length} of ${res.checked} gradients wrong, e.g. ${JSON.stringify(res.failures.slice(0, 3))}`);
}

type Kind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'lstm_proj' | 'gru' | 'gru_reset_before';
const kinds: Kind[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'lstm_proj', 'gru', 'gru_reset_before'];

function makeLayer(kind: Kind, numLayers: number, bidirectional: boolean, batchFirst: boolean): RNN | LSTM | GRU {
  const o = { inputSize: I, hiddenSize: H, numLayers, bidirectional, batchFirst };
  const rng = new Rng(7);
  switch (kind) {
    case 'rnn_tanh': return new RNN(o, rng);
    case 'rnn_relu': return new RNN({ ...o, nonlinearity: 'relu' }, rng);
    case 'lstm': return new LSTM(o, rng);
    case 'lstm_proj': return new LSTM({ ...o, hiddenSize: 3, projSize: 2 }, rng);
    case 'gru': return new GRU(o, rng);
    case 'gru_reset_before': return new GRU({ ...o, resetAfter: false }, rng);
  }
}

describe('gradcheck: layers (float64 central differences)', () => {
  for (const kind of kinds) {
    for (const [numLayers, bidirectional, lengths] of [[1, false, null], [2, true, [4, 6, 1]]] as const) {
      const label = `${kind} L${numLayers} ${bidirectional ? 'bi' : 'uni'} ${lengths ? 'lengths [4,6,1]' : 'full'}`;
      test(label, () => {
        const rng = new Rng(11);
        const m = makeLayer(kind, numLayers, bidirectional, lengths !== null);
        const D = bidirectional ? 2 : 1, Hout = m.hiddenOut;
        let x = repeatedInput(rng);
        if (lengths) x = x.transpose(0, 1).detach(); // exercise batchFirst too
        x.requiresGrad = true;
        const h0 = randn([numLayers * D, B, Hout], { rng, requiresGrad: true });
        const c0 = m instanceof LSTM ? randn([numLayers * D, B, m.hiddenSize], { rng, requiresGrad: true }) : undefined;
        const run = (): Tensor => {
          const r = m instanceof LSTM ? m.forward(x, { h0, c0, lengths: lengths ?? undefined })
            : m.forward(x, { h0, lengths: lengths ?? undefined });
          return flatAll(r.output, r.h, (r as { c?: Tensor }).c);
        };
        expectOk(gradcheck(run, [x, h0, ...(c0 ? [c0] : []), ...m.parameters()]), label);
      });
    }
  }

  test('LSTM projSize without h0, unsorted lengths, reverse only matters', () => {
    const rng = new Rng(3);
    const m = new LSTM({ inputSize: I, hiddenSize: 3, projSize: 1, bidirectional: true }, new Rng(5));
    const x = repeatedInput(rng).requiresGrad_();
    const run = (): Tensor => { const r = m.forward(x, { lengths: [2, 6, 5] }); return flatAll(r.output, r.h, r.c); };
    expectOk(gradcheck(run, [x, ...m.parameters()]), 'lstm proj no h0');
  });

  test('no bias', () => {
    const rng = new Rng(4);
    for (const m of [new LSTM({ inputSize: I, hiddenSize: H, bias: false }, rng), new GRU({ inputSize: I, hiddenSize: H, bias: false, resetAfter: false }, rng)]) {
      const x = repeatedInput(rng).requiresGrad_();
      const run = (): Tensor => { const r = m.forward(x); return flatAll(r.output, r.h); };
      expectOk(gradcheck(run, [x, ...m.parameters()]), `${m.constructor.name} no bias`);
    }
  });
});

describe('gradcheck: cells', () => {
  const rng = new Rng(21);
  const cells = [
    new RNNCell({ inputSize: I, hiddenSize: H }, rng),
    new RNNCell({ inputSize: I, hiddenSize: H, nonlinearity: 'relu' }, rng),
    new LSTMCell({ inputSize: I, hiddenSize: H }, rng),
    new GRUCell({ inputSize: I, hiddenSize: H }, rng),
    new GRUCell({ inputSize: I, hiddenSize: H, resetAfter: false }, rng),
  ];
  for (const cell of cells) {
    const label = `${cell.constructor.name}${cell instanceof RNNCell ? ` ${cell.nonlinearity}` : ''}${cell instanceof GRUCell && !cell.resetAfter ? ' resetAfter=false' : ''}`;
    test(`${label}: 5 steps unrolled with a repeated input`, () => {
      const xs = randn([B, I], { rng, requiresGrad: true });
      const x2 = randn([B, I], { rng, requiresGrad: true });
      const h0 = randn([B, H], { rng, requiresGrad: true });
      const c0 = randn([B, H], { rng, requiresGrad: true });
      const seq = [xs, x2, xs, xs, x2];
      const run = (): Tensor => {
        if (cell instanceof LSTMCell) {
          let s = { h: h0, c: c0 };
          const hs: Tensor[] = [];
          for (const x of seq) { s = cell.forward(x, s); hs.push(s.h, s.c); }
          return flatAll(...hs);
        }
        let h = h0;
        const hs: Tensor[] = [];
        for (const x of seq) { h = cell.forward(x, h); hs.push(h); }
        return flatAll(...hs);
      };
      const wrt = [xs, x2, h0, ...(cell instanceof LSTMCell ? [c0] : []), ...cell.parameters()];
      expectOk(gradcheck(run, wrt), label);
    });
  }
});
