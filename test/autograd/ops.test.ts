/**
 * Gradient checks (float64 central differences) for every differentiable op, one line per
 * case in the tinygrad style, plus forward values computed by hand and engine behaviour.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import {
  abs, add, concat, div, dropout, exp, indexSelect, layerNorm, linear, log, logSoftmax, maskedFill, matmul, max, mean,
  mul, neg, pick, relu, reshape, sigmoid, slice, softmax, sqrt, square, squeeze, stack, sub, sum, tanh, transpose,
  unsqueeze, where, argmax,
} from '../../src/autograd/ops/index.js';
import * as allOps from '../../src/autograd/ops/index.js';
import { embedding, softplus } from '../../src/nn/ops/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, tensor, uniform, type Tensor } from '../../src/tensor/tensor.js';
import { assertClose, assertThrowsWith } from '../helpers/assert.js';

const rng = new Rng(20240601);
const rn = (shape: number[]): Tensor => randn(shape, { rng });
const pos = (shape: number[]): Tensor => uniform(shape, 0.5, 2, { rng });

function gc(fn: () => Tensor, wrt: Tensor[]): void {
  const r = gradcheck(fn, wrt);
  assert.ok(r.checked > 0, 'gradcheck checked nothing');
  assert.ok(r.ok, `gradcheck failed (max abs err ${r.maxAbsError.toExponential(2)}): ` +
    r.failures.slice(0, 4).map((f) => `${f.name}[${f.index}] analytic ${f.analytic} numeric ${f.numeric}`).join('; '));
}

/** One gradcheck case: inputs of the given shapes (from `init`), all checked. */
function check(name: string, shapes: number[][], fn: (...xs: Tensor[]) => Tensor, init: (s: number[]) => Tensor = rn): void {
  test(name, () => {
    const xs = shapes.map(init);
    gc(() => fn(...xs), xs);
  });
}

describe('gradcheck: elementwise', () => {
  check('add', [[2, 3], [2, 3]], (a, b) => add(a, b));
  check('sub', [[2, 3], [2, 3]], (a, b) => sub(a, b));
  check('mul', [[2, 3], [2, 3]], (a, b) => mul(a, b));
  check('div', [[2, 3], [2, 3]], (a, b) => div(a, b), pos);
  check('neg', [[2, 3]], (a) => neg(a));
  check('exp', [[2, 3]], (a) => exp(a));
  check('log', [[2, 3]], (a) => log(a), pos);
  check('tanh', [[2, 3]], (a) => tanh(a));
  check('sigmoid', [[2, 3]], (a) => sigmoid(a));
  check('relu', [[3, 4]], (a) => relu(a));
  check('sqrt', [[2, 3]], (a) => sqrt(a), pos);
  check('square', [[2, 3]], (a) => square(a));
  check('abs', [[3, 4]], (a) => abs(a));
  check('softplus', [[3, 4]], (a) => softplus(mul(a, 5)));
  check('scalar operands', [[2, 3]], (a) => div(sub(mul(add(a, 2), 3), 1), 4));
});

describe('gradcheck: broadcasting', () => {
  check('bias [3] + [2,3]', [[2, 3], [3]], (x, b) => add(x, b));
  check('[3] + [2,3] (small operand first)', [[3], [2, 3]], (b, x) => add(b, x));
  check('[2,3] - [2,1]', [[2, 3], [2, 1]], (x, c) => sub(x, c));
  check('[2,1] - [2,3]', [[2, 1], [2, 3]], (c, x) => sub(c, x));
  check('mask [2,3,1] * [2,3,4]', [[2, 3, 4], [2, 3, 1]], (x, m) => mul(x, m));
  check('[2,3,1] * [2,3,4] (small first)', [[2, 3, 1], [2, 3, 4]], (m, x) => mul(m, x));
  check('[2,3,4] / [2,3,1]', [[2, 3, 4], [2, 3, 1]], (x, d) => div(x, d), pos);
  check('[3] / [2,3]', [[3], [2, 3]], (n, d) => div(n, d), pos);
  check('[1,3] * [2,3]', [[1, 3], [2, 3]], (a, b) => mul(a, b));
  check('scalar tensor [] * [2,3]', [[], [2, 3]], (s, x) => mul(x, s));
  check('[4] + [2,3,4]', [[2, 3, 4], [4]], (x, b) => add(x, b));
});

