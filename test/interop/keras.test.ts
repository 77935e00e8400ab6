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
import { modelLayers } from '../../src/interop/keras/functional.js';
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
function writeKeras(model: tf.LayersModel, s: Saved, name: string, keras3Config?: object): string {
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
  const config = keras3Config ?? (s.topology.model_config ?? s.topology) as Record<string, unknown>;
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

interface TfjsGraphLayer { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: Array<Array<[string, number, number, object]>> }
interface TfjsGraph { class_name: string; config: { name: string; layers: TfjsGraphLayer[]; input_layers: unknown[][]; output_layers: unknown[][] } }

/**
 * A tfjs functional topology ("Model", Keras 2's form) rewritten as Keras 3 writes a
 * Functional config.json: `batch_shape`, inbound nodes as {args, kwargs} of __keras_tensor__
 * objects (a merge layer's args hold their list), a single input as a flat [name, 0, 0].
 */
function keras3Functional(topology: Record<string, unknown>): object {
  const c = (topology as unknown as TfjsGraph).config;
  const tensor = ([n, ni, ti]: [string, number, number, object]): object => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [n, ni, ti] } });
  return {
    module: 'keras.src.models.functional', class_name: 'Functional', config: {
      name: c.name, trainable: true,
      layers: c.layers.map((l) => ({
        module: 'keras.layers', class_name: l.class_name, name: l.name,
        config: l.class_name === 'InputLayer' ? { batch_shape: l.config.batch_input_shape, dtype: 'float32', name: l.name } : l.config,
        inbound_nodes: l.inbound_nodes.map((node) => ({ args: node.length === 1 ? [tensor(node[0]!)] : [node.map(tensor)], kwargs: { training: false } })),
      })),
      input_layers: c.input_layers.length === 1 ? c.input_layers[0] : c.input_layers, output_layers: c.output_layers,
    },
  };
}

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor => layer.apply(x) as tf.SymbolicTensor;

describe('Functional models (Keras 3 "Functional", tfjs "Model") whose layers form one chain', () => {
  const chains: Array<{ name: string; build: () => tf.LayersModel; F?: number }> = [
    {
      name: 'Input > Embedding(mask_zero) > Bidirectional(LSTM, return_sequences) > Dropout > GRU > Dense(softmax)',
      build: () => {
        const inp = tf.input({ shape: [T] });
        let x = apply(tf.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true }), inp);
        x = apply(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true, ...sig }) as tf.RNN }), x);
        x = apply(tf.layers.dropout({ rate: 0.3 }), x);
        x = apply(tf.layers.gru({ units: 4, ...sig }), x);
        return tf.model({ inputs: inp, outputs: apply(tf.layers.dense({ units: 3, activation: 'softmax' }), x) });
      },
    },
    {
      name: 'Input[T, 3] > SimpleRNN(return_sequences) > Dense(tanh) per step > LSTM(no bias)',
      build: () => {
        const inp = tf.input({ shape: [T, 3] });
        let x = apply(tf.layers.simpleRNN({ units: 4, returnSequences: true }), inp);
        x = apply(tf.layers.dense({ units: 5, activation: 'tanh' }), x);
        return tf.model({ inputs: inp, outputs: apply(tf.layers.lstm({ units: 2, useBias: false, ...sig }), x) });
      },
      F: 3,
    },
  ];
  chains.forEach((c, n) => {
    test(c.name, async () => {
      const model = c.build();
      model.setWeights(model.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.6, 0.6, 'float32', 500 + 10 * n + i)));
      const x = c.F ? Float32Array.from({ length: B * T * c.F }, (_, i) => Math.cos(i * 1.3 + n)) : Int32Array.from(ids.flat());
      const shape = c.F ? [B, T, c.F] : [B, T];
      const want = (model.predict(c.F ? tf.tensor3d(x as Float32Array, [B, T, c.F]) : tf.tensor2d(ids, [B, T], 'float32')) as tf.Tensor).dataSync() as Float32Array;
      const saved = await saveTfjs(model);
      assert.equal(saved.topology.class_name, 'Model');
      const fromTfjs = importTfjs(writeTfjs(saved, `chain${n}`)).model;
      const e1 = relError(recurPredict(fromTfjs, x, shape), want);
      assert.ok(e1 <= TOL, `model.json import: rel err ${e1}`);
      const fromKeras = (await importKeras(writeKeras(model, saved, `chain${n}`, keras3Functional(saved.topology)))).model;
      const e2 = relError(recurPredict(fromKeras, x, shape), want);
      assert.ok(e2 <= TOL, `.keras import: rel err ${e2}`);
    });
  });

  test('a merge, a branch, two outputs and a shared layer are errors naming the layer', async () => {
    const inp = tf.input({ shape: [T, 2] });
    const a = apply(tf.layers.lstm({ units: 2, returnSequences: true, ...sig, name: 'left' }), inp);
    const b = apply(tf.layers.gru({ units: 2, returnSequences: true, ...sig, name: 'right' }), inp);
    const merged = tf.model({ inputs: inp, outputs: apply(tf.layers.dense({ units: 1, name: 'out' }), apply(tf.layers.concatenate({ name: 'joined' }), [a, b])) });
    const topo = (await saveTfjs(merged)).topology;
    for (const [what, json] of [['tfjs', topo], ['Keras 3', keras3Functional(topo)]] as const) {
      assert.throws(() => modelLayers(json, what), new RegExp(`^RecurError: ${what}: layer \\d+ 'joined' \\(Concatenate\\) merges 2 inputs \\(left, right\\); recur imports a single chain`), what);
    }
    const two = (await saveTfjs(tf.model({ inputs: inp, outputs: [a, b] }))).topology as unknown as TfjsGraph;
    assert.throws(() => modelLayers(two, 'm.json'), /m\.json: the model has 2 outputs \(left, right\); recur imports models with one input and one output/);
    // The same graph with only one declared output: the input branches into both layers.
    two.config.output_layers = [two.config.output_layers[0]!];
    assert.throws(() => modelLayers(two, 'm.json'), /layer 0 '[^']+' \(InputLayer\) feeds 2 layers \(left, right\): the graph branches/);
    const shared = tf.layers.dense({ units: 2, name: 'twice' });
    const twice = (await saveTfjs(tf.model({ inputs: inp, outputs: apply(shared, apply(shared, inp)) }))).topology;
    assert.throws(() => modelLayers(twice, 'm.json'), /layer 1 'twice' \(Dense\) is called 2 times \(a shared layer\)/);
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
