/** F.ctcLoss against PyTorch 1.13 (fixtures/core/ctc_*, scripts/fixtures/gen_core.py gen_ctc), brute force and gradcheck. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { RecurError } from '../../src/errors.js';
import * as F from '../../src/functional.js';
import type { Reduction } from '../../src/nn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor, tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';

const CASES = ['ctc_mean', 'ctc_sum', 'ctc_none', 'ctc_zero_infinity', 'ctc_zero_infinity_none', 'ctc_infinite',
  'ctc_repeats', 'ctc_empty', 'ctc_concat_blank', 'ctc_long'];

function leaf(t: Tensor): Tensor {
  return new Tensor(Float32Array.from(t.data), t.shape, { requiresGrad: true });
}

describe('ctcLoss vs PyTorch', () => {
  for (const name of CASES) {
    test(name, () => {
      const f = loadFixture(`core/${name}`);
      const opts = { blank: f.config.blank as number, reduction: f.config.reduction as Reduction, zeroInfinity: f.config.zero_infinity as boolean };
      const targets = f.ints('targets');
      const tg = f.config.concatenated ? targets : new Tensor(Float32Array.from(targets), f.get('targets').shape);
      const il = f.ints('input_lengths'), tl = f.ints('target_lengths');
      // Loss and the gradient wrt log_probs as torch's ctc_loss backward returns it.
      // ctc_long's reference is torch in float64; our alpha/beta are float32 over 500 steps.
      const gradTol = { rtol: 1e-4, atol: name === 'ctc_long' ? 5e-5 : 2e-6 };
      const lp = leaf(f.get('log_probs'));
      const loss = F.ctcLoss(lp, tg, il, tl, opts);
      assertClose(loss, f.get('loss'), { rtol: 1e-5, atol: 1e-5, what: `${name} loss` });
      F.sum(loss).backward();
      assertClose(lp.grad!, f.get('grad.log_probs'), { ...gradTol, what: `${name} grad.log_probs` });
      // Through log_softmax: the gradient wrt the logits.
      const logits = leaf(f.get('logits'));
      F.sum(F.ctcLoss(F.logSoftmax(logits, -1), tg, il, tl, opts)).backward();
      assertClose(logits.grad!, f.get('grad.logits'), { ...gradTol, what: `${name} grad.logits` });
    });
  }

  test('the fixtures cover what they are meant to', () => {
    assert.ok(loadFixture('core/ctc_infinite').get('loss').data.some((v) => v === Infinity));
    assert.ok(loadFixture('core/ctc_infinite').get('grad.log_probs').data.some((v) => Number.isNaN(v)));
    assert.ok(loadFixture('core/ctc_zero_infinity_none').get('loss').data.some((v) => v === 0));
    assert.ok(loadFixture('core/ctc_empty').ints('target_lengths').includes(0));
    assert.equal(loadFixture('core/ctc_long').get('log_probs').shape[0], 500);
  });
});

/** All label sequences' alignments of length T over C classes, summed by enumeration. */
function bruteNll(lp: Float32Array, T: number, C: number, target: number[], blank: number): number {
  let total = 0;
  const path = new Array<number>(T).fill(0);
  for (;;) {
    const collapsed: number[] = [];
    let prev = -1;
    for (const c of path) {
      if (c !== prev && c !== blank) collapsed.push(c);
      prev = c;
    }
    if (collapsed.length === target.length && collapsed.every((c, i) => c === target[i])) {
      let lpSum = 0;
      path.forEach((c, t) => (lpSum += lp[t * C + c]!));
      total += Math.exp(lpSum);
    }
    let i = T - 1;
    while (i >= 0 && path[i] === C - 1) path[i--] = 0;
    if (i < 0) break;
    path[i]!++;
  }
  return -Math.log(total);
}

describe('ctcLoss', () => {
  test('equals the sum over every alignment (brute force, T=6, C=3)', () => {
    const rng = new Rng(5);
    const T = 6, C = 3;
    for (const [target, blank] of [[[1, 2], 0], [[1, 1], 0], [[2], 0], [[], 0], [[0, 0, 1], 2]] as Array<[number[], number]>) {
      const logits = tensor(Array.from({ length: T * C }, () => rng.normal()), [T, 1, C]);
      const lp = F.logSoftmax(logits, -1);
      const got = F.ctcLoss(lp, target, [T], [target.length], { blank, reduction: 'sum' }).item();
      const want = bruteNll(lp.data, T, C, target, blank);
      assert.ok(Math.abs(got - want) < 1e-4 * Math.max(1, Math.abs(want)), `target ${target}: got ${got}, brute force ${want}`);
    }
  });

  test('float64 gradcheck through logSoftmax, with lengths, repeats and an empty target', () => {
    const rng = new Rng(7);
    const T = 7, B = 3, C = 4;
    const logits = tensor(Array.from({ length: T * B * C }, () => rng.normal()), [T, B, C]);
    for (const reduction of ['mean', 'none'] as const) {
      const r = gradcheck(() => F.ctcLoss(F.logSoftmax(logits, -1), [1, 1, 2, 3, 2], [7, 5, 3], [3, 2, 0], { reduction }), [logits]);
      assert.ok(r.ok, `${reduction}: ${JSON.stringify(r.failures.slice(0, 3))}`);
      assert.equal(r.checked, T * B * C);
    }
  });

  test('bad input: one-line RecurErrors naming the problem', () => {
    const lp = F.logSoftmax(tensor(new Array(4 * 2 * 3).fill(0), [4, 2, 3]), -1);
    const cases: Array<[() => unknown, RegExp]> = [
      [() => F.ctcLoss(tensor([0, 0], [2]), [1], [1], [1]), /logProbs must be \[T, B, C\]/],
      [() => F.ctcLoss(lp, [1, 2], [4, 5], [1, 1]), /input length 5 of sequence 1 is not in \[1, 4\]/],
      [() => F.ctcLoss(lp, [1, 0], [4, 4], [1, 1]), /label 0 at position 0 of target 1 is the blank/],
      [() => F.ctcLoss(lp, [1, 3], [4, 4], [1, 1]), /label 3 .* out of range \[0, 3\)/],
      [() => F.ctcLoss(lp, [1, 2, 1], [4, 4], [1, 1]), /3 labels but targetLengths sum to 2/],
      [() => F.ctcLoss(lp, [1], [4], [1]), /1 input lengths and 1 target lengths for a batch of 2/],
      [() => F.ctcLoss(lp, [1, 2], [4, 4], [1, 1], { blank: 3 }), /blank 3 is not a class id/],
    ];
    for (const [fn, re] of cases) assert.throws(fn, (e: unknown) => e instanceof RecurError && re.test(e.message) && !e.message.includes('\n'));
  });
});

test('nn.CTCLoss is F.ctcLoss', async () => {
  const { CTCLoss } = await import('../../src/nn/index.js');
  const f = loadFixture('core/ctc_mean');
  const loss = new CTCLoss({ reduction: 'mean' }).forward(f.get('log_probs'), new Tensor(Float32Array.from(f.ints('targets')), f.get('targets').shape),
    f.ints('input_lengths'), f.ints('target_lengths'));
  assertClose(loss, f.get('loss'), { rtol: 1e-5, atol: 1e-5, what: 'CTCLoss' });
});
