import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GRU, GRUCell } from '../../src/nn/rnn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

// The Keras-2 / TF.js GRU (reset gate before the recurrent matmul) against the formula, as a
// straightforward float64 loop:
//   r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn), h' = (1 - z) ⊙ n + z ⊙ h

const sig = (v: number): number => 1 / (1 + Math.exp(-v));

function referenceStep(x: ArrayLike<number>, h: number[], wIh: ArrayLike<number>, wHh: ArrayLike<number>,
  bIh: ArrayLike<number>, bHh: ArrayLike<number>, I: number, H: number): number[] {
  const dotX = (row: number): number => { let s = bIh[row]!; for (let k = 0; k < I; k++) s += wIh[row * I + k]! * x[k]!; return s; };
  const dotH = (row: number, v: number[]): number => { let s = bHh[row]!; for (let k = 0; k < H; k++) s += wHh[row * H + k]! * v[k]!; return s; };
  const r = Array.from({ length: H }, (_, j) => sig(dotX(j) + dotH(j, h)));
  const z = Array.from({ length: H }, (_, j) => sig(dotX(H + j) + dotH(H + j, h)));
  const rh = h.map((v, j) => r[j]! * v);
  const n = Array.from({ length: H }, (_, j) => Math.tanh(dotX(2 * H + j) + dotH(2 * H + j, rh)));
  return h.map((v, j) => (1 - z[j]!) * n[j]! + z[j]! * v);
}

test('GRU resetAfter=false matches the Keras-2 formula (float64 loop), 2 layers, bidirectional, lengths', () => {
  const T = 7, B = 3, I = 4, H = 5, L = 2;
  const rng = new Rng(9);
  const gru = new GRU({ inputSize: I, hiddenSize: H, numLayers: L, bidirectional: true, resetAfter: false }, rng);
  const x = randn([T, B, I], { rng });
  const h0 = randn([L * 2, B, H], { rng });
  const lengths = [5, 7, 2];
  const { output, h } = gru.forward(x, { h0, lengths });
  const p = gru.namedParameters();

  // layerIn[b][t] = input vector of the current layer at step t for sequence b
  let layerIn: number[][][] = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from(x.data.subarray((t * B + b) * I, (t * B + b + 1) * I))));
  let maxErr = 0;
  for (let l = 0; l < L; l++) {
    const inSize = l === 0 ? I : 2 * H;
    const next: number[][][] = Array.from({ length: B }, () => Array.from({ length: T }, () => new Array<number>(2 * H).fill(0)));
    for (let d = 0; d < 2; d++) {
      const sfx = `_l${l}${d ? '_reverse' : ''}`;
      const [wIh, wHh, bIh, bHh] = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => p.get(n + sfx)!.data);
      for (let b = 0; b < B; b++) {
        let hs = Array.from(h0.data.subarray(((l * 2 + d) * B + b) * H, ((l * 2 + d) * B + b + 1) * H));
        const Lb = lengths[b]!;
        for (let s = 0; s < Lb; s++) {
          const t = d ? Lb - 1 - s : s;
          hs = referenceStep(layerIn[b]![t]!, hs, wIh!, wHh!, bIh!, bHh!, inSize, H);
          for (let j = 0; j < H; j++) next[b]![t]![d * H + j] = hs[j]!;
        }
        for (let j = 0; j < H; j++) maxErr = Math.max(maxErr, Math.abs(h.data[((l * 2 + d) * B + b) * H + j]! - hs[j]!));
      }
    }
    layerIn = next;
  }
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let j = 0; j < 2 * H; j++) {
    maxErr = Math.max(maxErr, Math.abs(output.data[(t * B + b) * 2 * H + j]! - layerIn[b]![t]![j]!));
  }
  assert.ok(maxErr < 1e-5, `max abs error ${maxErr}`);
});

test('GRUCell resetAfter=false matches the formula and differs from the PyTorch form', () => {
  const I = 3, H = 4, rng = new Rng(5);
  const cell = new GRUCell({ inputSize: I, hiddenSize: H, resetAfter: false }, rng);
  const after = new GRUCell({ inputSize: I, hiddenSize: H }, rng);
  after.loadStateDict(cell.stateDict());
  const x = randn([I], { rng }), h = randn([H], { rng });
  const got = cell.forward(x, h);
  const p = cell.namedParameters();
  const want = referenceStep(x.data, Array.from(h.data), p.get('weight_ih')!.data, p.get('weight_hh')!.data, p.get('bias_ih')!.data, p.get('bias_hh')!.data, I, H);
  for (let j = 0; j < H; j++) assert.ok(Math.abs(got.data[j]! - want[j]!) < 1e-6);
  const other = after.forward(x, h);
  assert.ok(Array.from(other.data).some((v, j) => Math.abs(v - want[j]!) > 1e-4), 'the two forms differ');
});
