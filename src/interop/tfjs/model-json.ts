import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RecurError } from '../../errors.js';
import { inputFeatures } from '../keras/input-shape.js';
import { modelLayers } from '../keras/functional.js';
import { parseLayers } from '../keras/layers.js';
import { KerasSequential, type KerasWeight } from '../keras/model.js';

interface WeightsGroup {
  paths?: unknown;
  weights?: Array<{ name?: unknown; shape?: unknown; dtype?: unknown; quantization?: unknown }>;
}

/**
 * A TensorFlow.js Layers model: `model.json` (modelTopology + weightsManifest) and the `*.bin`
 * shards it names, read from the same folder. Each manifest group's shards are one
 * concatenated buffer; its weights follow each other in it, float32 only.
 */
export function importTfjs(modelJson: string): { model: KerasSequential; inputFeatures: number | null } {
  let json: { modelTopology?: Record<string, unknown>; weightsManifest?: WeightsGroup[]; format?: unknown };
  try {
    json = JSON.parse(readFileSync(modelJson, 'utf8')) as typeof json;
  } catch (e) {
    throw new RecurError(`${modelJson}: not a readable model.json (${(e as Error).message.split('\n')[0]})`);
  }
  if (json.format === 'graph-model') throw new RecurError(`${modelJson}: a TensorFlow.js graph model; recur imports layers models (tf.LayersModel.save)`);
  const topo = json.modelTopology;
  const layersJson = modelLayers((topo?.model_config as unknown) ?? topo, modelJson);
  const specs = parseLayers(layersJson, modelJson);
  const F = inputFeatures(layersJson);
  const model = new KerasSequential(specs, F);
  const weights: KerasWeight[] = [];
  for (const [gi, group] of (json.weightsManifest ?? []).entries()) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new RecurError(`${modelJson}: weightsManifest group ${gi} has no paths or weights list`);
    const shards = group.paths.map((p) => {
      if (typeof p !== 'string' || p.includes('..')) throw new RecurError(`${modelJson}: weight shard path ${JSON.stringify(p)} is not a file name beside model.json`);
      try {
        return readFileSync(join(dirname(modelJson), p));
      } catch {
        throw new RecurError(`${modelJson}: weight shard ${p} is missing (expected beside model.json)`);
      }
    });
    const buf = Buffer.concat(shards);
    let offset = 0;
    for (const w of group.weights) {
      const name = String(w.name);
      if (w.dtype !== 'float32' || w.quantization) throw new RecurError(`${modelJson}: weight ${name} is ${w.quantization ? 'quantized' : String(w.dtype)}; recur imports float32 weights`);
      const shape = w.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RecurError(`${modelJson}: weight ${name} has no valid shape`);
      const n = (shape as number[]).reduce((a, b) => a * b, 1);
      if (offset + 4 * n > buf.length) throw new RecurError(`${modelJson}: the shards end inside weight ${name} (${buf.length} bytes)`);
      const data = new Float32Array(n);
      new Uint8Array(data.buffer).set(buf.subarray(offset, offset + 4 * n));
      offset += 4 * n;
      weights.push({ name, shape: shape as number[], data });
    }
    if (offset !== buf.length) throw new RecurError(`${modelJson}: group ${gi}'s shards hold ${buf.length} bytes, its weights ${offset}`);
  }
  model.setKerasWeights(weights, modelJson);
  return { model: model.eval(), inputFeatures: F };
}