describe('gradcheck: a tensor used twice', () => {
  check('x * x', [[2, 3]], (x) => mul(x, x));
  check('x + x', [[2, 3]], (x) => add(x, x));
  check('x / x', [[2, 3]], (x) => div(x, x), pos);
  check('tanh(x) * x + exp(x)', [[2, 3]], (x) => add(mul(tanh(x), x), exp(x)));
  check('shared bias summed over 5 timesteps (tiny RNN)', [[5, 2, 3], [4, 3], [4, 4], [4]], (xs, W, U, b) => {
    let h = tanh(add(linear(slice(xs, 0, 0, 1).reshape([2, 3]), W), b));
    const outs = [h];
    for (let t = 1; t < 5; t++) {
      h = tanh(add(add(linear(slice(xs, 0, t, t + 1).reshape([2, 3]), W), matmul(h, transpose(U, 0, 1))), b));
      outs.push(h);
    }
    return stack(outs, 0);
  });
});

describe('gradcheck: linear algebra', () => {
  check('matmul [3,4]·[4,2]', [[3, 4], [4, 2]], (a, b) => matmul(a, b));
  check('matmul [2,3,4]·[4,5]', [[2, 3, 4], [4, 5]], (a, b) => matmul(a, b));
  check('matmul batched [2,3,4]·[2,4,2]', [[2, 3, 4], [2, 4, 2]], (a, b) => matmul(a, b));
  check('linear with bias', [[3, 4], [2, 4], [2]], (x, w, b) => linear(x, w, b));
  check('linear 3-D input', [[2, 3, 4], [5, 4], [5]], (x, w, b) => linear(x, w, b));
  check('linear without bias', [[3, 4], [2, 4]], (x, w) => linear(x, w));
});

describe('gradcheck: reductions', () => {
  check('sum all', [[2, 3]], (x) => sum(x));
  check('sum axis 1', [[2, 3, 4]], (x) => sum(x, 1));
  check('sum axes [0,2] keepDim', [[2, 3, 4]], (x) => sum(x, [0, 2], true));
  check('mean all', [[2, 3]], (x) => mean(x));
  check('mean axis -1 keepDim', [[2, 3, 4]], (x) => mean(x, -1, true));
  check('max axis 1', [[3, 4, 2]], (x) => max(x, 1));
  check('max axis 0 keepDim', [[3, 4]], (x) => max(x, 0, true));
  check('max all', [[3, 4]], (x) => max(x));
});

describe('gradcheck: shapes', () => {
  check('reshape', [[2, 6]], (x) => mul(reshape(x, [3, -1]), rangeTensor([3, 4])));
  check('unsqueeze/squeeze', [[2, 3]], (x) => squeeze(mul(unsqueeze(x, 1), 2), 1));
  check('transpose 3-D (0,2)', [[2, 3, 4]], (x) => transpose(x, 0, 2));
  check('transpose 3-D (1,2)', [[2, 3, 4]], (x) => transpose(x, 1, 2));
  check('transpose 3-D (0,1)', [[2, 3, 4]], (x) => transpose(x, 0, 1));
  check('transpose 3-D (-1,0)', [[2, 3, 4]], (x) => transpose(x, -1, 0));
  check('transpose 4-D (1,3)', [[2, 2, 3, 2]], (x) => transpose(x, 1, 3));
  check('slice axis 1 [1,3)', [[2, 4, 3]], (x) => slice(x, 1, 1, 3));
  check('slice negative bounds', [[5, 2]], (x) => slice(x, 0, -3, -1));
  check('slice then concat with itself', [[4, 3]], (x) => concat([slice(x, 0, 0, 2), x, slice(x, 0, 1)], 0));
  check('concat axis 1', [[2, 3], [2, 1], [2, 2]], (a, b, c) => concat([a, b, c], 1));
  check('stack axis 0', [[2, 3], [2, 3]], (a, b) => stack([a, b], 0));
  check('stack axis -1', [[2, 3], [2, 3], [2, 3]], (a, b, c) => stack([a, b, c], -1));
});

describe('gradcheck: softmax', () => {
  check('softmax last axis', [[3, 5]], (x) => softmax(x));
  check('softmax axis 0 of 3-D', [[3, 2, 4]], (x) => softmax(x, 0));
  check('softmax axis 1 of 3-D', [[2, 3, 4]], (x) => softmax(x, 1));
  check('logSoftmax last axis', [[3, 5]], (x) => logSoftmax(x));
  check('logSoftmax axis 1 of 3-D', [[2, 3, 4]], (x) => logSoftmax(x, 1));
});

