import { RecurError } from '../../errors.js';
import { sequentialLayers, type KerasLayerJson } from './layers.js';

/** A layer of a Functional config: its own name and the layers whose outputs it takes. */
interface GraphLayer extends KerasLayerJson {
  name?: unknown;
  inbound_nodes?: unknown;
}

/**
 * The layer list of a Sequential model, or of a Functional model (Keras 3 `Functional`,
 * Keras 2 / TensorFlow.js `Model`) whose graph is one chain Input -> layer -> layer ... ->
 * output, in chain order (the InputLayer first, which carries the input shape). A graph that
 * branches, merges, calls a layer twice or has several inputs or outputs is an error naming the
 * layer where it stops being a chain.
 */
export function modelLayers(model: unknown, where: string): KerasLayerJson[] {
  const m = model as { class_name?: unknown; config?: { layers?: unknown; input_layers?: unknown; output_layers?: unknown } } | null;
  if (!m || typeof m !== 'object') throw new RecurError(`${where}: no model config found`);
  if (m.class_name !== 'Functional' && m.class_name !== 'Model') return sequentialLayers(model, where);
  const layers = m.config?.layers;
  if (!Array.isArray(layers)) throw new RecurError(`${where}: the ${m.class_name} config has no layer list`);
  const graph = layers as GraphLayer[];
  const names = graph.map((l, i) => layerName(l, i));
  const at = (i: number): string => `${where}: layer ${i} '${names[i]}' (${String(graph[i]!.class_name)})`;
  const index = new Map(names.map((n, i) => [n, i]));
  const consumers = names.map((): number[] => []);
  graph.forEach((l, i) => {
    const nodes = Array.isArray(l.inbound_nodes) ? l.inbound_nodes : [];
    if (nodes.length > 1) throw new RecurError(`${at(i)} is called ${nodes.length} times (a shared layer); recur imports a single chain of layers`);
    const sources = nodes.length ? nodeSources(nodes[0]) : [];
    if (sources.length > 1) throw new RecurError(`${at(i)} merges ${sources.length} inputs (${sources.join(', ')}); recur imports a single chain of layers`);
    for (const s of sources) {
      const j = index.get(s);
      if (j === undefined) throw new RecurError(`${at(i)} takes the output of '${s}', which is not a layer of the model`);
      consumers[j]!.push(i);
    }
  });
  const ends = (key: 'input_layers' | 'output_layers', what: string): number => {
    const list = endpointNames(m.config?.[key]);
    if (list.length !== 1) throw new RecurError(`${where}: the model has ${list.length} ${what}s (${list.join(', ')}); recur imports models with one input and one output`);
    const i = index.get(list[0]!);
    if (i === undefined) throw new RecurError(`${where}: the model's ${what} '${list[0]}' is not one of its layers`);
    return i;
  };
  const input = ends('input_layers', 'input'), output = ends('output_layers', 'output');
  const chain = [input];
  for (let cur = input; cur !== output;) {
    const next = consumers[cur]!;
    if (next.length > 1) throw new RecurError(`${at(cur)} feeds ${next.length} layers (${next.map((j) => names[j]).join(', ')}): the graph branches; recur imports a single chain of layers`);
    if (next.length === 0) throw new RecurError(`${at(cur)} feeds no layer, but the output is '${names[output]}'`);
    cur = next[0]!;
    chain.push(cur);
  }
  const off = names.findIndex((_, i) => !chain.includes(i));
  if (off >= 0) throw new RecurError(`${at(off)} is not on the chain from '${names[input]}' to '${names[output]}'; recur imports a single chain of layers`);
  return chain.map((i) => ({ class_name: graph[i]!.class_name, config: graph[i]!.config ?? {} }));
}

function layerName(l: GraphLayer, i: number): string {
  const n = typeof l?.name === 'string' ? l.name : l?.config?.name;
  return typeof n === 'string' ? n : `layer_${i}`;
}

/**
 * The layers one inbound node reads from. Keras 3 writes `{args: [...], kwargs: {...}}` with
 * `__keras_tensor__` objects whose keras_history is [layer, node, tensor] (a merge layer's args
 * hold a list of them); Keras 2 and tfjs write a list of [layer, node, tensor, kwargs].
 */
function nodeSources(node: unknown): string[] {
  const out: string[] = [];
  if (node && typeof node === 'object' && !Array.isArray(node)) {
    collectTensors((node as { args?: unknown }).args, out);
    return out;
  }
  if (Array.isArray(node)) {
    for (const t of node) if (Array.isArray(t) && typeof t[0] === 'string') out.push(t[0]);
  }
  return out;
}

function collectTensors(v: unknown, out: string[]): void {
  if (Array.isArray(v)) {
    for (const x of v) collectTensors(x, out);
    return;
  }
  const t = v as { class_name?: unknown; config?: { keras_history?: unknown } } | null;
  if (t && typeof t === 'object' && t.class_name === '__keras_tensor__') {
    const h = t.config?.keras_history;
    if (Array.isArray(h) && typeof h[0] === 'string') out.push(h[0]);
  }
}

/** input_layers / output_layers: [[name, node, tensor], ...], or Keras 3's single [name, node, tensor]. */
function endpointNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === 'string') return [v[0]];
  return v.map((e) => (Array.isArray(e) ? String(e[0]) : String(e)));
}
