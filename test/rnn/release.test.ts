import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { kernels } from '../../src/kernels/index.js';
import { GRU, LSTM } from '../../src/nn/rnn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { dropout, sum } from '../../src/autograd/ops/index.js';
import { Tensor, zeros } from '../../src/tensor/tensor.js';

// Backward gives storage back as soon as it is dead (engine: consumed intermediate gradients;
// the fused layers: their scratch, and their saved gates once the graph is released), so a
// training step reuses it instead of waiting for the garbage collector. These tests check that
// it happens, and that nothing a later backward still needs is given back.

const T = 64, B = 8, I = 16, H = 48;
const make = (cell: 'gru' | 'lstm'): GRU | LSTM =>
  cell === 'gru' ? new GRU({ inputSize: I, hiddenSize: H }, new Rng(1)) : new LSTM({ inputSize: I, hiddenSize: H }, new Rng(1));

function input(): Tensor {
  const x = zeros([T, B, I]);
  const r = new Rng(2);
  for (let i = 0; i < x.size; i++) x.data[i] = r.normal();
  return x;
}

const stats = (): { liveBytes: number; freedBytes: number } | null =>
  (kernels() as { stats?: () => { liveBytes: number; freedBytes: number } }).stats?.() ?? null;
const liveBytes = (): number | null => stats()?.liveBytes ?? null;
const noStats = liveBytes() === null ? `the ${kernels().name} backend's storage is ordinary JS memory (nothing to give back)` : false;

for (const cell of ['gru', 'lstm'] as const) {
  const G = (cell === 'gru' ? 3 : 4) * H;
  const gatesBytes = T * B * G * 4;

  test(`${cell}: a backward gives back its gradients, scratch and saved gates at once`, { skip: noStats }, () => {
    const rnn = make(cell);
    const x = input();
    // Parameter gradients and everything else that stays live are made by a first step.
    sum(rnn.forward(x).output).backward();
    const before = liveBytes()!;
    const { output } = rnn.forward(x);
    const loss = sum(output);
    loss.backward();
    // Still live: output (T·B·H plus h_n, c_n) and the loss. Without the frees the gates cache,
    // the gradient of the gates and the output's gradient would be live too (>= 2 gates' worth).
    const grown = liveBytes()! - before;
    assert.ok(grown < gatesBytes / 2, `storage live after backward grew by ${grown} bytes (gates cache: ${gatesBytes})`);
  });

  test(`${cell}: under noGrad the forward keeps only its output`, { skip: noStats }, () => {
    const rnn = make(cell);
    const x = input();
    const before = liveBytes()!;
    const { output } = noGrad(() => rnn.forward(x));
    const grown = liveBytes()! - before;
    assert.ok(grown < gatesBytes / 2, `storage live after a noGrad forward grew by ${grown} bytes (gates cache: ${gatesBytes})`);
    assert.equal(output.size, T * B * H);
  });

  test(`${cell}: retainGraph keeps what backward needs: a second backward gives the same gradients`, () => {
    const rnn = make(cell);
    const x = input();
    x.requiresGrad = true;
    const loss = sum(rnn.forward(x).output);
    loss.backward(undefined, { retainGraph: true });
    const first = rnn.parameters().map((p) => Float32Array.from(p.grad!.data));
    const firstX = Float32Array.from(x.grad!.data);
    rnn.zeroGrad();
    x.grad = null;
    // Allocations between the two backwards would reuse anything given back too early.
    for (let i = 0; i < 4; i++) zeros([T * B * G]).data.fill(1e6);
    loss.backward();
    rnn.parameters().forEach((p, i) => assert.deepEqual(p.grad!.data, first[i], `parameter ${i}`));
    assert.deepEqual(x.grad!.data, firstX, 'input gradient');
    assert.throws(() => loss.backward(), /second time/);
  });
}

const freedBytes = (): number => stats()!.freedBytes;

test('dropout gives its mask back once backward has passed, and at once under noGrad; retainGraph keeps it', { skip: noStats }, () => {
  const n = 64 * 1024, maskBytes = n * 4;
  const x = zeros([n]);
  x.data.fill(1);
  x.requiresGrad = true;
  const loss = sum(dropout(x, 0.5, true, new Rng(4)));
  // Both backwards give back the same gradients; only the last one the mask too.
  let f0 = freedBytes();
  loss.backward(undefined, { retainGraph: true });
  const retained = freedBytes() - f0;
  const g1 = Float32Array.from(x.grad!.data);
  x.grad = null;
  for (let i = 0; i < 4; i++) zeros([n]).data.fill(1e6); // would overwrite a mask given back too early
  f0 = freedBytes();
  loss.backward();
  const last = freedBytes() - f0;
  assert.equal(last - retained, maskBytes, `the last backward gives back the mask too (${last} against ${retained} bytes)`);
  assert.deepEqual(x.grad!.data, g1, 'the second backward read the same mask');
  f0 = freedBytes();
  const z = noGrad(() => dropout(x, 0.5, true, new Rng(5)));
  assert.ok(freedBytes() - f0 >= maskBytes, 'under noGrad the mask is given back at once');
  assert.equal(z.size, n);
});
