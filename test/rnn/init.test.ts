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

test('orthogonal_ is the sign-fixed QR of a Gaussian (R = Qᵀ A upper triangular, positive diagonal)', () => {
  for (const [r, c] of [[9, 4], [4, 9], [50, 50]] as const) {
    // orthogonal_ draws the transpose At [n, m] of the tall Gaussian A [m, n] from the stream.
    const n = Math.min(r, c), m = Math.max(r, c);
    const At = zeros([n, m]);
    new Rng(42).fillNormal(At.data, 0, 1);
    const Q = orthogonal_(zeros([r, c]), 1, new Rng(42));
    const q = (k: number, i: number): number => (r < c ? Q.data[k * c + i]! : Q.data[i * c + k]!); // column k of the tall Q
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
      let rik = 0;
      for (let e = 0; e < m; e++) rik += q(i, e) * At.data[k * m + e]!;
      if (i > k) assert.ok(Math.abs(rik) < 1e-4, `R[${i},${k}] = ${rik} below the diagonal`);
      if (i === k) assert.ok(rik > 0, `R[${k},${k}] = ${rik} must be positive`);
    }
  }
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