describe('gradcheck: indexing', () => {
  check('indexSelect repeated indices', [[4, 3]], (x) => indexSelect(x, [0, 2, 2, 1, 0, 2]));
  check('indexSelect 2-D index tensor', [[5, 2]], (x) => indexSelect(x, tensor([[4, 4], [0, 3]])));
  check('embedding without padding', [[5, 3]], (w) => embedding(tensor([[1, 0, 1], [4, 0, 2]]), w));
  // The padding row's gradient is zero by definition (not its numeric derivative), so it is
  // a constant here and only the other rows are checked.
  check('embedding with padding: other rows', [[4, 3]], (w) => embedding(tensor([[1, 0, 1], [4, 0, 2]]), concat([tensor([[9, 9, 9]]), w], 0), 0));
  check('pick', [[3, 4]], (x) => pick(x, [1, 3, 1]));
  check('pick 3-D', [[2, 3, 4]], (x) => pick(x, tensor([[0, 3, 3], [2, 1, 0]])));
  check('where', [[2, 3], [2, 3]], (a, b) => where(tensor([[1, 0, 1], [0, 0, 1]]), a, b));
  check('where with the same tensor twice', [[2, 3]], (a) => where(tensor([[1, 0, 1], [0, 0, 1]]), a, mul(a, 3)));
  check('maskedFill', [[2, 3]], (x) => maskedFill(x, tensor([[0, 1, 0], [1, 0, 0]]), -5));
  check('maskedFill -Infinity then softmax', [[2, 4]], (x) => softmax(maskedFill(x, tensor([[0, 0, 1, 1], [0, 1, 0, 0]]), -Infinity)));
});

describe('gradcheck: layers', () => {
  check('layerNorm with weight and bias', [[3, 5], [5], [5]], (x, w, b) => layerNorm(x, w, b));
  check('layerNorm without affine', [[2, 3, 4]], (x) => layerNorm(x, null, null));
  check('layerNorm eps 0.1', [[3, 4], [4], [4]], (x, w, b) => layerNorm(x, w, b, 0.1));
  check('dropout p=0.5 with a fixed seeded Rng', [[4, 5]], (x) => dropout(x, 0.5, true, new Rng(7)));
});

test('every exported op has a gradient check above', () => {
  // Keep in sync: a new op in src/autograd/ops must get a gradcheck case in this file.
  const covered = new Set(['add', 'sub', 'mul', 'div', 'neg', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'sqrt', 'square', 'abs',
    'matmul', 'linear', 'sum', 'mean', 'max', 'reshape', 'unsqueeze', 'squeeze', 'transpose', 'slice', 'concat', 'stack',
    'softmax', 'logSoftmax', 'indexSelect', 'pick', 'where', 'maskedFill', 'dropout', 'layerNorm']);
  const notDifferentiable = new Set(['argmax']);
  const missing = Object.keys(allOps).filter((k) => !covered.has(k) && !notDifferentiable.has(k));
  assert.deepEqual(missing, [], `ops without a gradcheck case: ${missing.join(', ')}`);
});

function rangeTensor(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, (_, i) => i + 1), shape);
}

