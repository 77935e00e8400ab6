import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KneserNeyTrigram } from '../../src/tasks/lm/ngram.js';

test('Kneser-Ney trigram: distributions sum to one for seen and unseen contexts', () => {
  const ids = [0, 1, 2, 0, 1, 3, 2, 1, 0, 1, 2, 4, 0, 1, 2];
  const lm = new KneserNeyTrigram(ids, 6);
  for (const [u, v] of [[0, 1], [1, 2], [2, 1], [5, 5], [3, 0], [0, 5]] as const) {
    let s = 0;
    for (let w = 0; w < 6; w++) {
      const p = lm.prob(u, v, w);
      assert.ok(p > 0, `P(${w}|${u},${v}) must be positive`);
      s += p;
    }
    assert.ok(Math.abs(s - 1) < 1e-12, `context (${u},${v}) sums to ${s}`);
  }
  // A frequent trigram dominates: "0 1 -> 2" was seen 3 times out of 4.
  assert.ok(lm.prob(0, 1, 2) > 0.6);
  assert.ok(lm.crossEntropy(ids) < Math.log(6));
});

interface KnReference {
  vocabSize: number;
  train: number[];
  test: number[];
  cases: { discount: number; trainCrossEntropy: number; testCrossEntropy: number; probs: [number, number, number, number][] }[];
}

test('Kneser-Ney trigram: the figures of an independent implementation (scripts/fixtures/gen_ngram.py)', () => {
  const ref = JSON.parse(readFileSync('fixtures/tasks/kn-trigram.json', 'utf8')) as KnReference;
  assert.equal(ref.cases.length, 2);
  for (const c of ref.cases) {
    const lm = new KneserNeyTrigram(ref.train, ref.vocabSize, c.discount);
    for (const [u, v, w, p] of c.probs) {
      const got = lm.prob(u, v, w);
      assert.ok(Math.abs(got - p) <= 1e-12 * p, `D=${c.discount}: P(${w}|${u},${v}) = ${got}, reference ${p}`);
    }
    assert.ok(Math.abs(lm.crossEntropy(ref.train) - c.trainCrossEntropy) <= 1e-12, `D=${c.discount}: train cross-entropy`);
    assert.ok(Math.abs(lm.crossEntropy(ref.test) - c.testCrossEntropy) <= 1e-12, `D=${c.discount}: test cross-entropy ${lm.crossEntropy(ref.test)} vs ${c.testCrossEntropy}`);
  }
});
