import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Rng, Tensor, arange, concat, full, manualSeed, ones, randn, stack, tensor, uniform, zeros, RecurError,
} from '../../src/index.js';

const arr = (t: Tensor): number[] => Array.from(t.data);

test('tensor from nested and flat arrays', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(arr(a), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(tensor([1, 2, 3, 4], [2, 2]).shape, [2, 2]);
  assert.equal(tensor(7).item(), 7);
  assert.ok(a.data instanceof Float32Array);
});

test('creation functions', () => {
  assert.deepEqual(arr(zeros([2, 2])), [0, 0, 0, 0]);
  assert.deepEqual(arr(ones([3])), [1, 1, 1]);
  assert.deepEqual(arr(full([2], 2.5)), [2.5, 2.5]);
  assert.deepEqual(arr(arange(4)), [0, 1, 2, 3]);
  assert.deepEqual(arr(arange(1, 2, 0.25)), [1, 1.25, 1.5, 1.75]);
  assert.deepEqual(zeros([0, 3]).shape, [0, 3]);
});

test('shape errors name the shapes', () => {
  assert.throws(() => tensor([1, 2, 3], [2, 2]), /data has 3 elements but shape \[2,2\] needs 4/);
  assert.throws(() => tensor([[1, 2], [3]]), RecurError);
  assert.throws(() => zeros([2, -1]), /invalid dimension -1/);
  assert.throws(() => zeros([2, 3]).reshape([4, 2]), /cannot reshape \[2,3\] \(6 elements\) to \[4,2\]/);
  assert.throws(() => zeros([2, 3]).matmul(zeros([2, 3])), /inner dimensions differ: \[2,3\] · \[2,3\]/);
  assert.throws(() => zeros([2, 3]).add(zeros([3, 2])), /shapes \[2,3\] and \[3,2\] do not broadcast/);
  assert.throws(() => zeros([2, 3]).sum(2), /axis 2 is out of range for shape \[2,3\]/);
  assert.throws(() => concat([zeros([2, 3]), zeros([3, 2])], 0), /\[2,3\], \[3,2\] differ outside axis 0/);
  assert.throws(() => zeros([3, 2]).indexSelect([0, 3]), /index 3 at position 1 is out of range \[0, 3\)/);
  assert.throws(() => zeros([2, 3]).item(), /has 6 elements, expected 1/);
});

test('seeded RNG reproduces and its state round-trips', () => {
  manualSeed(42);
  const a = randn([5]);
  const u = uniform([3], -1, 1);
  manualSeed(42);
  assert.deepEqual(arr(randn([5])), arr(a));
  assert.deepEqual(arr(uniform([3], -1, 1)), arr(u));
  const r = new Rng(7);
  r.normal();
  const st = r.getState();
  const next = [r.normal(), r.normal(), r.random()];
  const r2 = new Rng(0);
  r2.setState(st);
  assert.deepEqual([r2.normal(), r2.normal(), r2.random()], next);
  for (const v of uniform([1000], 2, 3).data) assert.ok(v >= 2 && v < 3);
  const n = randn([20000]);
  const mean = n.data.reduce((s, v) => s + v, 0) / n.size;
  const varc = n.data.reduce((s, v) => s + (v - mean) ** 2, 0) / n.size;
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(varc - 1) < 0.05, `mean ${mean} var ${varc}`);
});

test('reshape shares data; -1 is inferred', () => {
  const a = arange(6);
  const b = a.reshape([2, -1]);
  assert.deepEqual(b.shape, [2, 3]);
  assert.equal(b.data, a.data);
  assert.deepEqual(a.unsqueeze(0).shape, [1, 6]);
  assert.deepEqual(a.reshape([6, 1]).squeeze(1).shape, [6]);
});

test('transpose, slice, concat, stack, indexSelect values', () => {
  const a = arange(6).reshape([2, 3]);
  assert.deepEqual(arr(a.t()), [0, 3, 1, 4, 2, 5]);
  const c = arange(24).reshape([2, 3, 4]);
  const ct = c.transpose(0, 2); // [4,3,2]
  assert.deepEqual(ct.shape, [4, 3, 2]);
  assert.equal(ct.data[(1 * 3 + 2) * 2 + 1], c.data[(1 * 3 + 2) * 4 + 1]);
  assert.deepEqual(arr(a.slice(1, 1)), [1, 2, 4, 5]);
  assert.deepEqual(arr(a.slice(1, -1)), [2, 5]);
  assert.deepEqual(arr(a.slice(0, 1, 2)), [3, 4, 5]);
  assert.deepEqual(arr(concat([a, a.slice(1, 0, 1)], 1)), [0, 1, 2, 0, 3, 4, 5, 3]);
  const s = stack([tensor([1, 2]), tensor([3, 4])], 1);
  assert.deepEqual(s.shape, [2, 2]);
  assert.deepEqual(arr(s), [1, 3, 2, 4]);
  assert.deepEqual(arr(a.indexSelect([1, 1, 0])), [3, 4, 5, 3, 4, 5, 0, 1, 2]);
  assert.deepEqual(a.indexSelect(tensor([[1, 0]])).shape, [1, 2, 3]);
});

test('reductions and softmax values', () => {
  const a = tensor([[1, 5, 3], [4, 2, 6]]);
  assert.deepEqual(arr(a.sum(0)), [5, 7, 9]);
  assert.deepEqual(arr(a.sum(1, true)), [9, 12]);
  assert.deepEqual(a.sum(1, true).shape, [2, 1]);
  assert.equal(a.sum().item(), 21);
  assert.equal(a.mean().item(), 3.5);
  assert.deepEqual(arr(a.max(1)), [5, 6]);
  assert.equal(a.max().item(), 6);
  const sm = a.softmax(1);
  for (let r = 0; r < 2; r++) assert.ok(Math.abs(sm.data[r * 3]! + sm.data[r * 3 + 1]! + sm.data[r * 3 + 2]! - 1) < 1e-6);
  const big = tensor([1000, 1001]).logSoftmax();
  assert.ok(Math.abs(big.data[1]! - -Math.log1p(Math.exp(-1))) < 1e-5);
});

test('broadcasting: trailing block and size-1 trailing axes', () => {
  const x = arange(6).reshape([2, 3]);
  assert.deepEqual(arr(x.add(tensor([10, 20, 30]))), [10, 21, 32, 13, 24, 35]);
  assert.deepEqual(arr(x.mul(tensor([[1], [2]]))), [0, 1, 2, 6, 8, 10]);
  assert.deepEqual(arr(tensor([1, 2, 3]).sub(x)), [1, 1, 1, -2, -2, -2]);
  assert.deepEqual(arr(x.div(2)), [0, 0.5, 1, 1.5, 2, 2.5]);
});
