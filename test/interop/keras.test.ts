/**
 * Keras / TensorFlow.js import: random tfjs-layers models built here, saved as model.json + .bin
 * and as a Keras 3 .keras zip (config.json + model.weights.h5 written with h5wasm), imported
 * into recur, must give tfjs's predictions (rel err <= 1e-5). The reset_after GRU, which tfjs
 * lacks, is checked against a committed NumPy fixture (scripts/fixtures/gen_keras.py).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import h5wasm from 'h5wasm/node';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { importKeras, importTfjs, KerasSequential } from '../../src/interop/keras/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { relError } from '../helpers/rel-error.js';

const TOL = 1e-5;
let dir = '';
before(async () => {
  await tf.setBackend('cpu');
  await h5wasm.ready;
  dir = mkdtempSync(join(tmpdir(), 'recur-keras-test-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Saved { topology: Record<string, unknown>; specs: tf.io.WeightsManifestEntry[]; data: Uint8Array }

async function saveTfjs(model: tf.LayersModel): Promise<Saved> {
  let saved: Saved | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    const wd = a.weightData!;
    const buf = Array.isArray(wd) ? tf.io.concatenateArrayBuffers(wd) : wd;
    saved = { topology: a.modelTopology as Record<string, unknown>, specs: a.weightSpecs!, data: new Uint8Array(buf) };
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved!;
}

/** model.json + two .bin shards (split mid-weight, as tfjs shards are fixed-size). */
function writeTfjs(s: Saved, name: string): string {
  const half = Math.floor(s.data.length / 2);
  writeFileSync(join(dir, `${name}.1.bin`), s.data.subarray(0, half));
  writeFileSync(join(dir, `${name}.2.bin`), s.data.subarray(half));
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ format: 'layers-model', modelTopology: s.topology, weightsManifest: [{ paths: [`${name}.1.bin`, `${name}.2.bin`], weights: s.specs }] }));
  return path;
}

/** The same model as a Keras 3 .keras zip, with Keras 3's weight paths in model.weights.h5. */
function writeKeras(model: tf.LayersModel, s: Saved, name: string): string {
  const h5path = join(dir, `${name}.weights.h5`);
  const f = new h5wasm.File(h5path, 'w');
  const layersGroup = f.create_group('layers');
  const weights = model.getWeights();
  let k = 0;
  for (const layer of model.layers) {
    const n = layer.getWeights().length;
    if (n === 0) continue;
    const cls = layer.getClassName();
    const g = layersGroup.create_group(layer.name);
    const put = (grp: InstanceType<typeof h5wasm.Group>, count: number): void => {
      const vars = grp.create_group('vars');
      for (let i = 0; i < count; i++, k++) {
        const w = weights[k]!;
        vars.create_dataset({ name: String(i), data: Float32Array.from(w.dataSync()), shape: w.shape as number[], dtype: '<f' });
      }
    };
    if (cls === 'Bidirectional') {
      put(g.create_group('forward_layer').create_group('cell'), n / 2);
      put(g.create_group('backward_layer').create_group('cell'), n / 2);
    } else if (cls === 'LSTM' || cls === 'GRU' || cls === 'SimpleRNN') put(g.create_group('cell'), n);
    else put(g, n);
  }
  f.close();
  const config = (s.topology.model_config ?? s.topology) as Record<string, unknown>;
  const zip = zipSync({ 'config.json': new TextEncoder().encode(JSON.stringify(config)), 'model.weights.h5': readFileSync(h5path), 'metadata.json': new TextEncoder().encode('{}') });
  const path = join(dir, `${name}.keras`);
  writeFileSync(path, zip);
  return path;
}

function recurPredict(m: KerasSequential, x: Float32Array | Int32Array, shape: number[]): Float32Array {
  return noGrad(() => (x instanceof Int32Array ? m.forward(x, shape[0], shape[1]) : m.forward(new Tensor(x, shape)))).data;
}

