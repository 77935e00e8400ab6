/** Layers, Module state dicts and losses: behaviour, errors, and gradient checks of the losses. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import * as F from '../../src/functional.js';
import {
  CrossEntropyLoss, Dropout, Embedding, Identity, LayerNorm, Linear, LogSoftmax, Module, ReLU, Sequential, Sigmoid, Softmax, Tanh,
} from '../../src/nn/index.js';
import { manualSeed, Rng } from '../../src/tensor/rng.js';
import { ones, randn, tensor, uniform, zeros, Tensor } from '../../src/tensor/tensor.js';
import { assertClose, assertThrowsWith } from '../helpers/assert.js';

const rng = new Rng(99);

function gc(fn: () => Tensor, wrt: Tensor[]): void {
  const r = gradcheck(fn, wrt);
  assert.ok(r.checked > 0);
  assert.ok(r.ok, `gradcheck failed: ${r.failures.slice(0, 3).map((f) => `${f.name}[${f.index}] ${f.analytic} vs ${f.numeric}`).join('; ')}`);
}

describe('Linear', () => {
  test('PyTorch init bound 1/sqrt(in), names weight/bias, shapes', () => {
    const lin = new Linear(16, 50, { rng: new Rng(1) });
    assert.deepEqual([...lin.namedParameters().keys()], ['weight', 'bias']);
    assert.deepEqual([...lin.weight.shape], [50, 16]);
    const k = 1 / 4;
    for (const v of [...lin.weight.data, ...lin.bias!.data]) assert.ok(v >= -k && v <= k, `init value ${v} outside ±${k}`);
    const mx = Math.max(...lin.weight.data.map(Math.abs));
    assert.ok(mx > 0.9 * k, 'weights should fill the range');
    assert.equal(new Linear(3, 2, { bias: false }).bias, null);
    assert.deepEqual([...new Linear(3, 2, { bias: false }).namedParameters().keys()], ['weight']);
  });

  test('manualSeed makes init reproducible', () => {
    manualSeed(5);
    const a = new Linear(4, 3);
    manualSeed(5);
    const b = new Linear(4, 3);
    assert.deepEqual([...a.weight.data], [...b.weight.data]);
    assert.deepEqual([...a.bias!.data], [...b.bias!.data]);
  });

  test('shape errors name the shapes', () => {
    const lin = new Linear(4, 2);
    assertThrowsWith(() => lin.forward(zeros([2, 3])), 'Linear: input has 3 features, expected inFeatures=4 (input shape [2,3])');
    assertThrowsWith(() => new Linear(2.5, 1), 'inFeatures', '2.5');
  });

  test('forward on 1-D and 3-D input', () => {
    const lin = new Linear(3, 2);
    assert.deepEqual([...lin.forward(zeros([3])).shape], [2]);
    assert.deepEqual([...lin.forward(zeros([4, 5, 3])).shape], [4, 5, 2]);
  });
});

describe('Embedding', () => {
  test('N(0,1) init with the padding row zeroed; negative paddingIdx counts from the end', () => {
    const e = new Embedding(200, 50, { paddingIdx: -1, rng: new Rng(2) });
    assert.equal(e.paddingIdx, 199);
    assert.ok(e.weight.data.subarray(199 * 50).every((v) => v === 0));
    const d = e.weight.data.subarray(0, 199 * 50);
    const m = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / d.length);
    assert.ok(Math.abs(m) < 0.05 && Math.abs(sd - 1) < 0.05, `mean ${m}, std ${sd}`);
  });

  test('out-of-range ids name position, value and shape', () => {
    const e = new Embedding(10, 4);
    assertThrowsWith(() => e.forward(tensor([[1, 2, 3], [4, 12, 0]])), 'Embedding: index 12 at position [1,1] is out of range [0, 10)', 'input shape [2,3]');
    assertThrowsWith(() => e.forward([1, -1]), 'index -1 at position 1');
    assertThrowsWith(() => e.forward([0.5]), 'index 0.5');
    assertThrowsWith(() => new Embedding(10, 4, { paddingIdx: 10 }), 'paddingIdx=10');
  });

  test('repeated ids accumulate; padding positions give no gradient even to a non-zero padding row', () => {
    const e = new Embedding(4, 2, { paddingIdx: 1 });
    e.weight.data.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const y = e.forward(tensor([[2, 1, 2], [0, 1, 2]]));
    assertClose(y, [5, 6, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6], { what: 'lookup' });
    y.backward(ones([2, 3, 2]));
    assertClose(e.weight.grad!, [1, 1, 0, 0, 3, 3, 0, 0], { what: 'grad' });
  });

  test('fromPretrained copies and freezes', () => {
    const w = randn([3, 2], { rng });
    const e = Embedding.fromPretrained(w);
    assert.deepEqual([...e.weight.data], [...w.data]);
    assert.equal(e.weight.requiresGrad, false);
    assert.equal(Embedding.fromPretrained(w, { freeze: false }).weight.requiresGrad, true);
  });
});

describe('Dropout, LayerNorm, activations, Sequential', () => {
  test('Dropout follows module.training', () => {
    const d = new Dropout(0.5, { rng: new Rng(4) });
    const x = ones([100]);
    assert.ok(d.forward(x).data.some((v) => v === 0));
    d.eval();
    assert.equal(d.forward(x), x);
    assertThrowsWith(() => new Dropout(1.5), 'Dropout', '1.5');
  });

  test('LayerNorm init and shape errors', () => {
    const ln = new LayerNorm(6);
    assert.deepEqual([...ln.weight!.data], [1, 1, 1, 1, 1, 1]);
    assert.deepEqual([...ln.bias!.data], [0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...new LayerNorm([6]).namedParameters().keys()], ['weight', 'bias']);
    assert.equal(new LayerNorm(6, { elementwiseAffine: false }).parameters().length, 0);
    assertThrowsWith(() => ln.forward(zeros([4, 5])), "LayerNorm: input's last dimension is 5, expected normalizedShape=6 (input shape [4,5])");
  });

  test('activation modules', () => {
    const x = tensor([-1, 0.5]);
    assertClose(new Tanh().forward(x), [Math.tanh(-1), Math.tanh(0.5)]);
    assertClose(new ReLU().forward(x), [0, 0.5]);
    assertClose(new Sigmoid().forward(x), [1 / (1 + Math.E), 1 / (1 + Math.exp(-0.5))]);
    assert.equal(new Identity().forward(x), x);
    assertClose(new Softmax().forward(x), F.softmax(x));
    assertClose(new LogSoftmax(0).forward(x), F.logSoftmax(x));
  });

  test('Sequential names children 0,1,... like PyTorch and chains forward', () => {
    const net = new Sequential(new Linear(3, 4), new Tanh(), new Dropout(0.5), new Linear(4, 2));
    assert.deepEqual([...net.stateDict().keys()], ['0.weight', '0.bias', '3.weight', '3.bias']);
    assert.equal(net.length, 4);
    assert.ok(net.at(-1) instanceof Linear);
    net.eval();
    assert.equal(net.at(2).training, false);
    const x = randn([5, 3], { rng });
    const l0 = net.at(0) as Linear, l3 = net.at(3) as Linear;
    assertClose(net.forward(x), l3.forward(F.tanh(l0.forward(x))), { what: 'sequential forward' });
    assert.deepEqual([...net].length, 4);
  });
});

class Net extends Module {
  readonly enc = this.module('enc', new Linear(3, 4));
  readonly norm = this.module('norm', new LayerNorm(4));
  readonly head = this.module('head', new Linear(4, 2, { bias: false }));
}

describe('Module.loadStateDict', () => {
  test('round trip through stateDict', () => {
    const a = new Net(), b = new Net();
    b.loadStateDict(a.stateDict());
    assert.deepEqual([...b.enc.weight.data], [...a.enc.weight.data]);
    assert.deepEqual([...a.stateDict().keys()], ['enc.weight', 'enc.bias', 'norm.weight', 'norm.bias', 'head.weight']);
  });

  test('strict: lists missing, unexpected and mismatched names in one error, and loads nothing', () => {
    const net = new Net();
    const before = Float32Array.from(net.enc.bias!.data);
    const sd = new Map(net.stateDict());
    sd.delete('norm.bias');
    sd.set('head.bias', zeros([2]));
    sd.set('enc.weight', zeros([4, 5]));
    sd.set('enc.bias', ones([4]));
    assertThrowsWith(() => net.loadStateDict(sd),
      'missing: norm.bias', 'unexpected: head.bias', 'enc.weight: checkpoint [4,5], model [4,3]');
    assert.deepEqual([...net.enc.bias!.data], [...before], 'nothing may be loaded when validation fails');
  });

  test('non-strict tolerates missing/unexpected but not shape mismatches', () => {
    const net = new Net();
    net.loadStateDict(new Map([['enc.bias', ones([4])], ['extra', zeros([1])]]), { strict: false });
    assert.deepEqual([...net.enc.bias!.data], [1, 1, 1, 1]);
    assertThrowsWith(() => net.loadStateDict(new Map([['enc.bias', ones([5])]]), { strict: false }), 'enc.bias: checkpoint [5], model [4]');
  });
});

describe('losses: semantics and errors', () => {
  const logits = (): Tensor => randn([4, 5], { rng, requiresGrad: true });

  test('mean over zero non-ignored targets is NaN with zero gradient (PyTorch)', () => {
    for (const labelSmoothing of [0, 0.2]) {
      for (const weight of [null, uniform([5], 0.5, 2, { rng })]) {
        const x = logits();
        const loss = F.crossEntropy(x, [-100, -100, -100, -100], { labelSmoothing, weight });
        assert.ok(Number.isNaN(loss.item()));
        loss.backward();
        assert.ok(x.grad!.data.every((v) => v === 0), `grads ${[...x.grad!.data]}`);
      }
    }
    assert.equal(F.crossEntropy(logits(), [-100, -100, -100, -100], { reduction: 'sum' }).item(), 0);
  });

  test('errors name positions, values and shapes', () => {
    assertThrowsWith(() => F.crossEntropy(zeros([2, 3, 5]), tensor([[0, 1, 2], [7, 0, 0]])),
      'crossEntropy: target 7 at position [1,0] is out of range [0, 5)');
    assertThrowsWith(() => F.crossEntropy(zeros([4, 5]), [0, 1, 2, 3.5]), 'target 3.5 at position 3');
    assertThrowsWith(() => F.crossEntropy(zeros([4, 5]), tensor([0, 1, 2])), 'target shape [3] does not match input shape [4,5]', 'expected target shape [4]');
    assertThrowsWith(() => F.crossEntropy(zeros([4, 5]), [0, 1]), '2 targets for input shape [4,5]');
    assertThrowsWith(() => F.crossEntropy(zeros([4, 5]), [0, 1, 2, 3], { weight: ones([4]) }), 'weight must have shape [5]', '[4]');
    assertThrowsWith(() => F.crossEntropy(zeros([4, 5]), [0, 1, 2, 3], { reduction: 'avg' as never }), "'none', 'mean' or 'sum'");
    assertThrowsWith(() => F.crossEntropy(zeros([4, 5]), [0, 1, 2, 3], { labelSmoothing: 2 }), 'labelSmoothing');
    assertThrowsWith(() => F.nllLoss(zeros([4, 5]), [0, 1, 2, 5]), 'nllLoss: target 5 at position 3');
    assertThrowsWith(() => F.mseLoss(zeros([4, 3]), zeros([4])), 'mseLoss: input shape [4,3] and target shape [4] must be equal');
    assertThrowsWith(() => F.binaryCrossEntropyWithLogits(zeros([4, 3]), zeros([3, 4])), 'input shape [4,3] and target shape [3,4]');
    assertThrowsWith(() => F.binaryCrossEntropyWithLogits(zeros([4, 3]), zeros([4, 3]), { posWeight: ones([4]) }), 'posWeight must have shape [3]');
  });

  test('[B,T,C] with targets [B,T] equals the flattened [B*T,C] form; none keeps the target shape', () => {
    const x = randn([2, 3, 5], { rng });
    const t = tensor([[0, 4, -100], [2, 2, 1]]);
    const a = F.crossEntropy(x, t, { labelSmoothing: 0.1 });
    const b = F.crossEntropy(x.reshape([6, 5]), [0, 4, -100, 2, 2, 1], { labelSmoothing: 0.1 });
    assertClose(a, b);
    assert.deepEqual([...F.crossEntropy(x, t, { reduction: 'none' }).shape], [2, 3]);
  });

  test('unbatched input [C] with a scalar target', () => {
    const x = tensor([1, 2, 3]);
    const l = F.crossEntropy(x, new Tensor(new Float32Array([2]), []));
    assertClose(l, [-(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)))]);
  });

  test('probability targets: one-hot equals class indices; smoothing matches too', () => {
    const x = randn([3, 4], { rng });
    const idx = [1, 3, 0];
    const onehot = zeros([3, 4]);
    idx.forEach((c, i) => (onehot.data[i * 4 + c] = 1));
    for (const labelSmoothing of [0, 0.3]) {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        assertClose(F.crossEntropy(x, onehot, { labelSmoothing, reduction }), F.crossEntropy(x, idx, { labelSmoothing, reduction }),
          { what: `soft vs hard, ε=${labelSmoothing}, ${reduction}` });
      }
    }
  });

  test('weighted mean divides by the sum of target weights', () => {
    const x = randn([3, 2], { rng });
    const w = tensor([2, 0.5]);
    const per = F.crossEntropy(x, [0, 1, 1], { reduction: 'none' }).data;
    const want = (2 * per[0]! + 0.5 * per[1]! + 0.5 * per[2]!) / 3;
    assertClose(F.crossEntropy(x, [0, 1, 1], { weight: w }), [want]);
  });

  test('BCE with logits: exact gradient at x = 0 and stable at large |x|', () => {
    const x = tensor([0, 0, 100, -100], undefined, { requiresGrad: true });
    const t = tensor([1, 0.25, 0, 1]);
    const loss = F.binaryCrossEntropyWithLogits(x, t, { reduction: 'sum', posWeight: tensor([3]) });
    // loss_i = (1−t)x + (1 + 2t) softplus(−x)
    assertClose(loss, [Math.log(2) * 3 + (0.75 * 0 + 1.5 * Math.log(2)) + 100 + 3 * 100], { rtol: 1e-6 });
    loss.backward();
    // grad = σ(x)(1 + (pw−1)t) − pw·t
    assertClose(x.grad!, [0.5 * 3 - 3, 0.5 * 1.5 - 0.75, 1, -3], { what: 'grad' });
  });

  test('CrossEntropyLoss module registers weight as a buffer', () => {
    const m = new CrossEntropyLoss({ weight: tensor([1, 2]) });
    assert.deepEqual([...m.stateDict().keys()], ['weight']);
    assert.equal(m.parameters().length, 0);
    assertClose(m.forward(tensor([[0, 1]]), [1]), F.crossEntropy(tensor([[0, 1]]), [1], { weight: tensor([1, 2]) }));
  });
});

describe('losses: gradient checks', () => {
  const targets = [0, 3, -100, 4, 2, 2];
  const w = uniform([5], 0.5, 2, { rng });
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    test(`crossEntropy ${reduction} with weight, ignoreIndex and label smoothing`, () => {
      const x = randn([6, 5], { rng });
      gc(() => F.crossEntropy(x, targets, { reduction, weight: w, labelSmoothing: 0.15 }), [x]);
    });
  }
  test('crossEntropy plain and over [B,T,C]', () => {
    const x = randn([2, 3, 5], { rng });
    gc(() => F.crossEntropy(x, tensor([[0, 1, 2], [3, 4, 0]])), [x]);
  });
  test('crossEntropy with probability targets (gradient into both)', () => {
    const x = randn([3, 4], { rng });
    const q = F.softmax(randn([3, 4], { rng }));
    const cw = uniform([4], 0.5, 2, { rng });
    gc(() => F.crossEntropy(x, q, { labelSmoothing: 0.1, weight: cw }), [x, q]);
  });
  test('nllLoss with weight and a custom ignoreIndex', () => {
    const x = randn([5, 3], { rng });
    gc(() => F.nllLoss(x, [0, 2, 1, 2, 0], { weight: tensor([1, 2, 3]), ignoreIndex: 1 }), [x]);
  });
  test('mseLoss (input and target)', () => {
    const a = randn([3, 4], { rng }), b = randn([3, 4], { rng });
    gc(() => F.mseLoss(a, b), [a, b]);
    gc(() => F.mseLoss(a, b, { reduction: 'none' }), [a, b]);
  });
  test('binaryCrossEntropyWithLogits with posWeight and weight (input and target)', () => {
    const x = randn([4, 3], { rng }), t = uniform([4, 3], 0, 1, { rng });
    const pw = tensor([0.5, 2, 3]), ew = uniform([4, 1], 0.5, 2, { rng });
    gc(() => F.binaryCrossEntropyWithLogits(x, t, { posWeight: pw, weight: ew }), [x, t]);
    gc(() => F.binaryCrossEntropyWithLogits(x, t, { reduction: 'sum' }), [x, t]);
  });
});
