import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GRU, LSTM, RNN, orthogonal_ } from '../../src/nn/rnn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { zeros, type Tensor } from '../../src/tensor/tensor.js';

/** Max |G - I| of the Gram matrix of the rows (byRows) or columns of block [r0, r0+rows) of t. */
function orthoError(t: Tensor, byRows: boolean, r0 = 0, rows = t.shape[0]!): number {
  const C = t.shape[1]!, d = t.data;
  const n = byRows ? rows : C, len = byRows ? C : rows;
  const at = (vec: number, k: number): number => (byRows ? d[(r0 + vec) * C + k]! : d[(r0 + k) * C + vec]!);
  let err = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let k = 0; k < len; k++) s += at(i, k) * at(j, k);
    err = Math.max(err, Math.abs(s - (i === j ? 1 : 0)));
  }
  return err;
}

test('orthogonal_: orthonormal rows (wide) or columns (tall), times gain', () => {
  for (const [r, c] of [[5, 12], [12, 5], [40, 40], [70, 33], [33, 100]] as const) {
    const t = orthogonal_(zeros([r, c]), 1, new Rng(r * 100 + c));
    assert.ok(orthoError(t, r < c) < 1e-5, `[${r},${c}]`);
  }
  const g = orthogonal_(zeros([6, 6]), 2, new Rng(1));
  let s = 0;
  for (let k = 0; k < 6; k++) s += g.data[k]! * g.data[k]!;
  assert.ok(Math.abs(s - 4) < 1e-5, 'gain scales');
});

test('orthogonal_ is Haar-distributed, as the sign-fixed QR of a Gaussian (moments over 4000 draws)', () => {
  // For Q Haar on O(3): E[tr Q] = 0, E[(tr Q)^2] = 1, E[Q_ij] = 0, E[Q_ij^2] = 1/3. The classic
  // mistake (QR without the sign fix) is not Haar: its diagonal is biased, E[tr Q] != 0.
  const rng = new Rng(7), N = 4000;
  let tr = 0, tr2 = 0, q00 = 0, q01sq = 0;
  for (let s = 0; s < N; s++) {
    const q = orthogonal_(zeros([3, 3]), 1, rng).data;
    const t = q[0]! + q[4]! + q[8]!;
    tr += t; tr2 += t * t; q00 += q[0]!; q01sq += q[1]! * q[1]!;
  }
  // Standard errors: tr ~ 1/sqrt(N) = 0.016, tr^2 ~ sqrt(2/N) = 0.022.
  assert.ok(Math.abs(tr / N) < 0.07, `E[tr Q] = ${tr / N}`);
  assert.ok(Math.abs(tr2 / N - 1) < 0.1, `E[(tr Q)^2] = ${tr2 / N}`);
  assert.ok(Math.abs(q00 / N) < 0.04, `E[Q_00] = ${q00 / N}`);
  assert.ok(Math.abs(q01sq / N - 1 / 3) < 0.03, `E[Q_01^2] = ${q01sq / N}`);
  // Tall [8, 2]: the two columns are a uniformly random orthonormal pair, E[Q_ij^2] = 1/8 for both.
  let c0 = 0, c1 = 0;
  for (let s = 0; s < N; s++) {
    const q = orthogonal_(zeros([8, 2]), 1, rng).data;
    for (let i = 0; i < 8; i++) { c0 += q[2 * i]! ** 2; c1 += q[2 * i + 1]! ** 2; }
  }
  assert.ok(Math.abs(c0 / N - 1) < 1e-4 && Math.abs(c1 / N - 1) < 1e-4, 'unit columns');
  let e0 = 0;
  for (let s = 0; s < N; s++) e0 += orthogonal_(zeros([8, 2]), 1, rng).data[3]!;
  assert.ok(Math.abs(e0 / N) < 0.02, `E[Q_11] = ${e0 / N}`);
});

test('orthogonal_ of a large block (1024 x 4096, what a 1024-unit LSTM gate stack needs) is orthonormal', () => {
  const t = orthogonal_(zeros([4096, 1024]), 1, new Rng(3));
  // Sampled Gram entries (the full check is 4G multiply-adds): columns 0, 511, 1023 against all.
  const C = 1024, d = t.data;
  let err = 0;
  for (const a of [0, 511, 1023]) for (let b = 0; b < C; b++) {
    let s = 0;
    for (let r = 0; r < 4096; r++) s += d[r * C + a]! * d[r * C + b]!;
    err = Math.max(err, Math.abs(s - (a === b ? 1 : 0)));
  }
  assert.ok(err < 1e-4, `max |QᵀQ - I| over sampled entries = ${err}`);
});

test('default init is U(-1/sqrt(H), 1/sqrt(H)) for every parameter, deterministic per seed', () => {
  const a = new LSTM({ inputSize: 7, hiddenSize: 16, numLayers: 2, bidirectional: true }, new Rng(3));
  const b = new LSTM({ inputSize: 7, hiddenSize: 16, numLayers: 2, bidirectional: true }, new Rng(3));
  for (const [name, p] of a.namedParameters()) {
    const mx = Math.max(...Array.from(p.data, Math.abs));
    assert.ok(mx <= 0.25 && mx > 0.2, `${name} max ${mx}`);
    assert.deepEqual(p.data, b.namedParameters().get(name)!.data);
  }
});

test("recurrentInit 'orthogonal' makes every gate block of weight_hh orthogonal", () => {
  const H = 8;
  const m = new LSTM({ inputSize: 3, hiddenSize: H, numLayers: 2, bidirectional: true, recurrentInit: 'orthogonal' }, new Rng(1));
  for (const [name, p] of m.namedParameters()) {
    if (!name.startsWith('weight_hh')) continue;
    for (let g = 0; g < 4; g++) assert.ok(orthoError(p, true, g * H, H) < 1e-5, `${name} block ${g}`);
  }
  const proj = new LSTM({ inputSize: 3, hiddenSize: H, projSize: 3, recurrentInit: 'orthogonal' }, new Rng(1));
  const whh = proj.namedParameters().get('weight_hh_l0')!; // [4H, P]: tall blocks, orthonormal columns
  for (let g = 0; g < 4; g++) assert.ok(orthoError(whh, false, g * H, H) < 1e-5);
  const gru = new GRU({ inputSize: 3, hiddenSize: H, recurrentInit: 'orthogonal' }, new Rng(1));
  for (let g = 0; g < 3; g++) assert.ok(orthoError(gru.namedParameters().get('weight_hh_l0')!, true, g * H, H) < 1e-5);
  const rnn = new RNN({ inputSize: 3, hiddenSize: H, recurrentInit: 'orthogonal' }, new Rng(1));
  assert.ok(orthoError(rnn.namedParameters().get('weight_hh_l0')!, true) < 1e-5);
});

test('forgetBias sets the f block of bias_ih, zeroes that of bias_hh', () => {
  const H = 4;
  const m = new LSTM({ inputSize: 3, hiddenSize: H, bidirectional: true, forgetBias: 1 }, new Rng(2));
  for (const sfx of ['_l0', '_l0_reverse']) {
    const bi = m.namedParameters().get(`bias_ih${sfx}`)!.data, bh = m.namedParameters().get(`bias_hh${sfx}`)!.data;
    for (let j = 0; j < H; j++) {
      assert.equal(bi[H + j], 1);
      assert.equal(bh[H + j], 0);
      assert.notEqual(bi[j], 1); // other gates keep the uniform init
    }
  }
});