interface Case {
  name: string;
  build: () => tf.Sequential;
  /** ids [B, T] (first layer Embedding) or features [B, T, F]. */
  input: { ids?: number[][]; F?: number };
}

const B = 3, T = 5;
const ids = [[3, 1, 4, 1, 5], [9, 2, 6, 0, 0], [5, 0, 0, 0, 0]];
const sig = { recurrentActivation: 'sigmoid' } as const;
const cases: Case[] = [
  {
    name: 'Embedding(mask_zero) > LSTM(return_sequences) > Dense(softmax)',
    build: () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputLength: T }),
      tf.layers.lstm({ units: 5, returnSequences: true, ...sig }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ] }),
    input: { ids },
  },
  {
    name: 'Embedding > Bidirectional(GRU reset_before, return_sequences) > GRU > Dense(tanh)',
    build: () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: T }),
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true, ...sig }) as tf.RNN, mergeMode: 'concat' }),
      tf.layers.gru({ units: 4, ...sig }),
      tf.layers.dense({ units: 2, activation: 'tanh' }),
    ] }),
    input: { ids },
  },
  {
    name: 'SimpleRNN(relu, return_sequences) > Bidirectional(SimpleRNN) > Dropout > Dense(sigmoid, no bias)',
    build: () => tf.sequential({ layers: [
      tf.layers.simpleRNN({ units: 4, activation: 'relu', returnSequences: true, inputShape: [T, 3] }),
      tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 3 }) as tf.RNN }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 2, activation: 'sigmoid', useBias: false }),
    ] }),
    input: { F: 3 },
  },
  {
    name: 'Embedding(mask_zero) > Bidirectional(LSTM, return_sequences) > Bidirectional(GRU) > Dense(relu)',
    build: () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 10, outputDim: 3, maskZero: true, inputLength: T }),
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4, returnSequences: true, ...sig }) as tf.RNN }),
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, ...sig }) as tf.RNN }),
      tf.layers.dense({ units: 4, activation: 'relu' }),
    ] }),
    input: { ids },
  },
  {
    name: 'Embedding(mask_zero) > Bidirectional(SimpleRNN, return_sequences) > Dense(linear), per step',
    build: () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 10, outputDim: 3, maskZero: true, inputLength: T }),
      tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 4, returnSequences: true }) as tf.RNN }),
      tf.layers.dense({ units: 2 }),
    ] }),
    input: { ids },
  },
  {
    name: 'LSTM(no bias, return_sequences) > GRU(no bias) ',
    build: () => tf.sequential({ layers: [
      tf.layers.lstm({ units: 4, useBias: false, returnSequences: true, inputShape: [T, 2], ...sig }),
      tf.layers.gru({ units: 3, useBias: false, ...sig }),
    ] }),
    input: { F: 2 },
  },
];

