/**
 * When both weights of an RNN or LSTM layer train and I ≤ Hout, fused.ts computes dW_ih and
 * dW_hh with one product dGᵀ·[x | h_{t-1}]. These cases check that the joint product is the one
 * that runs (a G×(I+Hout) result), that it is not used where it does not apply, and that it gives
 * W_hh the gradient the separate product gives (W_ih frozen). The same layers' forward takes each
 * step's gate pre-activations from one product [x_t | h_{t-1}]·[W_ih | W_hh]ᵀ instead of an input
 * projection over all rows. The PyTorch goldens check both paths' values (test/rnn/golden.test.ts:
 * layer 2 of the uni grid and golden-large's layer 1 are joint).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { sum } from '../../src/autograd/ops/index.js';
import { kernels, type Kernels } from '../../src/kernels/index.js';
import { GRU, LSTM, RNN } from '../../src/nn/rnn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

const T = 5, B = 3;

/** [M, N] of every transposed-A product (the weight gradients) during fn. */
function weightProducts(fn: () => void): [number, number][] {
  const K = kernels() as Kernels;
  const gemm = K.gemm;
  const seen: [number, number][] = [];
  K.gemm = (tA, tB, M, N, Kd, alpha, A, lda, Bm, ldb, beta, C, ldc) => {
    if (tA) seen.push([M, N]);
    return gemm.call(K, tA, tB, M, N, Kd, alpha, A, lda, Bm, ldb, beta, C, ldc);
  };
  try {
    fn();
  } finally {
    K.gemm = gemm;
  }
  return seen;
}

/** Calls of a kernel from now on: the returned function reads the count. */
function callsOf(name: keyof Kernels): () => number {
  const K = kernels() as Kernels;
  const f = K[name] as (...a: unknown[]) => unknown;
  let n = 0;
  (K as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
    n++;
    return f.apply(K, a);
  };
  return () => {
    (K as unknown as Record<string, unknown>)[name] = f;
    return n;
  };
}

function step(layer: LSTM | GRU | RNN, I: number): void {
  const x = randn([T, B, I], { requiresGrad: true });
  sum(layer.forward(x).output).backward();
}

describe('dW_ih and dW_hh from one product', () => {
  it('LSTM and RNN with I <= H: one G x (I + H + 1) product (the biases\' column), none of G x I', () => {
    for (const [name, layer, G] of [['LSTM', new LSTM({ inputSize: 5, hiddenSize: 8 }, new Rng(1)), 32],
      ['RNN', new RNN({ inputSize: 8, hiddenSize: 8 }, new Rng(1)), 8]] as const) {
      const I = name === 'LSTM' ? 5 : 8;
      const sums = callsOf('sumToBroadcast');
      const seen = weightProducts(() => step(layer, I));
      assert.deepEqual(seen.filter(([M]) => M === G), [[G, I + 8 + 1]], `${name}: ${JSON.stringify(seen)}`);
      assert.equal(sums(), 0, `${name}: the biases' gradient came from a pass of its own`);
    }
    // Without biases, or with them frozen, no column of ones.
    const plain = new LSTM({ inputSize: 5, hiddenSize: 8, bias: false }, new Rng(1));
    assert.deepEqual(weightProducts(() => step(plain, 5)).filter(([M]) => M === 32), [[32, 13]]);
    const frozen = new LSTM({ inputSize: 5, hiddenSize: 8 }, new Rng(1));
    frozen.namedParameters().get('bias_hh_l0')!.requiresGrad = false;
    assert.deepEqual(weightProducts(() => step(frozen, 5)).filter(([M]) => M === 32), [[32, 13]]);
  });

  it('not for the GRU, nor for I > Hout, nor with W_ih frozen', () => {
    const gru = new GRU({ inputSize: 5, hiddenSize: 8 }, new Rng(1));
    assert.deepEqual(weightProducts(() => step(gru, 5)).filter(([M]) => M === 24), [[24, 5], [24, 8]]);
    const wide = new LSTM({ inputSize: 9, hiddenSize: 8 }, new Rng(1));
    assert.deepEqual(weightProducts(() => step(wide, 9)).filter(([M]) => M === 32), [[32, 9], [32, 8]]);
    const frozen = new LSTM({ inputSize: 5, hiddenSize: 8 }, new Rng(1));
    frozen.namedParameters().get('weight_ih_l0')!.requiresGrad = false;
    assert.deepEqual(weightProducts(() => step(frozen, 5)).filter(([M]) => M === 32), [[32, 8]]);
  });

  it('W_hh and the biases get the same gradients from the joint and the separate products', () => {
    const grads: Float32Array[] = [];
    for (const freeze of [false, true]) {
      const lstm = new LSTM({ inputSize: 5, hiddenSize: 8 }, new Rng(3));
      const p = lstm.namedParameters();
      if (freeze) p.get('weight_ih_l0')!.requiresGrad = false;
      const x = randn([T, B, 5], { requiresGrad: true, rng: new Rng(4) });
      sum(lstm.forward(x).output).backward();
      grads.push(Float32Array.from(['weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'].flatMap((n) => [...p.get(n)!.grad!.data])));
    }
    const [joint, separate] = grads as [Float32Array, Float32Array];
    let worst = 0;
    for (let i = 0; i < joint.length; i++) worst = Math.max(worst, Math.abs(joint[i]! - separate[i]!));
    assert.ok(joint.subarray(8 * 32).some((v) => v !== 0), 'bias gradient is all zeros');
    assert.ok(worst <= 1e-6, `max abs difference ${worst}`);
  });
});

