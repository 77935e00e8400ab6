import { RecurError } from '../../errors.js';
import type { Embedding } from '../../nn/embedding.js';
import type { Linear } from '../../nn/linear.js';
import { GRU } from '../../nn/rnn/gru.js';
import { LSTM } from '../../nn/rnn/lstm.js';
import { GRUCell, LSTMCell, RNNCell } from '../../nn/rnn/cells.js';
import { RNN } from '../../nn/rnn/rnn.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { OnnxGraph } from './graph.js';

/**
 * Converters from recur modules to ONNX nodes. Each takes value names and returns value names;
 * the weights become initializers. Layouts: recurrent values are time-major [T, B, ·], as
 * ONNX's LSTM/GRU/RNN with layout = 0.
 */

/** ONNX's gate blocks, as indices of PyTorch's: LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h. */
const GATE_ORDER = { lstm: [0, 3, 1, 2], gru: [1, 0, 2], rnn: [0] } as const;
type OnnxCell = keyof typeof GATE_ORDER;

interface DirWeights { wIh: Tensor; wHh: Tensor; bIh: Tensor | null; bHh: Tensor | null }

/** One recurrent stack as ONNX sees it: per layer, one or two directions of PyTorch-layout weights. */
export interface RecurrentSpec {
  label: string;
  cell: OnnxCell;
  hiddenSize: number;
  /** GRU: ONNX linear_before_reset (1 = PyTorch's form, 0 = Keras 2's reset_before). */
  linearBeforeReset: 0 | 1;
  activation: 'Tanh' | 'Relu';
  layers: DirWeights[][];
}

/** The spec of an RNN/LSTM/GRU module; an LSTM with projSize has no ONNX operator and is refused. */
export function recurrentSpec(label: string, m: RNN | LSTM | GRU): RecurrentSpec {
  if (m.projSize > 0) {
    throw new RecurError(`${label}: ONNX's LSTM operator has no projection, so an LSTM with projSize=${m.projSize} cannot be exported to ONNX`);
  }
  const p = m.namedParameters();
  const layers: DirWeights[][] = [];
  for (let l = 0; l < m.numLayers; l++) {
    const dirs: DirWeights[] = [];
    for (let d = 0; d < m.numDirections; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      dirs.push({ wIh: p.get(`weight_ih${sfx}`)!, wHh: p.get(`weight_hh${sfx}`)!, bIh: p.get(`bias_ih${sfx}`) ?? null, bHh: p.get(`bias_hh${sfx}`) ?? null });
    }
    layers.push(dirs);
  }
  return {
    label, hiddenSize: m.hiddenSize, layers,
    cell: m instanceof LSTM ? 'lstm' : m instanceof GRU ? 'gru' : 'rnn',
    linearBeforeReset: m instanceof GRU && !m.resetAfter ? 0 : 1,
    activation: m instanceof RNN && m.nonlinearity === 'relu' ? 'Relu' : 'Tanh',
  };
}

/** The spec of a one-layer, one-direction stack made of a cell (a decoder's step). */
export function cellSpec(label: string, c: RNNCell | LSTMCell | GRUCell): RecurrentSpec {
  const p = c.namedParameters();
  return {
    label, hiddenSize: c.hiddenSize,
    layers: [[{ wIh: p.get('weight_ih')!, wHh: p.get('weight_hh')!, bIh: p.get('bias_ih') ?? null, bHh: p.get('bias_hh') ?? null }]],
    cell: c instanceof LSTMCell ? 'lstm' : c instanceof GRUCell ? 'gru' : 'rnn',
    linearBeforeReset: c instanceof GRUCell && !c.resetAfter ? 0 : 1,
    activation: c instanceof RNNCell && c.nonlinearity === 'relu' ? 'Relu' : 'Tanh',
  };
}

/** Rows of a [G·H, K] matrix (or [G·H] vector) with its gate blocks reordered for ONNX. */
function reorderGates(t: Tensor, order: readonly number[], H: number): Float32Array {
  const row = t.ndim === 2 ? t.shape[1]! : 1;
  const out = new Float32Array(t.size);
  order.forEach((src, dst) => out.set(t.data.subarray(src * H * row, (src + 1) * H * row), dst * H * row));
  return out;
}

export interface RecurrentIO {
  /** [T, B, I]. */
  x: string;
  /** int32 [B] valid steps per sequence; omitted = all T. */
  seqLens?: string;
  /** [L·D, B, H] initial states; omitted = zeros. */
  h0?: string;
  c0?: string;
}

/**
 * A stack of ONNX LSTM/GRU/RNN nodes, one per layer (both directions in one node). Returns the
 * top layer's output [T, B, D·H] and the final states [L·D, B, H] in PyTorch's row order.
 */
