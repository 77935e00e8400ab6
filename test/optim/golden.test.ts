/** Optimizers, clipping and schedulers against PyTorch 1.13 fixtures (fixtures/core). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { linear, mean, square, sub } from '../../src/autograd/ops/index.js';
import {
  Adagrad, Adam, AdamW, clipGradNorm, clipGradValue, CosineAnnealingLR, ExponentialLR, Optimizer, ReduceLROnPlateau,
  RMSprop, SGD, StepLR,
} from '../../src/optim/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertBitEqual, assertClose } from '../helpers/assert.js';
import { loadFixture, type Fixture } from '../helpers/fixtures.js';

function leaf(t: Tensor): Tensor {
  return new Tensor(Float32Array.from(t.data), t.shape, { requiresGrad: true });
}

function makeOptimizer(c: Record<string, any>, params: Tensor[]): Optimizer<any> {
  switch (c.optimizer) {
    case 'SGD':
      return new SGD(params, { lr: c.lr, momentum: c.momentum, dampening: c.dampening, weightDecay: c.weight_decay, nesterov: c.nesterov, maximize: c.maximize });
    case 'Adam':
    case 'AdamW': {
      const o = { lr: c.lr, betas: c.betas as [number, number], eps: c.eps, weightDecay: c.weight_decay, amsgrad: c.amsgrad, maximize: c.maximize };
      return c.optimizer === 'Adam' ? new Adam(params, o) : new AdamW(params, o);
    }
    case 'RMSprop':
      return new RMSprop(params, { lr: c.lr, alpha: c.alpha, eps: c.eps, weightDecay: c.weight_decay, momentum: c.momentum, centered: c.centered, maximize: c.maximize });
    case 'Adagrad':
      return new Adagrad(params, { lr: c.lr, lrDecay: c.lr_decay, weightDecay: c.weight_decay, initialAccumulatorValue: c.initial_accumulator_value, eps: c.eps, maximize: c.maximize });
    default:
      throw new Error(`unknown optimizer ${c.optimizer}`);
  }
}

/** The fixture's model: loss = mean((x·Wᵀ + b − y)²). */
function lossOf(W: Tensor, b: Tensor, f: Fixture): Tensor {
  return mean(square(sub(linear(f.get('x'), W, b), f.get('y'))));
}

const OPTIM_FILES = [
  'optim_sgd', 'optim_sgd_momentum', 'optim_sgd_nesterov', 'optim_adam', 'optim_adam_wd', 'optim_adam_amsgrad',
  'optim_adamw', 'optim_rmsprop', 'optim_rmsprop_momentum_centered', 'optim_adagrad',
];

describe('optimizers vs PyTorch (10 steps)', () => {
  for (const name of OPTIM_FILES) {
    test(name, () => {
      const f = loadFixture(`core/${name}`);
      const W = leaf(f.get('W')), b = leaf(f.get('b'));
      const opt = makeOptimizer(f.config, [W, b]);
      for (let k = 1; k <= f.config.steps; k++) {
        opt.zeroGrad();
        const loss = lossOf(W, b, f);
        assertClose(loss, f.get(`loss.step${k}`), { rtol: 1e-5, atol: 1e-6, what: `${name} loss before step ${k}` });
        loss.backward();
        opt.step();
        assertClose(W, f.get(`W.step${k}`), { rtol: 1e-5, atol: 1e-6, what: `${name} W after step ${k}` });
        assertClose(b, f.get(`b.step${k}`), { rtol: 1e-5, atol: 1e-6, what: `${name} b after step ${k}` });
      }
      assertClose(lossOf(W, b, f), f.get('loss.final'), { rtol: 1e-5, atol: 1e-6, what: `${name} final loss` });
    });
  }
});

