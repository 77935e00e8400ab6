import { RecurError } from '../../errors.js';
import { kernels } from '../../kernels/index.js';
import type { LanguageModel } from './model.js';

/**
 * What an LSTM language model computes at every position of a text, for the activation
 * visualiser (Karpathy, Johnson & Fei-Fei 2015): per layer, the cell's tanh(c_t) and the input,
 * forget and output gates; and the top-k next tokens after each position.
 *
 * | field | shape |
 * |---|---|
 * | cells[l], input[l], forget[l], output[l] | [T, H] row-major, layer l |
 * | top[t] | k entries of (id, prob), most likely first |
 *
 * The steps are run one by one here (the fused layer keeps no gates), with the layer's own
 * weights and PyTorch's equations (src/nn/rnn/lstm.ts); the final h and c equal the fused
 * forward's, which the test checks.
 */
export interface LstmTrace {
  T: number;
  L: number;
  H: number;
  cells: Float32Array[];
  input: Float32Array[];
  forget: Float32Array[];
  output: Float32Array[];
  /** Final state of each layer: h [L][H], c [L][H]. */
  h: Float32Array[];
  c: Float32Array[];
  top: Array<Array<{ id: number; prob: number }>>;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function traceLstm(model: LanguageModel, ids: Int32Array, k = 5): LstmTrace {
  const cfg = model.config;
  if (cfg.cell !== 'lstm') throw new RecurError(`the visualiser reads LSTM gates; this model's cell is '${cfg.cell}'`);
  const T = ids.length, H = cfg.hiddenSize, L = cfg.numLayers, V = cfg.vocabSize, G = 4 * H;
  if (T === 0) throw new RecurError('the visualiser needs some text (got none)');
  const K = kernels();
  const p = model.stateDict();
  const w = (name: string): Float32Array => {
    const t = p.get(name);
    if (!t) throw new RecurError(`model has no parameter '${name}'`);
    return t.data;
  };
  // Layer 0's input: embedding rows.
  const E = cfg.embedSize, emb = w('encoder.weight');
  let x = new Float32Array(T * E);
  for (let t = 0; t < T; t++) {
    const id = ids[t]!;
    if (id < 0 || id >= V) throw new RecurError(`token id ${id} at position ${t} is outside the vocabulary (${V})`);
    x.set(emb.subarray(id * E, (id + 1) * E), t * E);
  }
  let I = E;
  const out: LstmTrace = { T, L, H, cells: [], input: [], forget: [], output: [], h: [], c: [], top: [] };
  for (let l = 0; l < L; l++) {
    const wIh = w(`rnn.weight_ih_l${l}`), wHh = w(`rnn.weight_hh_l${l}`);
    const bIh = p.get(`rnn.bias_ih_l${l}`)?.data, bHh = p.get(`rnn.bias_hh_l${l}`)?.data;
    // All input projections at once: [T, 4H] = x [T, I] · W_ihᵀ.
    const pre = new Float32Array(T * G);
    K.gemm(false, true, T, G, I, 1, x, I, wIh, I, 0, pre, G);
    const h = new Float32Array(H), c = new Float32Array(H), rec = new Float32Array(G);
    const hs = new Float32Array(T * H), cells = new Float32Array(T * H);
    const gi = new Float32Array(T * H), gf = new Float32Array(T * H), go = new Float32Array(T * H);
    for (let t = 0; t < T; t++) {
      K.gemm(false, true, 1, G, H, 1, h, H, wHh, H, 0, rec, G);
      const r = t * G, o = t * H;
      for (let q = 0; q < G; q++) rec[q] = rec[q]! + pre[r + q]! + (bIh ? bIh[q]! : 0) + (bHh ? bHh[q]! : 0);
      for (let j = 0; j < H; j++) {
        const i = sigmoid(rec[j]!), f = sigmoid(rec[H + j]!), g = Math.tanh(rec[2 * H + j]!), og = sigmoid(rec[3 * H + j]!);
        c[j] = f * c[j]! + i * g;
        const tc = Math.tanh(c[j]!);
        h[j] = og * tc;
        gi[o + j] = i;
        gf[o + j] = f;
        go[o + j] = og;
        cells[o + j] = tc;
      }
      hs.set(h, o);
    }
    out.cells.push(cells);
    out.input.push(gi);
    out.forget.push(gf);
    out.output.push(go);
    out.h.push(h);
    out.c.push(c);
    x = hs;
    I = H;
  }
  // Next-token distribution after every position: decoder on the top layer's h.
  const logits = new Float32Array(T * V);
  const dec = cfg.tieWeights ? w('encoder.weight') : w('decoder.weight');
  K.gemm(false, true, T, V, H, 1, x, H, dec, H, 0, logits, V);
  const bias = p.get('decoder.bias')?.data;
  for (let t = 0; t < T; t++) {
    const row = logits.subarray(t * V, (t + 1) * V);
    let mx = -Infinity;
    for (let v = 0; v < V; v++) mx = Math.max(mx, (row[v]! += bias ? bias[v]! : 0));
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(row[v]! - mx);
    const best: Array<{ id: number; prob: number }> = [];
    for (let v = 0; v < V; v++) {
      const prob = Math.exp(row[v]! - mx) / z;
      if (best.length < k || prob > best[best.length - 1]!.prob) {
        best.push({ id: v, prob });
        best.sort((a, b) => b.prob - a.prob);
        if (best.length > k) best.pop();
      }
    }
    out.top.push(best);
  }
  return out;
}
