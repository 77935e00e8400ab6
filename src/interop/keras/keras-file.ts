import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import h5wasm from 'h5wasm/node';
import { RecurError } from '../../errors.js';
import { inputFeatures } from './input-shape.js';
import { modelLayers } from './functional.js';
import { parseLayers, weightCount } from './layers.js';
import { KerasSequential, type KerasWeight } from './model.js';

type H5Group = InstanceType<typeof h5wasm.Group>;

/**
 * A Keras 3 `.keras` file: a zip of `config.json` (the model config) and `model.weights.h5`,
 * where each layer's variables are datasets `layers/<name>/.../vars/<i>` (an RNN's under
 * `cell/`, a Bidirectional's under `forward_layer/` then `backward_layer/`).
 */
export async function importKeras(file: string): Promise<{ model: KerasSequential; inputFeatures: number | null }> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(readFileSync(file));
  } catch (e) {
    throw new RecurError(`${file}: not a readable .keras zip (${(e as Error).message.split('\n')[0]})`);
  }
  const configBytes = entries['config.json'];
  const h5 = entries['model.weights.h5'];
  if (!configBytes || !h5) throw new RecurError(`${file}: a .keras file holds config.json and model.weights.h5; found ${Object.keys(entries).join(', ') || 'nothing'}`);
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(configBytes));
  } catch {
    throw new RecurError(`${file}: config.json is not valid JSON`);
  }
  const layersJson = modelLayers(config, file);
  const specs = parseLayers(layersJson, file);
  const F = inputFeatures(layersJson);
  const model = new KerasSequential(specs, F);
  const weights = await readWeights(h5, specs.map((s) => ({ name: s.name, count: weightCount(s) })), file);
  model.setKerasWeights(weights, file);
  return { model: model.eval(), inputFeatures: F };
}

/** Each layer's datasets from the HDF5 bytes, in Keras's order. h5wasm reads files, so the bytes go through a temp file. */
async function readWeights(bytes: Uint8Array, layers: Array<{ name: string; count: number }>, file: string): Promise<KerasWeight[]> {
  await h5wasm.ready;
  const dir = mkdtempSync(join(tmpdir(), 'recur-keras-'));
  const path = join(dir, 'model.weights.h5');
  writeFileSync(path, bytes);
  let f: InstanceType<typeof h5wasm.File> | null = null;
  try {
    try {
      f = new h5wasm.File(path, 'r');
    } catch {
      throw new RecurError(`${file}: model.weights.h5 is not a readable HDF5 file`);
    }
    const root = f.get('layers') as H5Group | null;
    const out: KerasWeight[] = [];
    for (const l of layers) {
      if (l.count === 0) continue;
      const g = root?.get(l.name);
      if (!(g instanceof h5wasm.Group)) throw new RecurError(`${file}: model.weights.h5 has no group layers/${l.name} for layer '${l.name}'`);
      const ws = collect(g, `layers/${l.name}`);
      if (ws.length !== l.count) throw new RecurError(`${file}: layers/${l.name} holds ${ws.length} weight arrays, layer '${l.name}' needs ${l.count}`);
      out.push(...ws);
    }
    return out;
  } finally {
    f?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Datasets under a layer group: its own vars/0, vars/1, ... then the sub-layers' (forward before backward). */
function collect(g: H5Group, path: string): KerasWeight[] {
  const out: KerasWeight[] = [];
  const keys = g.keys();
  const rank = (k: string): number => (k === 'vars' ? 0 : k === 'forward_layer' ? 1 : k === 'backward_layer' ? 2 : 3);
  for (const k of [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
    const child = g.get(k);
    if (!(child instanceof h5wasm.Group)) continue;
    if (k === 'vars') {
      const vars = child as H5Group;
      for (const v of vars.keys().sort((a, b) => Number(a) - Number(b))) {
        const d = vars.get(v);
        if (!(d instanceof h5wasm.Dataset)) continue;
        const name = `${path}/vars/${v}`;
        const value = d.value;
        if (!(value instanceof Float32Array) && !(value instanceof Float64Array)) throw new RecurError(`${name}: dtype ${String(d.dtype)} is not float32`);
        out.push({ name, shape: [...(d.shape ?? [])], data: Float32Array.from(value) });
      }
    } else out.push(...collect(child, `${path}/${k}`));
  }
  return out;
}
