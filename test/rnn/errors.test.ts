import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecurError } from '../../src/errors.js';
import { GRU, GRUCell, LSTM, LSTMCell, RNN } from '../../src/nn/rnn/index.js';
import { full, randn, tensor, zeros } from '../../src/tensor/tensor.js';

const throwsMsg = (fn: () => unknown, msg: string | RegExp): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RecurError, `expected RecurError, got ${String(e)}`);
    if (typeof msg === 'string') assert.equal(e.message, msg);
    else assert.match(e.message, msg);
    return true;
  });
};

test('wrong feature size names the expected inputSize and the shape', () => {
  const lstm = new LSTM({ inputSize: 4, hiddenSize: 3, batchFirst: true });
  throwsMsg(() => lstm.forward(zeros([2, 5, 3])), 'LSTM: input has 3 features, expected inputSize=4 (input shape [2,5,3], batchFirst=true)');
  throwsMsg(() => new GRU({ inputSize: 4, hiddenSize: 3 }).forward(zeros([5, 2, 6])), 'GRU: input has 6 features, expected inputSize=4 (input shape [5,2,6], batchFirst=false)');
  throwsMsg(() => lstm.forward(zeros([2, 5, 4, 1])), /LSTM: input must be 3-D \(\[B, T, I\] with batchFirst\) or 2-D unbatched \[T, I\], got shape \[2,5,4,1\]/);
  throwsMsg(() => lstm.forward(zeros([2, 0, 4])), /empty sequence/);
  throwsMsg(() => new LSTMCell({ inputSize: 4, hiddenSize: 3 }).forward(zeros([2, 5])), 'LSTMCell: input has 5 features, expected inputSize=4 (input shape [2,5])');
});

test('wrong h0 / c0 shape', () => {
  const lstm = new LSTM({ inputSize: 4, hiddenSize: 3, numLayers: 2, bidirectional: true });
  const x = zeros([5, 2, 4]);
  throwsMsg(() => lstm.forward(x, { h0: zeros([2, 2, 3]) }), 'LSTM: h0 has shape [2,2,3], expected [4,2,3] (numLayers*numDirections, batch, hiddenSize)');
  throwsMsg(() => lstm.forward(x, { c0: zeros([4, 3, 3]) }), 'LSTM: c0 has shape [4,3,3], expected [4,2,3] (numLayers*numDirections, batch, hiddenSize)');
  const proj = new LSTM({ inputSize: 4, hiddenSize: 3, projSize: 2 });
  throwsMsg(() => proj.forward(x, { h0: zeros([1, 2, 3]) }), 'LSTM: h0 has shape [1,2,3], expected [1,2,2] (numLayers*numDirections, batch, hidden = projSize)');
  throwsMsg(() => new RNN({ inputSize: 4, hiddenSize: 3 }).forward(x, { c0: zeros([1, 2, 3]) } as never), 'RNN: c0 is only for LSTM');
  throwsMsg(() => new GRUCell({ inputSize: 4, hiddenSize: 3 }).forward(zeros([2, 4]), zeros([3, 3])), 'GRUCell: hx has shape [3,3], expected [2,3] (batch, hidden)');
});

test('non-finite initial states', () => {
  const gru = new GRU({ inputSize: 2, hiddenSize: 3 });
  const h0 = zeros([1, 2, 3]);
  h0.data[4] = NaN;
  throwsMsg(() => gru.forward(zeros([4, 2, 2]), { h0 }), 'GRU: h0 contains a non-finite value (NaN) at flat index 4; initial states must be finite');
  const c0 = full([1, 2, 3], 0);
  c0.data[1] = -Infinity;
  throwsMsg(() => new LSTM({ inputSize: 2, hiddenSize: 3 }).forward(zeros([4, 2, 2]), { c0 }), /LSTM: c0 contains a non-finite value \(-Infinity\) at flat index 1/);
});

test('bad lengths', () => {
  const rnn = new RNN({ inputSize: 2, hiddenSize: 3, batchFirst: true });
  const x = zeros([3, 6, 2]);
  throwsMsg(() => rnn.forward(x, { lengths: [6, 7, 1] }), 'RNN: lengths[1] = 7 is longer than the sequence (input shape [3,6,2] has 6 steps)');
  throwsMsg(() => rnn.forward(x, { lengths: [6, 0, 1] }), 'RNN: lengths[1] = 0, but every sequence needs at least 1 step');
  throwsMsg(() => rnn.forward(x, { lengths: [6, 2] }), 'RNN: got 2 lengths for a batch of 3 (input shape [3,6,2])');
  throwsMsg(() => rnn.forward(x, { lengths: [6, 2.5, 1] }), 'RNN: lengths[1] = 2.5 is not a whole number');
  assert.doesNotThrow(() => rnn.forward(x, { lengths: tensor([1, 6, 3]) }));
});

test('options out of range', () => {
  throwsMsg(() => new LSTM({ inputSize: 0, hiddenSize: 3 }), 'LSTM: inputSize must be an integer >= 1, got 0');
  throwsMsg(() => new LSTM({ inputSize: 2, hiddenSize: 2.5 }), 'LSTM: hiddenSize must be an integer >= 1, got 2.5');
  throwsMsg(() => new GRU({ inputSize: 2, hiddenSize: 3, numLayers: 0 }), 'GRU: numLayers must be an integer >= 1, got 0');
  throwsMsg(() => new RNN({ inputSize: 2, hiddenSize: 3, dropout: 1.5 }), 'RNN: dropout must be a number in [0, 1], got 1.5');
  throwsMsg(() => new RNN({ inputSize: 2, hiddenSize: 3, nonlinearity: 'sigmoid' as 'tanh' }), `RNN: nonlinearity must be one of 'tanh', 'relu', got "sigmoid"`);
  throwsMsg(() => new LSTM({ inputSize: 2, hiddenSize: 3, projSize: 3 }), 'LSTM: projSize must be smaller than hiddenSize, got projSize=3, hiddenSize=3');
  throwsMsg(() => new LSTM({ inputSize: 2, hiddenSize: 3, projSize: -1 }), 'LSTM: projSize must be an integer >= 0, got -1');
  throwsMsg(() => new LSTM({ inputSize: 2, hiddenSize: 3, forgetBias: NaN }), 'LSTM: forgetBias must be a finite number, got NaN');
  throwsMsg(() => new LSTM({ inputSize: 2, hiddenSize: 3, recurrentInit: 'xavier' as 'uniform' }), `LSTM: recurrentInit must be one of 'uniform', 'orthogonal', got "xavier"`);
});

test('unbatched input gives unbatched shapes', () => {
  const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2 });
  const { output, h, c } = lstm.forward(randn([5, 2]), { h0: zeros([2, 3]) });
  assert.deepEqual([output.shape, h.shape, c.shape], [[5, 3], [2, 3], [2, 3]]);
});
