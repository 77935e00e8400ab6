import { concat, indexSelect, relu, sigmoid, slice, softmax, tanh } from '../../autograd/ops/index.js';
import { RecurError } from '../../errors.js';
import { saveSafetensors, parseSafetensors } from '../../io/safetensors.js';
import { Embedding } from '../../nn/embedding.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { lastStatePool } from '../../nn/pooling.js';
import { GRU } from '../../nn/rnn/gru.js';
import { LSTM } from '../../nn/rnn/lstm.js';
import { RNN } from '../../nn/rnn/rnn.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { weightCount, type LayerSpec, type RecurrentSpec } from './layers.js';

/** One weight array as Keras stores it. */
export interface KerasWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

export const KERAS_IMPORT_FORMAT = 'recur-keras-import-1';

/** Keras's gate blocks per torch block: GRU z,r,h -> r,z,n; LSTM i,f,c,o is already torch's i,f,g,o. */
const KERAS_GATE = { SimpleRNN: [0], LSTM: [0, 1, 2, 3], GRU: [1, 0, 2] } as const;

/**
 * A Keras Sequential model rebuilt from recur modules, computing what Keras computes:
 *
 *     Embedding(input_dim, output_dim, mask_zero)  -> nn.Embedding; mask_zero gives each row's length
 *     SimpleRNN / LSTM / GRU (units, return_sequences) -> nn.RNN / LSTM / GRU (batchFirst, lengths)
 *     Bidirectional(..., merge_mode='concat')      -> the same with bidirectional: true
 *     Dense(units, activation)                      -> nn.Linear + activation on the last axis
 *     Dropout                                       -> identity (inference)
 *
 * Weights: kernels [in, G·H] are transposed to weight_ih [G·H, in], gate blocks reordered
 * (Keras GRU z,r,h -> r,z,n; Keras LSTM i,f,c,o is PyTorch's i,f,g,o); Keras's one bias goes to
 * bias_ih with bias_hh = 0, except GRU reset_after's [2, 3H] (input row, recurrent row). A
 * reset_before GRU (Keras 2, TensorFlow.js) becomes GRU({ resetAfter: false }).
 *
 * Masking (mask_zero): ids equal to 0 must be right padding. Final states are those after each
 * row's last valid step. With return_sequences, masked steps repeat the last valid output in
 * the forward direction and are zero in the backward one, as Keras and TensorFlow.js do (zeros
 * in both with zero_output_for_mask=True).
 *
 * | input/output | shape |
 * |---|---|
 * | input | [B, T] ids when the first layer is Embedding, else [B, T, F] |
 * | output | the last layer's: [B, T, ·] or [B, ·] |
 */
export class KerasSequential extends Module {
  readonly specs: LayerSpec[];
  /** F of a [B, T, F] input; null when the model starts with an Embedding. */
  readonly inputFeatures: number | null;
  private readonly mods: Array<Embedding | Linear | RNN | LSTM | GRU | null> = [];

  constructor(specs: LayerSpec[], inputFeatures: number | null) {
    super();
    this.specs = specs.map((s) => ({ ...s }));
    this.inputFeatures = inputFeatures;
    let features = inputFeatures;
    specs.forEach((s, i) => {
      const at = `layer ${i} '${s.name}' (${s.kind})`;
      switch (s.kind) {
        case 'Dropout': this.mods.push(null); return;
        case 'Embedding':
          if (i !== 0) throw new RecurError(`Keras import: ${at} must be the first layer`);
          this.mods.push(this.module(s.name, new Embedding(s.inputDim, s.outputDim)));
          features = s.outputDim;
          return;
        case 'Dense':
          if (features === null) throw new RecurError(`Keras import: ${at} has no known input size (give the model an input shape)`);
          this.mods.push(this.module(s.name, new Linear(features, s.units, { bias: s.useBias })));
          features = s.units;
          return;
        default: {
          if (features === null) throw new RecurError(`Keras import: ${at} has no known input size (give the model an input shape)`);
          const o = { inputSize: features, hiddenSize: s.units, batchFirst: true, bias: s.useBias, bidirectional: s.bidirectional };
          this.mods.push(this.module(s.name, s.kind === 'LSTM' ? new LSTM(o) : s.kind === 'GRU' ? new GRU({ ...o, resetAfter: s.resetAfter }) : new RNN({ ...o, nonlinearity: s.activation })));
          features = s.units * (s.bidirectional ? 2 : 1);
        }
      }
    });
  }

