import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { RecurError } from '../../src/errors.js';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, type RNNBase } from '../../src/nn/rnn/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, loadFixture, type Fixture } from './helpers.js';

// Golden tests against PyTorch 1.13 (fixtures/README.md): outputs, final states and the
// gradients of sum(output*R) + sum(h_n*S) (+ sum(c_n*U)) w.r.t. input, h0, c0 and every parameter.

const TOL = 1e-4;
let worst = { err: 0, where: '' };
let compared = 0;
after(() => console.log(`# rnn golden: ${compared} tensors compared, max relative error ${worst.err.toExponential(2)} (${worst.where})`));

function check(got: Tensor | null, want: Tensor | undefined, what: string): void {
  assert.ok(got, `${what}: missing`);
  assert.ok(want, `${what}: not in fixture`);
  const e = expectClose(got, want, TOL, what);
  compared++;
  if (e > worst.err) worst = { err: e, where: what };
}

const leaf = (t: Tensor): Tensor => new Tensor(Float32Array.from(t.data), t.shape, { requiresGrad: true });

function build(f: Fixture): RNNBase & { forward: LSTM['forward'] } {
  const c = f.config;
  const common = {
    inputSize: c.input_size as number, hiddenSize: c.hidden_size as number, numLayers: c.num_layers as number,
    bidirectional: c.bidirectional as boolean, batchFirst: c.batch_first as boolean, bias: c.bias as boolean,
  };
  const mode = c.mode as string;
  const m = mode.startsWith('rnn') ? new RNN({ ...common, nonlinearity: c.nonlinearity as 'tanh' | 'relu' })
    : mode === 'gru' ? new GRU(common)
    : new LSTM({ ...common, projSize: c.proj_size as number });
  return m as RNNBase & { forward: LSTM['forward'] };
}

function runGridCase(file: string): void {
  const f = loadFixture(file);
  const model = build(f);
  const names = [...model.namedParameters().keys()];
  // Registration order must be PyTorch's named_parameters() order, which is the file order.
  const fileParams = [...f.t.keys()].filter((k) => /^(weight|bias)_/.test(k));
  assert.deepEqual(names, fileParams, 'parameter names/order');
  model.loadStateDict(new Map(names.map((n) => [n, f.t.get(n)!])));

  const x = leaf(f.t.get('input')!);
  const h0 = f.t.has('h0') ? leaf(f.t.get('h0')!) : undefined;
  const c0 = f.t.has('c0') ? leaf(f.t.get('c0')!) : undefined;
  const lengths = f.t.has('lengths') ? Array.from(f.t.get('lengths')!.data, Math.round) : undefined;
  const { output, h, c } = model.forward(x, { lengths, h0, c0 });

  check(output, f.t.get('output'), `${file} output`);
  check(h, f.t.get('h_n'), `${file} h_n`);
  if (f.t.has('c_n')) check(c, f.t.get('c_n'), `${file} c_n`);

  let loss = output.mul(f.t.get('R')!).sum().add(h.mul(f.t.get('S')!).sum());
  if (f.t.has('U')) loss = loss.add(c.mul(f.t.get('U')!).sum());
  loss.backward();

  check(x.grad, f.t.get('grad.input'), `${file} grad.input`);
  if (h0) check(h0.grad, f.t.get('grad.h0'), `${file} grad.h0`);
  if (c0) check(c0.grad, f.t.get('grad.c0'), `${file} grad.c0`);
  for (const [n, p] of model.namedParameters()) check(p.grad, f.t.get(`grad.${n}`), `${file} grad.${n}`);
}

const modes = ['rnn_tanh', 'rnn_relu', 'lstm', 'lstm_proj', 'gru'];
describe('golden grid vs PyTorch', () => {
  for (const mode of modes) {
    test(mode, () => {
      let n = 0;
      for (const L of [1, 3]) for (const dir of ['uni', 'bi']) for (const bf of ['tf', 'bf'])
        for (const len of ['full', 'len']) for (const h0 of ['noh0', 'h0']) {
          runGridCase(`${mode}_L${L}_${dir}_${bf}_${len}_${h0}.safetensors`);
          n++;
        }
      assert.equal(n, 32);
    });
  }

  test('no-bias LSTM and GRU', () => {
    runGridCase('lstm_L1_uni_tf_full_noh0_nobias.safetensors');
    runGridCase('gru_L1_uni_tf_full_noh0_nobias.safetensors');
  });
});

describe('golden cells vs PyTorch', () => {
  for (const mode of ['rnn_tanh', 'rnn_relu', 'lstm', 'gru']) {
    test(mode, () => {
      const file = `cell_${mode}.safetensors`;
      const f = loadFixture(file);
      const opts = { inputSize: f.config.input_size as number, hiddenSize: f.config.hidden_size as number };
      const cell = mode === 'lstm' ? new LSTMCell(opts) : mode === 'gru' ? new GRUCell(opts)
        : new RNNCell({ ...opts, nonlinearity: mode === 'rnn_relu' ? 'relu' : 'tanh' });
      const names = [...cell.namedParameters().keys()];
      assert.deepEqual(names, ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']);
      cell.loadStateDict(new Map(names.map((n) => [n, f.t.get(n)!])));
      const x = leaf(f.t.get('input')!), hx = leaf(f.t.get('hx')!);
      let loss: Tensor;
      if (cell instanceof LSTMCell) {
        const cx = leaf(f.t.get('cx')!);
        const { h, c } = cell.forward(x, { h: hx, c: cx });
        check(h, f.t.get('h1'), `${file} h1`);
        check(c, f.t.get('c1'), `${file} c1`);
        loss = h.mul(f.t.get('R')!).sum().add(c.mul(f.t.get('U')!).sum());
        loss.backward();
        check(cx.grad, f.t.get('grad.cx'), `${file} grad.cx`);
      } else {
        const h = cell.forward(x, hx);
        check(h, f.t.get('h1'), `${file} h1`);
        loss = h.mul(f.t.get('R')!).sum();
        loss.backward();
      }
      check(x.grad, f.t.get('grad.input'), `${file} grad.input`);
      check(hx.grad, f.t.get('grad.hx'), `${file} grad.hx`);
      for (const [n, p] of cell.namedParameters()) check(p.grad, f.t.get(`grad.${n}`), `${file} grad.${n}`);
    });
  }
});

test('RecurError is what bad fixtures would raise', () => {
  assert.throws(() => new LSTM({ inputSize: 0, hiddenSize: 3 }), RecurError);
});
