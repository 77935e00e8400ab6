import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relError } from './rel-error.js';

test('relError: max |diff| over max |want|, judged absolutely below 1e-3', () => {
  assert.equal(relError([1, 2, 4.5], [1, 2, 4]), 0.125);
  assert.equal(relError([1e-6, 0], [0, 0]), 1e-3);
  assert.equal(relError([1, 2], [1, 2, 3]), Infinity);
});

test('relError: a NaN anywhere, in either argument, fails a <= tolerance check', () => {
  const want = [0.5, -1, 2, 0.25];
  for (let i = 0; i < want.length; i++) {
    const got = [...want];
    got[i] = NaN;
    assert.ok(!(relError(got, want) <= 1e-5), `NaN at ${i} of got`);
    assert.ok(!(relError(want, got) <= 1e-5), `NaN at ${i} of want`);
  }
  assert.ok(!(relError([Infinity, 0], [1, 0]) <= 1e-5), 'an infinity fails too');
});
