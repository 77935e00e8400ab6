import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { backendName, kernels } from '../../src/kernels/index.js';
import type { CallCounts, KernelName } from '../../src/kernels/types.js';
import { GRU, LSTM, RNN, type RNNBase } from '../../src/nn/rnn/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { relError } from '../helpers/rel-error.js';
import { digest, fill } from './large-fill.js';
import { loadFixture, type Fixture } from './helpers.js';

// Realistic sizes against PyTorch (scripts/fixtures/gen_rnn_large.py): H=256, B=32, T=64,
// 2 layers, bidirectional, lengths and h0/c0, for LSTM with projSize, GRU and tanh RNN. The
// expected values are PyTorch's float64 results; tensors larger than config.full_max are
// compared through their digest (row sums, column sums, every 13th element). Every stored
// tensor must be within 1e-5 of its largest value (PyTorch float32 itself: < 1e-6).

const TOL = 1e-5;
let worst = { err: 0, where: '' };
let compared = 0;
after(() => console.log(`# rnn golden large (${backendName()}): ${compared} tensors compared, max relative error ${worst.err.toExponential(2)} (${worst.where})`));

interface FillSpec { seed: number; scale: number; shape: number[] }

function filled(f: Fixture, name: string, requiresGrad = false): Tensor {
  const spec = (f.config.fill as Record<string, FillSpec>)[name];
  assert.ok(spec, `${name}: no fill spec in the fixture`);
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const data = fill(spec.seed, n, spec.scale);
  // The fixture keeps the first values of each fill, so a hash mismatch is told apart from a model mismatch.
  assert.deepEqual(Array.from(data.subarray(0, 8)), Array.from(f.t.get(`fill.${name}`)!.data), `fill(${name}) differs from the generator's`);
  return new Tensor(data, spec.shape, { requiresGrad });
}

function compare(file: string, f: Fixture, name: string, got: Tensor | null): void {
  assert.ok(got, `${file} ${name}: missing`);
  const c = f.config as { full_max: number; digest: { stride: number; offset: number } };
  const parts: [string, ArrayLike<number>][] = [];
  if (got.data.length <= c.full_max) parts.push([name, got.data]);
  else {
    const d = digest(got.data, got.shape[got.shape.length - 1]!, c.digest.stride, c.digest.offset);
    for (const k of ['rowsum', 'colsum', 'sample'] as const) parts.push([`${name}.${k}`, d[k]]);
  }
  for (const [key, values] of parts) {
    const want = f.t.get(key);
    assert.ok(want, `${file}: no '${key}' in the fixture`);
    const e = relError(values, want.data);
    compared++;
    if (!(e <= worst.err)) worst = { err: e, where: `${file} ${key}` };
    assert.ok(e <= TOL, `${file} ${key}: relative error ${e.toExponential(2)} > ${TOL}`);
  }
}

/** Calls the compiled backend served and refused per kernel (js has no counter: null). */
function calls(): CallCounts | null {
  const k = kernels() as { calls?: () => CallCounts };
  return k.calls ? k.calls() : null;
}

/**
 * On a compiled backend the gate kernels and the GEMMs ran there, none handed to the reference;
 * the per-step products with W_hh as packed products (gemmPackedB: on native, its own kernel
 * over panels rather than OpenBLAS).
 */
function assertServed(before: CallCounts | null, mode: string): void {
  const after = calls();
  if (!before || !after) return;
  const gates: Record<string, KernelName[]> = {
    lstm_proj: ['lstmGatesForward', 'lstmGatesBackward'], gru: ['gruGatesForward', 'gruGatesBackward'], rnn_tanh: ['rnnGatesForward', 'rnnGatesBackward'],
  };
  for (const name of [...gates[mode]!, 'gemm', 'gemmPackedB'] as KernelName[]) {
    const nServed: number = (after[name]?.served ?? 0) - (before[name]?.served ?? 0);
    const nRefused: number = (after[name]?.refused ?? 0) - (before[name]?.refused ?? 0);
    assert.ok(nServed > 0, `${backendName()} served no ${name} call`);
    assert.equal(nRefused, 0, `${backendName()} refused ${nRefused} ${name} calls`);
  }
}

function runCase(file: string): void {
  const f = loadFixture(`../rnn-large/${file}`);
  const c = f.config;
  const common = {
    inputSize: c.input_size as number, hiddenSize: c.hidden_size as number, numLayers: c.num_layers as number,
    bidirectional: c.bidirectional as boolean, batchFirst: c.batch_first as boolean,
  };
  const mode = c.mode as string;
  const model: RNNBase & { forward: LSTM['forward'] } = (mode === 'rnn_tanh' ? new RNN({ ...common, nonlinearity: 'tanh' })
    : mode === 'gru' ? new GRU(common) : new LSTM({ ...common, projSize: c.proj_size as number })) as RNNBase & { forward: LSTM['forward'] };
  const names = [...model.namedParameters().keys()];
  model.loadStateDict(new Map(names.map((n) => [n, filled(f, n)])));
  const before = calls();

  const x = filled(f, 'input', true);
  const h0 = filled(f, 'h0', true);
  const isLstm = model instanceof LSTM;
  const c0 = isLstm ? filled(f, 'c0', true) : undefined;
  const lengths = Array.from(f.t.get('lengths')!.data, Math.round);
  const { output, h, c: cn } = model.forward(x, { lengths, h0, c0 });
  compare(file, f, 'output', output);
  compare(file, f, 'h_n', h);
  if (isLstm) compare(file, f, 'c_n', cn);

  let loss = output.mul(filled(f, 'R')).sum().add(h.mul(filled(f, 'S')).sum());
  if (isLstm) loss = loss.add(cn.mul(filled(f, 'U')).sum());
  loss.backward();
  compare(file, f, 'grad.input', x.grad);
  compare(file, f, 'grad.h0', h0.grad);
  if (c0) compare(file, f, 'grad.c0', c0.grad);
  for (const [n, p] of model.namedParameters()) compare(file, f, `grad.${n}`, p.grad);
  assertServed(before, mode);
}

test('runs on the backend the suite asked for', () => {
  const want = process.env.RECUR_BACKEND;
  if (want) assert.equal(backendName(), want);
});

for (const file of ['lstm_proj_L2_bi_H256.safetensors', 'gru_L2_bi_H256.safetensors', 'rnn_tanh_L2_bi_H256.safetensors']) {
  test(`${file}: outputs, final states and all gradients within ${TOL} of PyTorch float64`, () => runCase(file));
}
