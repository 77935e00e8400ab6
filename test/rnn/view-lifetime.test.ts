import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { part } from '../../src/nn/rnn/packing.js';
import { full, Tensor } from '../../src/tensor/tensor.js';

test('a part() view keeps its parent storage alive after the parent tensor is collected', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  let parent: Tensor | null = full([4096], 1.5);
  const view = part(parent, 100, [8]);
  parent = null;
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((r) => setImmediate(r));
    // Same size class as the parent: a freed block would be handed out again here.
    const others = Array.from({ length: 64 }, () => full([4096], -7));
    assert.ok(others.length === 64);
  }
  assert.deepEqual(Array.from(view.data), new Array(8).fill(1.5));
});