/** K of every packed product, and [M, N, K] of every plain one, during fn. */
function forwardProducts(fn: () => void): { packedK: number[]; plain: [number, number, number][] } {
  const K = kernels() as Kernels;
  const { gemm, gemmPackedB } = K;
  const packedK: number[] = [], plain: [number, number, number][] = [];
  K.gemmPackedB = (tA, M, N, Kd, ...rest) => {
    packedK.push(Kd);
    return gemmPackedB.call(K, tA, M, N, Kd, ...rest);
  };
  K.gemm = (tA, tB, M, N, Kd, ...rest) => {
    plain.push([M, N, Kd]);
    return gemm.call(K, tA, tB, M, N, Kd, ...rest);
  };
  try {
    fn();
  } finally {
    K.gemm = gemm;
    K.gemmPackedB = gemmPackedB;
  }
  return { packedK, plain };
}

describe('the forward of a joint layer: one product a step over [x_t | h_{t-1}]', () => {
  it('LSTM and RNN with I <= H: T products with K = I + H, no input projection over the T*B rows', () => {
    for (const [name, layer, I] of [['LSTM', new LSTM({ inputSize: 5, hiddenSize: 8 }, new Rng(1)), 5],
      ['RNN', new RNN({ inputSize: 8, hiddenSize: 8 }, new Rng(1)), 8]] as const) {
      const x = randn([T, B, I], { requiresGrad: true });
      const { packedK, plain } = forwardProducts(() => layer.forward(x));
      assert.deepEqual(packedK, Array<number>(T).fill(I + 8), `${name}: ${JSON.stringify(packedK)}`);
      assert.deepEqual(plain.filter(([M]) => M === T * B), [], `${name}: ${JSON.stringify(plain)}`);
    }
  });

  it('gives the output and state of the separate input projection (W_ih frozen, or noGrad)', () => {
    const outs: Float32Array[] = [];
    for (const mode of ['joint', 'frozen', 'noGrad'] as const) {
      const lstm = new LSTM({ inputSize: 5, hiddenSize: 8 }, new Rng(3));
      if (mode === 'frozen') lstm.namedParameters().get('weight_ih_l0')!.requiresGrad = false;
      const x = randn([T, B, 5], { requiresGrad: true, rng: new Rng(4) });
      const r = mode === 'noGrad' ? noGrad(() => lstm.forward(x)) : lstm.forward(x);
      outs.push(Float32Array.from([...r.output.data, ...r.h.data, ...r.c!.data]));
    }
    const [joint, ...separate] = outs as [Float32Array, Float32Array, Float32Array];
    for (const other of separate) {
      let worst = 0;
      for (let i = 0; i < joint.length; i++) worst = Math.max(worst, Math.abs(joint[i]! - other[i]!));
      assert.ok(worst <= 1e-6, `max abs difference ${worst}`);
    }
  });
});
