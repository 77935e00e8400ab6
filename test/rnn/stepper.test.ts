/**
 * RecurrentStepper: the fused batch-1 path against the modules' own forward.
 *
 * float32: every step's output and the final state match forward over 20 steps within
 * rtol 1e-5 (+ atol 1e-6): the same kernels, only the summation order of the products differs
 * (M = 1 gemv here, tiled GEMM over all steps in forward).
 * int8: weights rounded to 8 bits per row (and activations to 16 bits per call) move h and c;
 * measured at most 4.3e-3 (RNN tanh) down to 3.5e-4 (3-layer LSTM) over these 20 steps, with
 * h, c of order 1. Checked at |Δ| ≤ 0.01, and required to differ from float32 so the test fails
 * if int8 silently ran in float.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backendName, kernels } from '../../src/kernels/index.js';
import { GRU, LSTM, RNN, RecurrentStepper, type StepperWeights } from '../../src/nn/rnn/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { assertBitEqual, assertClose, assertThrowsWith } from '../helpers/assert.js';

const T = 20, I = 5, H = 12;

interface Config {
  name: string;
  make: (layers: number, rng: Rng) => RNN | LSTM | GRU;
}

const CONFIGS: Config[] = [
  { name: 'RNN tanh', make: (numLayers, rng) => new RNN({ inputSize: I, hiddenSize: H, numLayers }, rng) },
  { name: 'RNN relu', make: (numLayers, rng) => new RNN({ inputSize: I, hiddenSize: H, numLayers, nonlinearity: 'relu' }, rng) },
  { name: 'LSTM', make: (numLayers, rng) => new LSTM({ inputSize: I, hiddenSize: H, numLayers }, rng) },
  { name: 'LSTM projSize 7', make: (numLayers, rng) => new LSTM({ inputSize: I, hiddenSize: H, numLayers, projSize: 7 }, rng) },
  { name: 'LSTM without bias', make: (numLayers, rng) => new LSTM({ inputSize: I, hiddenSize: H, numLayers, bias: false }, rng) },
  { name: 'GRU (reset after, PyTorch)', make: (numLayers, rng) => new GRU({ inputSize: I, hiddenSize: H, numLayers }, rng) },
  { name: 'GRU (reset before, Keras 2)', make: (numLayers, rng) => new GRU({ inputSize: I, hiddenSize: H, numLayers, resetAfter: false }, rng) },
];

function rand(rng: Rng, n: number, r = 1): Float32Array {
  const a = new Float32Array(n);
  rng.fillUniform(a, -r, r);
  return a;
}

interface Reference {
  outputs: Float32Array[];
  h: Float32Array;
  c: Float32Array | null;
  h0: Float32Array;
  c0: Float32Array | null;
  xs: Float32Array[];
}

/** forward over T steps of batch 1 from a random initial state. */
function reference(m: RNN | LSTM | GRU, seed: number): Reference {
  const rng = new Rng(seed);
  const L = m.numLayers, Hout = m.hiddenOut;
  const x = rand(rng, T * I), h0 = rand(rng, L * Hout, 0.5);
  const c0 = m instanceof LSTM ? rand(rng, L * H, 0.5) : null;
  const r = noGrad(() => m.forward(new Tensor(x, [T, 1, I]), {
    h0: new Tensor(h0, [L, 1, Hout]), ...(c0 ? { c0: new Tensor(c0, [L, 1, H]) } : {}),
  }));
  const out = r.output.data;
  return {
    outputs: Array.from({ length: T }, (_, t) => out.slice(t * Hout, (t + 1) * Hout)),
    h: Float32Array.from(r.h.data), c: 'c' in r ? Float32Array.from((r as { c: Tensor }).c.data) : null,
    h0, c0, xs: Array.from({ length: T }, (_, t) => x.slice(t * I, (t + 1) * I)),
  };
}