  /** Copies Keras weight arrays, in Keras's order (each layer's in turn), into the modules. */
  setKerasWeights(weights: KerasWeight[], where: string): void {
    let k = 0;
    this.specs.forEach((s, i) => {
      const n = weightCount(s);
      const ws = weights.slice(k, k + n);
      k += n;
      if (ws.length !== n) throw new RecurError(`${where}: layer ${i} '${s.name}' needs ${n} weight arrays, the file has only ${ws.length} left`);
      const m = this.mods[i];
      const at = `${where}: layer ${i} '${s.name}'`;
      if (m instanceof Embedding) copy(ws[0]!, m.weight.data, [s.kind === 'Embedding' ? s.inputDim : 0, m.embeddingDim], at);
      else if (m instanceof Linear) {
        copyTransposed(ws[0]!, m.weight.data, m.inFeatures, m.outFeatures, [0], at);
        if (m.bias) copy(ws[1]!, m.bias.data, [m.outFeatures], at);
      } else if (m) setRecurrent(m, s as RecurrentSpec, ws, at);
    });
    if (k !== weights.length) throw new RecurError(`${where}: ${weights.length} weight arrays for layers that take ${k}`);
  }

  forward(input: Tensor | Int32Array, B?: number, T?: number): Tensor {
    let x: Tensor;
    let lengths: number[] | null = null;
    const first = this.specs[0];
    if (first?.kind === 'Embedding') {
      if (!(input instanceof Int32Array) || B === undefined || T === undefined || input.length !== B * T) {
        throw new RecurError(`KerasSequential: the model starts with an Embedding, so it takes ids [B, T] (an Int32Array with B and T)`);
      }
      x = (this.mods[0] as Embedding).forward(new Tensor(Float32Array.from(input), [B, T]));
      if (first.maskZero) lengths = maskLengths(input, B, T);
    } else {
      if (!(input instanceof Tensor) || input.ndim !== 3) throw new RecurError(`KerasSequential: input must be a [B, T, F] Tensor, got ${input instanceof Tensor ? shapeStr(input.shape) : 'ids'}`);
      x = input;
    }
    this.specs.forEach((s, i) => {
      const m = this.mods[i];
      if (s.kind === 'Embedding' || !m) return;
      if (m instanceof Linear) {
        x = activate(m.forward(x), s.kind === 'Dense' ? s.activation : 'linear');
        return;
      }
      const r = s as RecurrentSpec;
      if (x.ndim !== 3) throw new RecurError(`KerasSequential: layer ${i} '${s.name}' needs a sequence [B, T, F], got ${shapeStr(x.shape)}`);
      const rnn = m as RNN | LSTM | GRU;
      const out = rnn.forward(x, lengths ? { lengths } : {});
      if (!r.returnSequences) {
        x = lastStatePool(out.h, rnn.numDirections);
        lengths = null;
      } else {
        x = lengths && !r.zeroOutputForMask ? repeatLastOutput(out.output, lengths, r.units, rnn.numDirections) : out.output;
      }
    });
    return x;
  }

  /** The model as a safetensors file: its layer specs in the metadata, its weights by name. */
  save(): Uint8Array {
    return saveSafetensors(this.stateDict(), { format: KERAS_IMPORT_FORMAT, layers: JSON.stringify(this.specs), inputFeatures: JSON.stringify(this.inputFeatures) });
  }

  static load(bytes: Uint8Array, source = 'model'): KerasSequential {
    const { tensors, metadata } = parseSafetensors(bytes, { source });
    if (metadata.format !== KERAS_IMPORT_FORMAT) throw new RecurError(`${source}: not an imported Keras model (format '${metadata.format ?? 'missing'}', expected '${KERAS_IMPORT_FORMAT}')`);
    let specs: LayerSpec[], inputFeatures: number | null;
    try {
      specs = JSON.parse(metadata.layers ?? '') as LayerSpec[];
      inputFeatures = JSON.parse(metadata.inputFeatures ?? 'null') as number | null;
    } catch {
      throw new RecurError(`${source}: the layer list in the metadata is not valid JSON`);
    }
    const m = new KerasSequential(specs, inputFeatures);
    m.loadStateDict(tensors);
    return m.eval();
  }
}

function activate(x: Tensor, a: string): Tensor {
  switch (a) {
    case 'linear': return x;
    case 'tanh': return tanh(x);
    case 'relu': return relu(x);
    case 'sigmoid': return sigmoid(x);
    case 'softmax': return softmax(x, -1);
    default: throw new RecurError(`KerasSequential: unknown activation '${a}'`);
  }
}

