import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchify, bpttWindows, getWindow, splitContiguous, windowCount } from '../../src/data/streams.js';

const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

describe('batchify', () => {
  it('lays the corpus out as B contiguous streams, time-major, dropping the remainder', () => {
    const b = batchify(range(11), 3);
    assert.equal(b.steps, 3);
    assert.equal(b.batchSize, 3);
    // streams [0 1 2] [3 4 5] [6 7 8]; 9 and 10 dropped
    assert.deepEqual(Array.from(b.data), [0, 3, 6, 1, 4, 7, 2, 5, 8]);
  });

  it('rejects bad sizes', () => {
    assert.throws(() => batchify(range(10), 0), /batchSize must be a positive integer, got 0/);
    assert.throws(() => batchify(range(5), 3), /5 tokens give 1 steps per stream with batchSize=3; need at least 2/);
  });
});

describe('BPTT windows', () => {
  // 26 tokens, B=2 -> 13 steps: stream 0 = 0..12, stream 1 = 13..25.
  const b = batchify(range(26), 2);

  it('returns input and target shifted by one along each stream', () => {
    const w = getWindow(b, 0, 5);
    assert.deepEqual(w.shape, [5, 2]);
    assert.deepEqual(Array.from(w.input), [0, 13, 1, 14, 2, 15, 3, 16, 4, 17]);
    assert.deepEqual(Array.from(w.target), [1, 14, 2, 15, 3, 16, 4, 17, 5, 18]);
  });

  it('makes the last window shorter', () => {
    const ws = [...bpttWindows(b, 5)];
    assert.equal(ws.length, 3);
    assert.equal(windowCount(b, 5), 3);
    assert.deepEqual(ws.map((w) => w.steps), [5, 5, 2]);
    assert.deepEqual(Array.from(ws[2]!.input), [10, 23, 11, 24]);
    assert.deepEqual(Array.from(ws[2]!.target), [11, 24, 12, 25]);
  });

  it('covers every (token, next token) pair of every stream exactly once', () => {
    const big = batchify(range(1003), 7);
    const seen: number[] = [];
    for (const w of bpttWindows(big, 9)) {
      for (let i = 0; i < w.input.length; i++) {
        assert.equal(w.target[i], w.input[i]! + 1);
        seen.push(w.input[i]!);
      }
    }
    assert.equal(seen.length, (big.steps - 1) * 7);
    assert.equal(new Set(seen).size, seen.length);
  });

  it('has a batch-first layout', () => {
    const w = getWindow(b, 10, 5, { batchFirst: true });
    assert.equal(w.batchFirst, true);
    assert.deepEqual(w.shape, [2, 2]);
    assert.deepEqual(Array.from(w.input), [10, 11, 23, 24]);
    assert.deepEqual(Array.from(w.target), [11, 12, 24, 25]);
    const first = [...bpttWindows(b, 5, { batchFirst: true })][0]!;
    assert.deepEqual(Array.from(first.input), [0, 1, 2, 3, 4, 13, 14, 15, 16, 17]);
  });

  it('rejects out-of-range windows', () => {
    assert.throws(() => getWindow(b, 12, 5), /start=12 is out of range; a batch of 13 steps has windows starting in \[0, 11\]/);
    assert.throws(() => getWindow(b, 0, 0), /bptt must be a positive integer, got 0/);
  });
});

describe('splitContiguous', () => {
  it('splits ids into contiguous train / valid / test', () => {
    const s = splitContiguous(range(100));
    assert.deepEqual([s.train.length, s.valid.length, s.test.length], [90, 5, 5]);
    assert.equal(s.train[89], 89);
    assert.equal(s.valid[0], 90);
    assert.equal(s.test[0], 95);
    const t = splitContiguous([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { valid: 0.2, test: 0 });
    assert.deepEqual([Array.from(t.train), Array.from(t.valid), Array.from(t.test)], [[1, 2, 3, 4, 5, 6, 7, 8], [9, 10], []]);
  });

  it('splits strings without cutting a surrogate pair', () => {
    const s = splitContiguous('abcdefgh😀j', { valid: 0.1, test: 0.1 });
    assert.equal(s.train + s.valid + s.test, 'abcdefgh😀j');
    assert.equal(s.valid, '😀');
    assert.equal(s.test, 'j');
  });

  it('rejects bad fractions', () => {
    assert.throws(() => splitContiguous(range(10), { valid: -0.1 }), /valid fraction must be in \[0, 1\), got -0.1/);
    assert.throws(() => splitContiguous(range(10), { valid: 0.5, test: 0.5 }), /leaves nothing to train on/);
  });
});