function runStepper(m: RNN | LSTM | GRU, ref: Reference, weights: StepperWeights): { outputs: Float32Array[]; h: Float32Array; c: Float32Array | null } {
  const s = new RecurrentStepper(m, { weights });
  s.setState({ h: ref.h0, c: ref.c0 });
  const outputs = ref.xs.map((x) => Float32Array.from(s.step(x)));
  const st = s.getState();
  return { outputs, h: st.h, c: st.c ?? null };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('RecurrentStepper matches forward', () => {
  for (const cfg of CONFIGS) {
    for (const layers of [1, 3]) {
      it(`${cfg.name}, ${layers} layer(s): float32 within rtol 1e-5 over ${T} steps`, () => {
        const m = cfg.make(layers, new Rng(7 + layers));
        m.eval();
        const ref = reference(m, 100 + layers);
        const got = runStepper(m, ref, 'float32');
        for (let t = 0; t < T; t++) assertClose(got.outputs[t]!, ref.outputs[t]!, { rtol: 1e-5, atol: 1e-6, what: `step ${t}` });
        assertClose(got.h, ref.h, { rtol: 1e-5, atol: 1e-6, what: 'h_n' });
        if (ref.c) assertClose(got.c!, ref.c, { rtol: 1e-5, atol: 1e-6, what: 'c_n' });
      });

      it(`${cfg.name}, ${layers} layer(s): int8 within 0.01 of forward, and not float32`, () => {
        const m = cfg.make(layers, new Rng(7 + layers));
        m.eval();
        const ref = reference(m, 100 + layers);
        const got = runStepper(m, ref, 'int8');
        let worst = 0;
        for (let t = 0; t < T; t++) worst = Math.max(worst, maxDiff(got.outputs[t]!, ref.outputs[t]!));
        worst = Math.max(worst, maxDiff(got.h, ref.h), ref.c ? maxDiff(got.c!, ref.c) : 0);
        assert.ok(worst <= 0.01, `int8 drifted ${worst} from float32 forward`);
        assert.ok(worst > 0, 'int8 gave exactly the float32 result: quantisation did not run');
      });
    }
  }
});

describe('RecurrentStepper state and tokens', () => {
  it('resetState equals forward without h0/c0; getState/setState round-trip', () => {
    const m = new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2 }, new Rng(3));
    const rng = new Rng(4);
    const x = rand(rng, 6 * I);
    const want = noGrad(() => m.forward(new Tensor(x, [6, 1, I])));
    const s = new RecurrentStepper(m);
    s.setState({ h: rand(rng, 2 * H), c: rand(rng, 2 * H) });
    s.resetState();
    let last = new Float32Array(0);
    for (let t = 0; t < 6; t++) last = Float32Array.from(s.step(x.subarray(t * I, (t + 1) * I)));
    assertClose(last, want.output.data.subarray(5 * H), { rtol: 1e-5, atol: 1e-6, what: 'last output' });
    const st = s.getState();
    assertClose(st.h, want.h.data, { rtol: 1e-5, atol: 1e-6, what: 'h' });
    assertClose(st.c!, want.c.data, { rtol: 1e-5, atol: 1e-6, what: 'c' });
    // Continuing from a restored state gives the same next step as not having stopped.
    const next = Float32Array.from(s.step(x.subarray(0, I)));
    s.setState(st);
    assertBitEqual(s.step(x.subarray(0, I)), next, 'after setState');
    s.setState({ h: want.h, c: want.c }); // tensors work too
    assertClose(s.getState().h, want.h.data, { rtol: 0, atol: 0, what: 'h from tensor' });
  });

  for (const weights of ['float32', 'int8'] as const) {
    it(`stepToken (${weights}): table lookup ≈ step(E[id]); without the table it is step(E[id]) exactly`, () => {
      const V = 9;
      const m = new GRU({ inputSize: I, hiddenSize: H, numLayers: 2 }, new Rng(5));
      const E = new Tensor(rand(new Rng(6), V * I), [V, I]);
      const withTable = new RecurrentStepper(m, { weights, embedding: E });
      const noTable = new RecurrentStepper(m, { weights, embedding: E, maxTableFloats: 0 });
      const plain = new RecurrentStepper(m, { weights });
      assert.ok(withTable.hasTable && !noTable.hasTable);
      for (const id of [3, 0, 8, 3, 5, 1]) {
        const a = Float32Array.from(withTable.stepToken(id));
        const b = Float32Array.from(noTable.stepToken(id));
        const c = Float32Array.from(plain.step(E.data.subarray(id * I, (id + 1) * I)));
        assertBitEqual(b, c, `no table, id ${id}`);
        // The table holds the float32 projection even with int8 weights, hence the looser bound there.
        assertClose(a, c, weights === 'float32' ? { rtol: 1e-5, atol: 1e-6, what: `table, id ${id}` } : { rtol: 0, atol: 0.01, what: `table, id ${id}` });
      }
    });
  }

  const k = kernels();
  const stats = (k as { stats?: () => { allocs: number } }).stats;
  it('allocates no backend storage per step', { skip: !stats && `the ${backendName()} backend does not count its allocations` }, () => {
    assert.ok(stats);
    for (const weights of ['float32', 'int8'] as const) {
      const m = new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, projSize: 5 }, new Rng(8));
      const s = new RecurrentStepper(m, { weights, embedding: rand(new Rng(9), 4 * I) });
      const x = k.alloc(I).fill(0.25);
      s.step(x);
      s.stepToken(1);
      const before: number = stats().allocs;
      for (let t = 0; t < 30; t++) t % 2 ? s.step(x) : s.stepToken(t % 4);
      assert.equal(stats().allocs - before, 0, `${weights}: backend blocks allocated during steps`);
    }
  });

  it('refuses what it cannot run, naming the sizes', () => {
    assertThrowsWith(() => new RecurrentStepper(new LSTM({ inputSize: I, hiddenSize: H, bidirectional: true })), 'bidirectional');
    const s = new RecurrentStepper(new RNN({ inputSize: I, hiddenSize: H, numLayers: 2 }));
    assertThrowsWith(() => s.step(new Float32Array(4)), 'x has 4 features', 'inputSize=5');
    assertThrowsWith(() => s.stepToken(0), 'embedding');
    assertThrowsWith(() => s.setState({ h: new Float32Array(H) }), 'h has 12 values', '2·12');
    assertThrowsWith(() => s.setState({ h: new Float32Array(2 * H), c: new Float32Array(2 * H) }), 'only for LSTM');
    const e = new RecurrentStepper(new RNN({ inputSize: I, hiddenSize: H }), { embedding: new Float32Array(3 * I) });
    assertThrowsWith(() => e.stepToken(3), 'id 3 is not in [0, 3)');
    assertThrowsWith(() => new RecurrentStepper(new RNN({ inputSize: I, hiddenSize: H }), { embedding: new Tensor(new Float32Array(12), [3, 4]) }), 'inputSize=5');
  });
});