export function recurrent(g: OnnxGraph, s: RecurrentSpec, io: RecurrentIO): { y: string; h: string; c: string | null } {
  const H = s.hiddenSize, order = GATE_ORDER[s.cell], G = order.length * H;
  const D = s.layers[0]!.length;
  const op = s.cell === 'lstm' ? 'LSTM' : s.cell === 'gru' ? 'GRU' : 'RNN';
  let x = io.x;
  const hs: string[] = [], cs: string[] = [];
  s.layers.forEach((dirs, l) => {
    const inSize = dirs[0]!.wIh.shape[1]!;
    const stack = (f: (w: DirWeights) => Float32Array): Float32Array => {
      const parts = dirs.map(f);
      const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) { out.set(p, o); o += p.length; }
      return out;
    };
    const W = g.floats(stack((w) => reorderGates(w.wIh, order, H)), [D, G, inSize], `${s.label}.W_l${l}`);
    const R = g.floats(stack((w) => reorderGates(w.wHh, order, H)), [D, G, H], `${s.label}.R_l${l}`);
    const hasBias = dirs[0]!.bIh !== null;
    const B = hasBias ? g.floats(stack((w) => {
      const b = new Float32Array(2 * G);
      b.set(reorderGates(w.bIh!, order, H), 0);
      b.set(reorderGates(w.bHh!, order, H), G);
      return b;
    }), [D, 2 * G], `${s.label}.B_l${l}`) : '';
    const rows = (state: string | undefined): string => (state ? sliceAxis(g, state, 0, l * D, (l + 1) * D) : '');
    const inputs = [x, W, R, B, io.seqLens ?? '', rows(io.h0)];
    if (s.cell === 'lstm') inputs.push(rows(io.c0));
    while (inputs[inputs.length - 1] === '') inputs.pop();
    const attrs: Record<string, number | string | string[]> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward' };
    if (s.cell === 'gru') attrs.linear_before_reset = s.linearBeforeReset;
    if (s.cell === 'rnn') attrs.activations = Array<string>(D).fill(s.activation);
    const [Y, Yh, Yc] = g.node(op, inputs, s.cell === 'lstm' ? 3 : 2, attrs);
    // Y [T, D, B, H] -> [T, B, D·H]: directions side by side, as PyTorch's output.
    x = g.op('Reshape', [g.op('Transpose', [Y!], { perm: [0, 2, 1, 3] }), g.ints([0, 0, D * H])]);
    hs.push(Yh!);
    if (Yc) cs.push(Yc);
  });
  const cat = (parts: string[]): string => (parts.length === 1 ? parts[0]! : g.op('Concat', parts, { axis: 0 }));
  return { y: x, h: cat(hs), c: cs.length ? cat(cs) : null };
}

/** x[..., start:end, ...] along one axis. */
export function sliceAxis(g: OnnxGraph, x: string, axis: number, start: number, end: number): string {
  return g.op('Slice', [x, g.ints([start]), g.ints([end]), g.ints([axis])]);
}

/** y = x Wᵀ + b for x of any rank [..., in]. */
export function linear(g: OnnxGraph, lin: Linear, x: string, label: string): string {
  // The registered parameter, not the field: a tied decoder's name points at the embedding's tensor.
  const weight = lin.namedParameters().get('weight')!;
  const [out, inF] = weight.shape as [number, number];
  const wt = new Float32Array(inF * out);
  const w = weight.data;
  for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) wt[i * out + o] = w[o * inF + i]!;
  const y = g.op('MatMul', [x, g.floats(wt, [inF, out], `${label}.weight_t`)]);
  return lin.bias ? g.op('Add', [y, g.floats(lin.bias.data, [out], `${label}.bias`)]) : y;
}

/** Rows of the embedding table for int64 ids of any shape: [*, E]. */
export function embedding(g: OnnxGraph, e: Embedding, ids: string, label: string): string {
  return g.op('Gather', [g.floats(e.weight.data, [...e.weight.shape], `${label}.weight`), ids], { axis: 0 });
}

/** Size of axis `axis` of x as an int64 [1] tensor. */
export function dimOf(g: OnnxGraph, x: string, axis: number): string {
  return g.op('Shape', [x], { start: axis, end: axis + 1 });
}

/** bool [B, T]: true at steps t < lengths[b] (lengths int32 [B], T taken from `like`'s axis `axis`). */
export function validSteps(g: OnnxGraph, lengths: string, like: string, axis: number): string {
  const T = g.op('Squeeze', [dimOf(g, like, axis), g.ints([0])]);
  const steps = g.op('Range', [g.ints([0], []), T, g.ints([1], [])]);
  const len = g.op('Unsqueeze', [g.op('Cast', [lengths], { to: 7 }), g.ints([1])]);
  return g.op('Less', [g.op('Unsqueeze', [steps, g.ints([0])]), len]);
}

/** x with -inf where `valid` is false (valid broadcasts against x). */
export function maskInvalid(g: OnnxGraph, x: string, valid: string): string {
  return g.op('Where', [valid, x, g.floats([-Infinity], [])]);
}

/** tensor.transpose for rank-3 values. */
export function transpose(g: OnnxGraph, x: string, perm: number[]): string {
  return g.op('Transpose', [x], { perm });
}