/** Lengths of right-padded rows (0 = padding); a 0 before a real id is refused: recur masks suffixes only. */
function maskLengths(ids: Int32Array, B: number, T: number): number[] {
  return Array.from({ length: B }, (_, b) => {
    let len = T;
    while (len > 0 && ids[b * T + len - 1] === 0) len--;
    for (let t = 0; t < len; t++) {
      if (ids[b * T + t] === 0) throw new RecurError(`KerasSequential: id 0 (mask_zero padding) at step ${t} of row ${b} is followed by real ids; recur masks right padding only`);
    }
    if (len === 0) throw new RecurError(`KerasSequential: row ${b} is all padding (mask_zero)`);
    return len;
  });
}

/** Keras's masked return_sequences: forward outputs past a row's length repeat its last valid one. */
function repeatLastOutput(out: Tensor, lengths: number[], H: number, D: number): Tensor {
  const [B, T] = out.shape as [number, number, number];
  const idx = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) idx[b * T + t] = b * T + Math.min(t, lengths[b]! - 1);
  const fwd = indexSelect(slice(out, 2, 0, H).reshape([B * T, H]), idx).reshape([B, T, H]);
  return D === 1 ? fwd : concat([fwd, slice(out, 2, H, 2 * H)], 2);
}

function checkShape(w: KerasWeight, want: number[], at: string): void {
  if (w.shape.length !== want.length || w.shape.some((d, i) => want[i] !== 0 && d !== want[i])) {
    throw new RecurError(`${at}: weight ${w.name} has shape [${w.shape.join(', ')}], expected [${want.map((d) => (d === 0 ? '?' : d)).join(', ')}]`);
  }
}

function copy(w: KerasWeight, dst: Float32Array, want: number[], at: string): void {
  checkShape(w, want, at);
  if (w.data.length !== dst.length) throw new RecurError(`${at}: weight ${w.name} has ${w.data.length} values, expected ${dst.length}`);
  dst.set(w.data);
}

/**
 * Keras kernel [in, G·H] -> torch weight [G·H, in] with gate blocks reordered: torch block g is
 * Keras block order[g].
 */
function copyTransposed(w: KerasWeight, dst: Float32Array, inF: number, outF: number, order: readonly number[], at: string): void {
  checkShape(w, [inF, outF], at);
  const H = order.length > 1 ? outF / order.length : outF;
  const src = w.data;
  for (let g = 0; g < order.length; g++) {
    const kb = order[g]! * H;
    for (let h = 0; h < H; h++) for (let i = 0; i < inF; i++) dst[(g * H + h) * inF + i] = src[i * outF + kb + h]!;
  }
}

/** A Keras bias [G·H] reordered into torch's gate order. */
function copyBias(src: Float32Array, dst: Float32Array, order: readonly number[], H: number): void {
  order.forEach((k, g) => dst.set(src.subarray(k * H, (k + 1) * H), g * H));
}

function setRecurrent(m: RNN | LSTM | GRU, s: RecurrentSpec, ws: KerasWeight[], at: string): void {
  const order = KERAS_GATE[s.kind];
  const H = s.units, G = order.length * H;
  const p = m.namedParameters();
  const per = s.useBias ? 3 : 2;
  for (let d = 0; d < m.numDirections; d++) {
    const [kernel, recurrentKernel, bias] = ws.slice(d * per, (d + 1) * per);
    const sfx = `_l0${d === 1 ? '_reverse' : ''}`;
    const dir = `${at}${m.numDirections === 2 ? (d === 0 ? ' forward' : ' backward') : ''}`;
    copyTransposed(kernel!, p.get(`weight_ih${sfx}`)!.data, m.inputSize, G, order, dir);
    copyTransposed(recurrentKernel!, p.get(`weight_hh${sfx}`)!.data, H, G, order, dir);
    if (!bias) continue;
    const bIh = p.get(`bias_ih${sfx}`)!.data, bHh = p.get(`bias_hh${sfx}`)!.data;
    if (s.kind === 'GRU' && s.resetAfter) {
      checkShape(bias, [2, G], dir);
      copyBias(bias.data.subarray(0, G), bIh, order, H);
      copyBias(bias.data.subarray(G), bHh, order, H);
    } else {
      checkShape(bias, [G], dir);
      copyBias(bias.data, bIh, order, H);
      bHh.fill(0);
    }
  }
}
