import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/tensor/rng.js';

describe('Rng', () => {
  it('fillBernoulliScaled draws exactly the stream of random() < keep, and leaves the same state', () => {
    for (const keep of [0, 0.1, 0.5, 0.9, 1 - 2 ** -30, 1]) {
      const fast = new Rng(7), slow = new Rng(7);
      fast.random(); slow.random();
      const a = new Float32Array(10_007);
      fast.fillBernoulliScaled(a, keep);
      const scale = keep > 0 ? 1 / keep : 0;
      const b = Float32Array.from({ length: a.length }, () => (slow.random() < keep ? scale : 0));
      assert.deepEqual(a, b, `keep ${keep}`);
      assert.deepEqual(fast.getState(), slow.getState(), `state after keep ${keep}`);
      assert.equal(fast.nextU32(), slow.nextU32());
    }
  });

  it('keeps about a fraction keep of the elements', () => {
    const a = new Float32Array(100_000);
    new Rng(1).fillBernoulliScaled(a, 0.9);
    const kept = a.reduce((n, v) => n + (v > 0 ? 1 : 0), 0) / a.length;
    assert.ok(Math.abs(kept - 0.9) < 0.005, `kept ${kept}`);
    assert.ok(a.every((v) => v === 0 || Math.abs(v - 1 / 0.9) < 1e-6));
  });
});
