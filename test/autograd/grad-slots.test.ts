/**
 * Ops whose backward writes a whole input gradient take it with gradSlot: on the first
 * contribution the buffer is empty storage (not zeroed) and they overwrite it; later ones add.
 * Views hand their output's gradient buffer to the input (passGrad). Each case runs forward and
 * backward with and without NaN-poisoned empty storage and asserts the same bits, with the input
 * also used a second time (before or after the op in backward order), so both the overwrite and
 * the add are exercised.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradSlot, outGrad, record } from '../../src/autograd/engine.js';
import {
  add, concat, dropout, linear, logSoftmax, matmul, mul, reshape, slice, softmax, sum, transpose,
} from '../../src/autograd/ops/index.js';
import { kernels, setPoisonEmpty } from '../../src/kernels/index.js';
import { part, scatterRows } from '../../src/nn/rnn/packing.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/assert.js';

const rn = (shape: number[], seed: number, requiresGrad = true): Tensor =>
  randn(shape, { rng: new Rng(seed), requiresGrad });

/** sum(y · w) for a fixed random w, so every element of y gets its own gradient. */
function weighted(y: Tensor, seed: number): Tensor {
  return sum(mul(y, rn([...y.shape], seed, false)));
}

type Case = (a: Tensor, b: Tensor) => Tensor;
const cases: [string, Case][] = [
  ['reshape', (a) => weighted(reshape(a, [6, 4]), 10)],
  ['reshape, input used again after', (a) => add(weighted(reshape(a, [24]), 10), weighted(a, 11))],
  ['transpose', (a) => add(weighted(a, 11), weighted(transpose(a, 0, 1), 10))],
  ['concat with the input twice', (a, b) => weighted(concat([a, b, a], 0), 10)],
  ['slice', (a) => weighted(slice(a, 1, 1, 3), 10)],
  ['linear', (a, b) => add(weighted(linear(a, b), 10), weighted(b, 12))],
  ['linear, the weight used twice', (a, b) => add(weighted(linear(a, b), 10), weighted(linear(a, b), 13))],
  ['matmul(a, aᵀ-shaped a)', (a) => weighted(matmul(reshape(a, [4, 6]), reshape(a, [6, 4])), 10)],
  ['transpose alone', (a) => weighted(transpose(a, 0, 1), 10)],
  ['linear alone', (a, b) => weighted(linear(a, b), 10)],
  ['dropout alone', (a) => weighted(dropout(a, 0.4, true, new Rng(7)), 10)],
  ['softmax alone', (a) => weighted(softmax(a), 10)],
  ['part, the middle piece', (a) => weighted(part(a, 7, [3, 4]), 10)],
  ['part, two pieces', (a) => add(weighted(part(a, 12, [2, 6]), 10), weighted(part(a, 0, [12]), 15))],
  ['scatterRows alone', (a) => weighted(scatterRows(a, Int32Array.from([3, 0, 5, 1]), 7), 10)],
  ['dropout', (a) => add(weighted(dropout(a, 0.4, true, new Rng(7)), 10), weighted(a, 11))],
  ['softmax and logSoftmax', (a) => add(weighted(softmax(a), 10), weighted(logSoftmax(a, 0), 14))],
  ['scatterRows', (a) => add(weighted(scatterRows(a, Int32Array.from([3, 0, 5, 1]), 7), 10), weighted(a, 11))],
];

/** Every gradient of one forward and backward, with or without the poison. */
function grads(f: Case, poison: boolean): Float32Array[] {
  setPoisonEmpty(poison);
  try {
    const a = rn([4, 6], 1), b = rn([5, 6], 2);
    f(a, b).backward();
    return [a, b].filter((t) => t.grad).map((t) => Float32Array.from(t.grad!.data));
  } finally {
    setPoisonEmpty(false);
  }
}

describe(`gradient slots: overwritten on first use, added to after (${kernels().name})`, () => {
  for (const [name, f] of cases) {
    it(`${name}: the same bits with NaN-poisoned empty storage`, () => {
      const clean = grads(f, false), poisoned = grads(f, true);
      assert.ok(clean.length > 0);
      clean.forEach((g, i) => {
        assert.ok(g.every((v) => Number.isFinite(v)), `${name}: gradient ${i} is finite without poison`);
        assert.deepEqual(poisoned[i], g, `${name}: gradient ${i}`);
      });
    });
  }

  it('a leaf keeps adding over backward calls: two backwards give twice the gradient', () => {
    const a = rn([4, 6], 1), b = rn([5, 6], 2);
    weighted(linear(a, b), 10).backward();
    const once = [Float32Array.from(a.grad!.data), Float32Array.from(b.grad!.data)];
    weighted(linear(a, b), 10).backward();
    // Close, not equal: a product that adds into C rounds differently from g + g.
    assertClose(a.grad!.data, once[0]!.map((v) => 2 * v), { what: "a's gradient" });
    assertClose(b.grad!.data, once[1]!.map((v) => 2 * v), { what: "b's gradient" });
  });

  it('reshape hands its output gradient buffer to the input instead of copying it', () => {
    const a = rn([4, 6], 1);
    const y = reshape(a, [24]);
    let seen: Float32Array | null = null;
    // An identity op that records the buffer it writes y's gradient into.
    const z = record(new Tensor(y.data, y.shape), 'probe', [y], () => {
      const s = gradSlot(y);
      seen = s.data;
      kernels().copy(outGrad(z), s.data);
    });
    weighted(z, 10).backward();
    assert.ok(seen !== null, 'the probe ran');
    assert.equal(a.grad!.data, seen, "a's gradient is the buffer written for reshape's output");
  });
});