describe('optimizer state dict', () => {
  for (const name of OPTIM_FILES) {
    test(`${name}: 5 steps, save, new optimizer, load, 5 more == 10 straight (bit-identical)`, () => {
      const f = loadFixture(`core/${name}`);
      const run = (W: Tensor, b: Tensor, opt: Optimizer, n: number): void => {
        for (let k = 0; k < n; k++) {
          opt.zeroGrad();
          lossOf(W, b, f).backward();
          opt.step();
        }
      };
      const W1 = leaf(f.get('W')), b1 = leaf(f.get('b'));
      run(W1, b1, makeOptimizer(f.config, [W1, b1]), 10);

      const W2 = leaf(f.get('W')), b2 = leaf(f.get('b'));
      const first = makeOptimizer(f.config, [W2, b2]);
      run(W2, b2, first, 5);
      const saved = first.stateDict();
      // Through JSON for the plain part, as a checkpoint would store it.
      const json = JSON.parse(JSON.stringify({ ...saved, state: {} }));
      assert.equal(json.type, f.config.optimizer);
      run(W2, b2, first, 1); // mutating the live state must not change the saved copy
      const W3 = leaf(f.get('W')), b3 = leaf(f.get('b'));
      run(W3, b3, makeOptimizer(f.config, [W3, b3]), 5);
      const second = makeOptimizer({ ...f.config, lr: 123 }, [W3, b3]); // hyperparameters come from the state dict
      second.loadStateDict(saved);
      assert.equal(second.lr, f.config.lr);
      run(W3, b3, second, 5);
      assertBitEqual(W3, W1, `${name} W`);
      assertBitEqual(b3, b1, `${name} b`);
    });
  }

  test('layout: parameter indices, group hyperparameters and camelCase buffers', () => {
    const W = leaf(new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2])), b = leaf(new Tensor(new Float32Array([1, 2]), [2]));
    const unused = leaf(new Tensor(new Float32Array([5]), [1]));
    const opt = new Adam([{ params: [W] }, { params: [unused, b], lr: 0.5 }], { lr: 0.1, amsgrad: true });
    W.grad = new Tensor(new Float32Array([1, 1, 1, 1]), [2, 2]);
    b.grad = new Tensor(new Float32Array([1, 1]), [2]);
    opt.step();
    const sd = opt.stateDict();
    assert.equal(sd.type, 'Adam');
    assert.deepEqual(sd.paramGroups.map((g) => g.params), [[0], [1, 2]]);
    assert.equal(sd.paramGroups[1]!.lr, 0.5);
    assert.deepEqual(sd.paramGroups[0]!.betas, [0.9, 0.999]);
    assert.deepEqual(Object.keys(sd.state).sort(), ['0', '2']);
    assert.deepEqual(Object.keys(sd.state['2']!).sort(), ['expAvg', 'expAvgSq', 'maxExpAvgSq', 'step']);
    assert.equal(sd.state['0']!.step, 1);
    assert.ok(sd.state['0']!.expAvg instanceof Float32Array);
  });

  test('loadStateDict rejects mismatches with clear errors', () => {
    const W = leaf(new Tensor(new Float32Array(6), [2, 3]));
    W.grad = new Tensor(new Float32Array(6).fill(1), [2, 3]);
    const adam = new Adam([W]);
    adam.step();
    const sd = adam.stateDict();
    assert.throws(() => new SGD([W], { lr: 1 }).loadStateDict(sd), /state dict is for Adam, not SGD/);
    const V = leaf(new Tensor(new Float32Array(4), [4]));
    assert.throws(() => new Adam([V]).loadStateDict(sd), /expAvg has 6 elements, parameter 0 \(shape \[4\]\) has 4/);
    assert.throws(() => new Adam([W, V]).loadStateDict(sd), /param group 0 has 1 parameters in the state dict, 2 in the optimizer/);
  });
});

describe('optimizer behaviour', () => {
  test('parameters without a gradient are skipped; lr setter; zeroGrad', () => {
    const a = leaf(new Tensor(new Float32Array([1, 2]), [2])), c = leaf(new Tensor(new Float32Array([3]), [1]));
    const opt = new SGD([a, c], { lr: 0.1, momentum: 0.9 });
    a.grad = new Tensor(new Float32Array([1, -1]), [2]);
    opt.step();
    assertClose(a, [0.9, 2.1], { what: 'a' });
    assertClose(c, [3], { what: 'c untouched' });
    assert.equal(opt.getState(c), undefined);
    opt.lr = 0.01;
    assert.equal(opt.paramGroups[0]!.lr, 0.01);
    opt.zeroGrad(false);
    assertClose(a.grad, [0, 0], { what: 'zeroed grad' });
    opt.zeroGrad();
    assert.equal(a.grad, null);
  });

  test('constructor errors', () => {
    const a = leaf(new Tensor(new Float32Array([1]), [1]));
    assert.throws(() => new Adam([]), /empty parameter list/);
    assert.throws(() => new Adam([a, a]), /more than once/);
    assert.throws(() => new Adam([a], { lr: -1 }), /invalid learning rate lr -1/);
    assert.throws(() => new Adam([a], { betas: [1, 0.9] }), /beta1/);
    assert.throws(() => new SGD([a], { lr: 0.1, nesterov: true }), /nesterov/);
    assert.throws(() => new SGD([a.mul(2)], { lr: 0.1 }), /non-leaf/);
  });

  test('AdamW defaults to weightDecay 0.01; maximize ascends', () => {
    const a = leaf(new Tensor(new Float32Array([1]), [1]));
    assert.equal(new AdamW([a]).paramGroups[0]!.weightDecay, 0.01);
    const opt = new SGD([a], { lr: 0.5, maximize: true });
    a.grad = new Tensor(new Float32Array([2]), [1]);
    opt.step();
    assertClose(a, [2], { what: 'a after a maximizing step' });
  });
});

