/** Conv1d against PyTorch 1.13 (fixtures/core/conv1d_*, scripts/fixtures/gen_core.py gen_conv1d), and gradcheck. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { RecurError } from '../../src/errors.js';
import * as F from '../../src/functional.js';
import { Conv1d } from '../../src/nn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor, tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };

function leaf(t: Tensor): Tensor {
  return new Tensor(Float32Array.from(t.data), t.shape, { requiresGrad: true });
}

describe('Conv1d vs PyTorch', () => {
  for (const name of ['conv1d_stride2', 'conv1d_plain']) {
    test(name, () => {
      const f = loadFixture(`core/${name}`);
      const c = f.config;
      const conv = new Conv1d(c.in_channels, c.out_channels, c.kernel_size, { stride: c.stride, padding: c.padding });
      conv.loadStateDict(new Map([['weight', f.get('weight')], ['bias', f.get('bias')]]));
      const x = leaf(f.get('x'));
      const y = conv.forward(x);
      assert.deepEqual(y.shape, f.get('y').shape);
      assert.equal(conv.outputLength(x.shape[2]!), y.shape[2]);
      assertClose(y, f.get('y'), { ...TOL, what: `${name} y` });
      F.sum(F.mul(y, f.get('R'))).backward();
      assertClose(x.grad!, f.get('grad.x'), { ...TOL, what: 'grad.x' });
      assertClose(conv.weight.grad!, f.get('grad.weight'), { ...TOL, what: 'grad.weight' });
      assertClose(conv.bias!.grad!, f.get('grad.bias'), { ...TOL, what: 'grad.bias' });
      // Channels-last gives the same numbers, transposed.
      const yl = conv.forwardChannelsLast(F.transpose(f.get('x'), 1, 2));
      assertClose(F.transpose(yl, 1, 2), f.get('y'), { ...TOL, what: `${name} channels-last y` });
    });
  }
});

describe('Conv1d', () => {
  test('float64 gradcheck: input, weight and bias, with stride and padding', () => {
    const rng = new Rng(3);
    const rand = (shape: number[]): Tensor => tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
    const x = rand([2, 9, 3]), w = rand([4, 3, 3]), b = rand([4]);
    for (const [stride, padding] of [[2, 1], [1, 0], [3, 2]] as const) {
      const r = gradcheck(() => F.conv1dChannelsLast(x, w, b, { stride, padding }), [x, w, b]);
      assert.ok(r.ok, `stride ${stride} padding ${padding}: ${JSON.stringify(r.failures.slice(0, 3))}`);
    }
  });

  test('bad shapes: RecurErrors that say what was expected', () => {
    const conv = new Conv1d(3, 2, 5);
    assert.throws(() => conv.forward(tensor(new Array(6).fill(0), [2, 3])), /input must be \[B, Cin, T\]/);
    assert.throws(() => conv.forward(tensor(new Array(24).fill(0), [1, 4, 6])), (e: unknown) => e instanceof RecurError && /\[B, T, 3\]/.test(e.message));
    assert.throws(() => conv.forward(tensor(new Array(9).fill(0), [1, 3, 3])), /3 steps are too few for a window of 5/);
    assert.throws(() => new Conv1d(3, 2, 0), /kernelSize must be a whole number >= 1/);
  });
});