describe('TensorFlow.js model.json and Keras 3 .keras import match tfjs-layers', () => {
  cases.forEach((c, n) => {
    test(c.name, async () => {
      const model = c.build();
      // Random non-zero biases too (tfjs initialises them to 0, which would hide a bias mix-up).
      model.setWeights(model.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.6, 0.6, 'float32', 100 + 10 * n + i)));
      let x: Float32Array | Int32Array, shape: number[], input: tf.Tensor;
      if (c.input.ids) {
        x = Int32Array.from(c.input.ids.flat());
        shape = [B, T];
        input = tf.tensor2d(c.input.ids, [B, T], 'float32');
      } else {
        const F = c.input.F!;
        x = Float32Array.from({ length: B * T * F }, (_, i) => Math.sin(i * 1.7 + n));
        shape = [B, T, F];
        input = tf.tensor3d(x, [B, T, F]);
      }
      const want = (model.predict(input) as tf.Tensor).dataSync() as Float32Array;
      const saved = await saveTfjs(model);
      const fromTfjs = importTfjs(writeTfjs(saved, `case${n}`)).model;
      const e1 = relError(recurPredict(fromTfjs, x, shape), want);
      assert.ok(e1 <= TOL, `model.json import: rel err ${e1}`);
      const fromKeras = (await importKeras(writeKeras(model, saved, `case${n}`))).model;
      const e2 = relError(recurPredict(fromKeras, x, shape), want);
      assert.ok(e2 <= TOL, `.keras import: rel err ${e2}`);
      // Saved by recur and loaded back: the same numbers.
      const again = KerasSequential.load(fromTfjs.save());
      assert.deepEqual(recurPredict(again, x, shape), recurPredict(fromTfjs, x, shape));
    });
  });

  test('zero_output_for_mask=True: masked steps are zero in both directions', async () => {
    const model = tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 10, outputDim: 3, maskZero: true, inputLength: T }),
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2, returnSequences: true, ...sig }) as tf.RNN }),
    ] });
    model.setWeights(model.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.6, 0.6, 'float32', 900 + i)));
    // tfjs repeats the last output at masked steps; Keras with the flag writes zeros there instead.
    const tfjsOut = (model.predict(tf.tensor2d(ids, [B, T], 'float32')) as tf.Tensor).dataSync() as Float32Array;
    const want = Float32Array.from(tfjsOut, (v, i) => (ids.flat()[Math.floor(i / 4)] === 0 ? 0 : v));
    const saved = await saveTfjs(model);
    const layers = (saved.topology.config as { layers: Array<{ config: { layer?: { config: Record<string, unknown> } } }> }).layers;
    layers[1]!.config.layer!.config.zero_output_for_mask = true;
    const m = importTfjs(writeTfjs(saved, 'zero')).model;
    const got = recurPredict(m, Int32Array.from(ids.flat()), [B, T]);
    assert.ok(relError(got, want) <= TOL, `rel err ${relError(got, want)}`);
    assert.ok(relError(got, tfjsOut) > 1e-3, 'the flag should change the masked steps');
  });

  test('Keras 3 GRU reset_after (bias [2, 3H]) in a Bidirectional, against the NumPy fixture', async () => {
    const fx = JSON.parse(readFileSync(join(FIXTURES_DIR, 'keras', 'gru_reset_after.json'), 'utf8')) as { input: number[]; shape: number[]; output: number[] };
    const { model } = await importKeras(join(FIXTURES_DIR, 'keras', 'gru_reset_after.keras'));
    const e = relError(recurPredict(model, Float32Array.from(fx.input), fx.shape), fx.output);
    assert.ok(e <= TOL, `rel err ${e}`);
  });
});

describe('Keras import errors', () => {
  test('an unsupported layer is named with its position', async () => {
    const model = tf.sequential({ layers: [
      tf.layers.dense({ units: 3, inputShape: [T, 2] }),
      tf.layers.conv1d({ filters: 2, kernelSize: 2 }),
    ] });
    const path = writeTfjs(await saveTfjs(model), 'conv');
    assert.throws(() => importTfjs(path), /layer 1 '[^']*' \(Conv1D\) is not supported/);
  });

  test("tfjs's default hard_sigmoid gates are refused, naming the option", async () => {
    const model = tf.sequential({ layers: [tf.layers.lstm({ units: 2, inputShape: [T, 2] })] });
    const path = writeTfjs(await saveTfjs(model), 'hard');
    assert.throws(() => importTfjs(path), /layer 0 '[^']*' \(LSTM\): recurrent_activation 'hard_sigmoid' is not supported/);
  });

  test('a missing weight shard and a wrong .keras zip are named', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [T, 2] })] });
    const path = writeTfjs(await saveTfjs(model), 'missing');
    rmSync(join(dir, 'missing.2.bin'));
    assert.throws(() => importTfjs(path), /weight shard missing\.2\.bin is missing/);
    const bad = join(dir, 'bad.keras');
    writeFileSync(bad, zipSync({ 'config.json': new TextEncoder().encode('{}') }));
    await assert.rejects(importKeras(bad), /holds config\.json and model\.weights\.h5/);
  });
});