describe('gradient clipping vs PyTorch', () => {
  const f = loadFixture('core/clip');
  const fresh = (): Tensor[] => ['g1', 'g2', 'g3'].map((n) => {
    const p = leaf(f.get(n));
    p.grad = new Tensor(Float32Array.from(f.get(n).data), f.get(n).shape);
    return p;
  });
  const cases: Array<[string, number, number, string]> = [
    ['2-norm, max_norm=1', f.config.max_norm, 2, 'clipped'],
    ['inf-norm, max_norm=1', f.config.max_norm_inf, Infinity, 'clipped_inf'],
    ['2-norm, max_norm=100 (no change)', f.config.max_norm_big, 2, 'clipped_big'],
  ];
  const totals: Record<string, string> = { clipped: 'total_norm', clipped_inf: 'total_norm_inf', clipped_big: 'total_norm_big' };
  for (const [label, maxNorm, normType, suffix] of cases) {
    test(`clipGradNorm ${label}`, () => {
      const ps = fresh();
      const total = clipGradNorm(ps, maxNorm, normType);
      assertClose(total, f.get(totals[suffix]!), { what: 'total norm' });
      ps.forEach((p, i) => assertClose(p.grad!, f.get(`g${i + 1}.${suffix}`), { what: `g${i + 1}.${suffix}` }));
    });
  }
  test('clipGradValue 0.3', () => {
    const ps = fresh();
    clipGradValue(ps, f.config.clip_value);
    ps.forEach((p, i) => assertClose(p.grad!, f.get(`g${i + 1}.clipped_value`), { what: `g${i + 1}.clipped_value` }));
  });
  test('non-finite total norm: returned, gradients untouched; errorIfNonfinite throws', () => {
    const ps = fresh();
    ps[1]!.grad!.data[2] = NaN;
    const before = ps.map((p) => Float32Array.from(p.grad!.data));
    assert.ok(Number.isNaN(clipGradNorm(ps, 1)));
    ps.forEach((p, i) => assertBitEqual(p.grad!, before[i]!, `g${i + 1}`));
    ps[1]!.grad!.data[2] = Infinity;
    assert.equal(clipGradNorm(ps, 1, Infinity), Infinity);
    assert.throws(() => clipGradNorm(ps, 1, 2, { errorIfNonfinite: true }), /total norm of order 2 .* is Infinity/);
  });
  test('no gradients: norm 0', () => {
    assert.equal(clipGradNorm([leaf(new Tensor(new Float32Array(2), [2]))], 1), 0);
  });
});

describe('lr schedulers vs PyTorch (30 epochs)', () => {
  const f = loadFixture('core/schedulers');
  const c = f.config;
  const sgd = (): SGD => new SGD([leaf(new Tensor(new Float32Array(1), [1]))], { lr: c.lr });
  const runEpochs = (opt: SGD, step: () => void): number[] => {
    const lrs: number[] = [];
    for (let e = 0; e < c.epochs; e++) {
      lrs.push(opt.lr);
      step();
    }
    return lrs;
  };
  test('StepLR', () => {
    const opt = sgd();
    const s = new StepLR(opt, { stepSize: c.step.step_size, gamma: c.step.gamma });
    assertClose(runEpochs(opt, () => s.step()), f.get('lr.step'), { what: 'lr.step' });
    assert.deepEqual(s.getLastLr(), [opt.lr]);
  });
  test('ExponentialLR', () => {
    const opt = sgd();
    const s = new ExponentialLR(opt, { gamma: c.exponential.gamma });
    assertClose(runEpochs(opt, () => s.step()), f.get('lr.exponential'), { what: 'lr.exponential' });
  });
  test('CosineAnnealingLR (recursive form; rises again after tMax)', () => {
    const opt = sgd();
    const s = new CosineAnnealingLR(opt, { tMax: c.cosine.T_max, etaMin: c.cosine.eta_min });
    assertClose(runEpochs(opt, () => s.step()), f.get('lr.cosine'), { what: 'lr.cosine' });
  });
  test('ReduceLROnPlateau', () => {
    const opt = sgd();
    const p = c.plateau;
    const s = new ReduceLROnPlateau(opt, {
      mode: p.mode, factor: p.factor, patience: p.patience, threshold: p.threshold, thresholdMode: p.threshold_mode,
      cooldown: p.cooldown, minLr: p.min_lr, eps: p.eps,
    });
    const metrics = f.get('metrics.plateau').data;
    // As scripts/fixtures/gen_core.py does: record the lr, then feed metric e.
    const lrs: number[] = [];
    for (let e = 0; e < c.epochs; e++) {
      lrs.push(opt.lr);
      s.step(metrics[e]!);
    }
    assertClose(lrs, f.get('lr.plateau'), { what: 'lr.plateau' });
  });
  test('scheduler state dict round trip continues the same schedule', () => {
    const optA = sgd();
    const a = new CosineAnnealingLR(optA, { tMax: 10, etaMin: 0.001 });
    for (let e = 0; e < 13; e++) a.step();
    const optB = sgd();
    const b = new CosineAnnealingLR(optB, { tMax: 3 });
    optB.loadStateDict(optA.stateDict());
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    assert.equal(b.tMax, 10);
    for (let e = 0; e < 5; e++) {
      a.step();
      b.step();
      assert.equal(optB.lr, optA.lr);
    }
    const optC = sgd();
    const p = new ReduceLROnPlateau(optC, { patience: 0 });
    p.step(1);
    p.step(2);
    const saved = p.stateDict();
    const q = new ReduceLROnPlateau(sgd(), { patience: 0 });
    q.loadStateDict(saved);
    assert.equal(q.best, 1);
    assert.deepEqual(q.getLastLr(), p.getLastLr());
  });
});