describe('forward values computed by hand', () => {
  test('softmax and logSoftmax of [1,2,3]', () => {
    const x = tensor([1, 2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    assertClose(softmax(x), e.map((v) => v / s), { what: 'softmax' });
    assertClose(logSoftmax(x), [1, 2, 3].map((v) => v - Math.log(s)), { what: 'logSoftmax' });
  });

  test('softmax over axis 0 equals softmax of the transpose', () => {
    const x = tensor([[1, 2], [3, 5]]);
    // Columns [1,3] and [2,5].
    const c0 = [Math.exp(1), Math.exp(3)], c1 = [Math.exp(2), Math.exp(5)];
    const s0 = c0[0]! + c0[1]!, s1 = c1[0]! + c1[1]!;
    assertClose(softmax(x, 0), [c0[0]! / s0, c1[0]! / s1, c0[1]! / s0, c1[1]! / s1], { what: 'softmax axis 0' });
  });

  test('layerNorm of [1,2,3,4]', () => {
    const r = 1 / Math.sqrt(1.25 + 1e-5);
    assertClose(layerNorm(tensor([[1, 2, 3, 4]]), null, null), [-1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r], { what: 'layerNorm' });
  });

  test('matmul, linear, sum, mean, transpose', () => {
    const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6], [7, 8]]);
    assertClose(matmul(a, b), [19, 22, 43, 50], { what: 'matmul' });
    assertClose(linear(a, b, tensor([1, -1])), [1 * 5 + 2 * 6 + 1, 1 * 7 + 2 * 8 - 1, 3 * 5 + 4 * 6 + 1, 3 * 7 + 4 * 8 - 1], { what: 'linear' });
    const x = rangeTensor([2, 3, 2]); // 1..12
    assertClose(sum(x, 1), [1 + 3 + 5, 2 + 4 + 6, 7 + 9 + 11, 8 + 10 + 12], { what: 'sum axis 1' });
    assertClose(mean(x, [0, 2]), [(1 + 2 + 7 + 8) / 4, (3 + 4 + 9 + 10) / 4, (5 + 6 + 11 + 12) / 4], { what: 'mean axes 0,2' });
    const t = transpose(x, 0, 2); // [2,3,2] -> [2,3,2] with t[k,j,i] = x[i,j,k]
    assert.deepEqual([...t.shape], [2, 3, 2]);
    assertClose(t, [1, 7, 3, 9, 5, 11, 2, 8, 4, 10, 6, 12], { what: 'transpose(0,2)' });
  });

  test('broadcast values: [2,3,4] * mask [2,3,1]', () => {
    const x = rangeTensor([2, 3, 4]);
    const m = tensor([1, 0, 2, 0, 1, 0], [2, 3, 1]);
    const y = mul(x, m);
    const want = Array.from({ length: 24 }, (_, i) => (i + 1) * [1, 0, 2, 0, 1, 0][Math.floor(i / 4)]!);
    assertClose(y, want, { what: 'mask broadcast' });
  });

  test('max with ties: the gradient goes to the first maximum', () => {
    const x = tensor([[1, 3, 3], [2, 2, 1]], undefined, { requiresGrad: true });
    const m = max(x, 1);
    assertClose(m, [3, 2], { what: 'max values' });
    sum(m).backward();
    assertClose(x.grad!, [0, 1, 0, 1, 0, 0], { what: 'max grad' });
    assert.deepEqual([...argmax(x, 1)], [1, 0]);
  });

  test('slice, concat and stack values', () => {
    const x = rangeTensor([3, 2]);
    assertClose(slice(x, 0, 1), [3, 4, 5, 6], { what: 'slice' });
    assertClose(concat([x, x], 1), [1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6], { what: 'concat axis 1' });
    const s = stack([tensor([1, 2]), tensor([3, 4])], 1);
    assert.deepEqual([...s.shape], [2, 2]);
    assertClose(s, [1, 3, 2, 4], { what: 'stack axis 1' });
  });

  test('dropout: zero or scaled by 1/(1-p), identity in eval', () => {
    const x = tensor(new Array(1000).fill(1), [1000]);
    const y = dropout(x, 0.25, true, new Rng(3));
    let kept = 0;
    for (const v of y.data) {
      assert.ok(v === 0 || Math.abs(v - 1 / 0.75) < 1e-6, `unexpected dropout value ${v}`);
      if (v !== 0) kept++;
    }
    assert.ok(kept > 700 && kept < 800, `kept ${kept} of 1000 at p=0.25`);
    assert.equal(dropout(x, 0.25, false), x);
  });

  test('softplus is stable for large |x|', () => {
    const y = softplus(tensor([-100, -1, 0, 1, 100]));
    assertClose(y, [Math.exp(-100), Math.log1p(Math.exp(-1)), Math.log(2), 1 + Math.log1p(Math.exp(-1)), 100], { what: 'softplus' });
  });
});

describe('engine', () => {
  test('gradients accumulate across two backward calls', () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    sum(mul(x, 2)).backward();
    sum(mul(x, x)).backward();
    assertClose(x.grad!, [2 + 2, 2 + 4, 2 + 6], { what: 'accumulated grad' });
  });

  test('retainGraph allows a second backward through the same graph, and it accumulates', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = sum(mul(x, x));
    y.backward(undefined, { retainGraph: true });
    y.backward();
    assertClose(x.grad!, [4, 8], { what: 'grad after two backwards' });
  });

  test('second backward without retainGraph throws a clear error', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = sum(tanh(x));
    y.backward();
    assertThrowsWith(() => y.backward(), 'second time', 'retainGraph');
  });

  test('backward on a non-scalar without a gradient throws', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    assertThrowsWith(() => mul(x, 2).backward(), 'scalar', '[2]');
  });

  test('backward with an explicit gradient of the wrong shape throws', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    assertThrowsWith(() => mul(x, 2).backward(tensor([1, 2, 3])), '[3]', '[2]');
  });

  test('backward on a tensor that does not require grad throws', () => {
    assertThrowsWith(() => sum(tensor([1, 2])).backward(), 'does not require grad');
  });

  test('noGrad records nothing', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = noGrad(() => sum(mul(x, 3)));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.node, null);
    assertThrowsWith(() => y.backward(), 'does not require grad');
  });

  test('detach cuts the graph', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = sum(add(mul(x.detach(), x.detach()), mul(x, 3)));
    y.backward();
    assertClose(x.grad!, [3, 3], { what: 'grad through the non-detached path only' });
    assert.equal(x.detach().requiresGrad, false);
  });

  test('only leaves keep .grad; intermediates are freed', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const h = mul(x, 2);
    sum(h).backward();
    assert.equal(h.grad, null);
    assert.ok(x.grad);
  });

  test('an explicit upstream gradient is used for non-scalar outputs', () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    square(x).backward(tensor([1, 0, -1]));
    assertClose(x.grad!, [2, 0, -6], { what: 'grad' });
  });
});
