import { RecurError } from '../../errors.js';

/**
 * Keras layer configs (Keras 3 `config.json` and TensorFlow.js `modelTopology`, both in
 * Keras's snake_case) read into the specs recur builds from. Only what recur computes exactly
 * is accepted: any other layer or option is an error naming the layer and its position.
 */

export type Activation = 'linear' | 'tanh' | 'relu' | 'sigmoid' | 'softmax';
export type RecurrentKind = 'SimpleRNN' | 'LSTM' | 'GRU';

export interface EmbeddingSpec { kind: 'Embedding'; name: string; inputDim: number; outputDim: number; maskZero: boolean }
export interface DenseSpec { kind: 'Dense'; name: string; units: number; activation: Activation; useBias: boolean }
export interface DropoutSpec { kind: 'Dropout'; name: string }
export interface RecurrentSpec {
  kind: RecurrentKind;
  name: string;
  units: number;
  useBias: boolean;
  returnSequences: boolean;
  /** SimpleRNN: tanh or relu. */
  activation: 'tanh' | 'relu';
  /** GRU: Keras 3's default reset_after=True (bias [2, 3H]) or Keras 2's reset_before (bias [3H]). */
  resetAfter: boolean;
  /** Masked steps output zeros (true) or repeat the last valid output (Keras's default). */
  zeroOutputForMask: boolean;
  /** Wrapped in Bidirectional(merge_mode='concat'). */
  bidirectional: boolean;
}
export type LayerSpec = EmbeddingSpec | DenseSpec | DropoutSpec | RecurrentSpec;

/** A Keras layer as it appears in a config: class_name and its config dict. */
export interface KerasLayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

const ACTIVATIONS: readonly Activation[] = ['linear', 'tanh', 'relu', 'sigmoid', 'softmax'];

/** The layer list of a Sequential model config (Keras 3 and tfjs put it in config.layers). */
export function sequentialLayers(model: unknown, where: string): KerasLayerJson[] {
  const m = model as { class_name?: unknown; config?: { layers?: unknown } } | null;
  if (!m || typeof m !== 'object') throw new RecurError(`${where}: no model config found`);
  if (m.class_name !== 'Sequential') {
    throw new RecurError(`${where}: the model is a ${String(m.class_name)}; recur imports Sequential models and Functional models whose layers form one chain`);
  }
  const layers = m.config?.layers;
  if (!Array.isArray(layers)) throw new RecurError(`${where}: the Sequential config has no layer list`);
  return layers as KerasLayerJson[];
}

/** Specs of the layers, in order; InputLayer entries are dropped. */
export function parseLayers(layers: KerasLayerJson[], where: string): LayerSpec[] {
  const out: LayerSpec[] = [];
  layers.forEach((l, i) => {
    const cls = l?.class_name;
    const c = l?.config ?? {};
    const name = typeof c.name === 'string' ? c.name : `layer_${i}`;
    const at = `${where}: layer ${i} '${name}' (${String(cls)})`;
    switch (cls) {
      case 'InputLayer': return;
      case 'Dropout': case 'SpatialDropout1D': out.push({ kind: 'Dropout', name }); return;
      case 'Embedding':
        out.push({ kind: 'Embedding', name, inputDim: int(c.input_dim, 'input_dim', at), outputDim: int(c.output_dim, 'output_dim', at), maskZero: c.mask_zero === true });
        return;
      case 'Dense':
        out.push({ kind: 'Dense', name, units: int(c.units, 'units', at), activation: activation(c.activation, at) as Activation, useBias: c.use_bias !== false });
        return;
      case 'SimpleRNN': case 'LSTM': case 'GRU':
        out.push(recurrent(cls, c, name, at, false));
        return;
      case 'Bidirectional': {
        const inner = c.layer as KerasLayerJson | undefined;
        const mode = c.merge_mode ?? 'concat';
        if (mode !== 'concat') throw new RecurError(`${at}: merge_mode '${String(mode)}' is not supported (recur concatenates the directions, merge_mode='concat')`);
        if (c.backward_layer) throw new RecurError(`${at}: a custom backward_layer is not supported`);
        const ic = inner?.class_name;
        if (ic !== 'SimpleRNN' && ic !== 'LSTM' && ic !== 'GRU') throw new RecurError(`${at}: wraps ${String(ic)}; recur supports Bidirectional SimpleRNN, LSTM and GRU`);
        out.push(recurrent(ic, inner!.config ?? {}, name, `${at} > ${ic}`, true));
        return;
      }
      default:
        throw new RecurError(`${at} is not supported; recur imports Embedding, SimpleRNN, LSTM, GRU, Bidirectional, Dense, Dropout and InputLayer`);
    }
  });
  return out;
}

function recurrent(kind: RecurrentKind, c: Record<string, unknown>, name: string, at: string, bidirectional: boolean): RecurrentSpec {
  for (const flag of ['go_backwards', 'stateful', 'return_state'] as const) {
    if (c[flag] === true) throw new RecurError(`${at}: ${flag}=True is not supported`);
  }
  const act = activation(c.activation ?? 'tanh', at);
  if (kind !== 'SimpleRNN' && act !== 'tanh') throw new RecurError(`${at}: activation '${act}' is not supported (recur's ${kind} uses tanh)`);
  if (act !== 'tanh' && act !== 'relu') throw new RecurError(`${at}: activation '${act}' is not supported (recur's SimpleRNN uses tanh or relu)`);
  if (kind !== 'SimpleRNN') {
    const ra = activation(c.recurrent_activation ?? 'sigmoid', at, true);
    if (ra !== 'sigmoid') throw new RecurError(`${at}: recurrent_activation '${ra}' is not supported (recur's gates use sigmoid)`);
  }
  const resetAfter = kind === 'GRU' && c.reset_after !== false;
  return {
    kind, name, bidirectional, units: int(c.units, 'units', at), useBias: c.use_bias !== false, returnSequences: c.return_sequences === true,
    activation: act as 'tanh' | 'relu', resetAfter, zeroOutputForMask: c.zero_output_for_mask === true,
  };
}

function int(v: unknown, what: string, at: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1e8) throw new RecurError(`${at}: ${what} must be a whole number in [1, 1e8], got ${JSON.stringify(v)}`);
  return v;
}

/** An activation name (Keras 3 may wrap it as a serialized object; tfjs writes snake_case). */
function activation(v: unknown, at: string, gate = false): Activation | string {
  let name = v;
  if (v && typeof v === 'object') name = (v as { config?: { name?: unknown }; class_name?: unknown }).config?.name ?? (v as { class_name?: unknown }).class_name;
  if (name === undefined || name === null) name = 'linear';
  if (typeof name !== 'string') throw new RecurError(`${at}: unreadable activation ${JSON.stringify(v)}`);
  if (gate) return name;
  if (!(ACTIVATIONS as readonly string[]).includes(name)) throw new RecurError(`${at}: activation '${name}' is not supported (${ACTIVATIONS.join(', ')})`);
  return name as Activation;
}

/** How many weight arrays a layer holds, in Keras's order. */
export function weightCount(s: LayerSpec): number {
  switch (s.kind) {
    case 'Embedding': return 1;
    case 'Dense': return s.useBias ? 2 : 1;
    case 'Dropout': return 0;
    default: return (s.useBias ? 3 : 2) * (s.bidirectional ? 2 : 1);
  }
}
