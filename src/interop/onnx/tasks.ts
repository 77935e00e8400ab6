import { RecurError } from '../../errors.js';
import { AdditiveAttention, GeneralAttention, type Attention } from '../../nn/attention.js';
import type { GRU } from '../../nn/rnn/gru.js';
import { LSTM } from '../../nn/rnn/lstm.js';
import type { RNN } from '../../nn/rnn/rnn.js';
import { LSTMCell } from '../../nn/rnn/cells.js';
import type { LanguageModel } from '../../tasks/lm/model.js';
import type { SequenceClassifier } from '../../tasks/classify/model.js';
import type { SequenceTagger } from '../../tasks/tag/model.js';
import { CharCNN } from '../../tasks/tag/char-encoder.js';
import type { Seq2Seq } from '../../tasks/translate/model.js';
import type { Tensor } from '../../tensor/tensor.js';
import { OnnxGraph } from './graph.js';
import { cellSpec, dimOf, embedding, linear, maskInvalid, recurrent, recurrentSpec, sliceAxis, transpose, validSteps } from './layers.js';

/**
 * ONNX graphs of the task models, in inference mode (dropout is the identity). Integer inputs
 * are int64 ids and int32 lengths; every graph declares opset 17 (graph.ts).
 */

/**
 * The language model, one chunk of steps with carried state:
 *
 * | input/output | shape |
 * |---|---|
 * | ids (int64) | [T, B] time-major |
 * | h0, c0 (LSTM) | [L, B, H] (zeros to start) |
 * | logits | [T, B, V] |
 * | h, c (LSTM) | [L, B, H], to feed back as h0, c0 |
 */
export function lmToOnnx(m: LanguageModel): Uint8Array {
  const c = m.config;
  const g = new OnnxGraph('recur_lm', 'recur language model: ids [T, B] and state in, logits [T, B, V] and state out');
  const ids = g.input('ids', 'int64', ['time', 'batch']);
  const h0 = g.input('h0', 'float', [c.numLayers, 'batch', c.hiddenSize]);
  const c0 = m.rnn instanceof LSTM ? g.input('c0', 'float', [c.numLayers, 'batch', c.hiddenSize]) : undefined;
  const emb = embedding(g, m.encoder, ids, 'encoder');
  const r = recurrent(g, recurrentSpec('rnn', m.rnn), { x: emb, h0, ...(c0 ? { c0 } : {}) });
  g.output('logits', linear(g, m.decoder, r.y, 'decoder'), 'float', ['time', 'batch', c.vocabSize]);
  g.output('h', r.h, 'float', [c.numLayers, 'batch', c.hiddenSize]);
  if (r.c) g.output('c', r.c, 'float', [c.numLayers, 'batch', c.hiddenSize]);
  return g.encode();
}

/**
 * The sequence classifier:
 *
 * | input/output | shape |
 * |---|---|
 * | ids (int64) | [B, T] padded |
 * | lengths (int32) | [B] |
 * | features (with a lexicon) | [B, T] |
 * | logits | [B, C] |
 */
export function classifierToOnnx(m: SequenceClassifier): Uint8Array {
  const c = m.config;
  const g = new OnnxGraph('recur_classifier', 'recur sequence classifier: ids [B, T] and lengths [B] in, logits [B, C] out');
  const ids = g.input('ids', 'int64', ['batch', 'time']);
  const lengths = g.input('lengths', 'int32', ['batch']);
  let emb = embedding(g, m.embedding, ids, 'embedding');
  if (m.usesLexicon) {
    const f = g.input('features', 'float', ['batch', 'time']);
    emb = g.op('Concat', [emb, g.op('Unsqueeze', [f, g.ints([2])])], { axis: 2 });
  }
  const r = recurrent(g, recurrentSpec('rnn', m.rnn), { x: transpose(g, emb, [1, 0, 2]), seqLens: lengths });
  const D = m.rnn.numDirections, H = c.hiddenSize, L = c.numLayers;
  const out = transpose(g, r.y, [1, 0, 2]); // [B, T, D·H], zero past each length
  let pooled: string;
  switch (c.pooling) {
    case 'last':
      pooled = g.op('Reshape', [transpose(g, sliceAxis(g, r.h, 0, (L - 1) * D, L * D), [1, 0, 2]), g.ints([0, D * H])]);
      break;
    case 'mean': {
      const n = g.op('Unsqueeze', [g.op('Cast', [lengths], { to: 1 }), g.ints([1])]);
      pooled = g.op('Div', [g.op('ReduceSum', [out, g.ints([1])], { keepdims: 0 }), n]);
      break;
    }
    case 'max': {
      const valid = g.op('Unsqueeze', [validSteps(g, lengths, ids, 1), g.ints([2])]);
      pooled = g.op('ReduceMax', [maskInvalid(g, out, valid)], { axes: [1], keepdims: 0 });
      break;
    }
    case 'attention': {
      const a = m.attention!;
      const scores = linear(g, a.context, g.op('Tanh', [linear(g, a.proj, out, 'attention.proj')]), 'attention.context');
      const valid = g.op('Unsqueeze', [validSteps(g, lengths, ids, 1), g.ints([2])]);
      const w = g.op('Softmax', [maskInvalid(g, scores, valid)], { axis: 1 });
      pooled = g.op('ReduceSum', [g.op('Mul', [out, w]), g.ints([1])], { keepdims: 0 });
      break;
    }
    default: throw new RecurError(`ONNX export: unknown pooling '${String(c.pooling)}'`);
  }
  g.output('logits', linear(g, m.classifier, pooled, 'classifier'), 'float', ['batch', c.numClasses]);
  return g.encode();
}

/**
 * The tagger's emission scores. Decoding is post-processing: with a CRF, Viterbi over the
 * emissions with the `transitions` [K, K] (from, to), `start_transitions` [K] and
 * `end_transitions` [K] outputs (constants of the model, -inf where the BIO/BIOES scheme forbids
 * a transition); without, the argmax per token.
 *
 * | input/output | shape |
 * |---|---|
 * | word_ids (int64) | [B, T] padded with 0 |
 * | lengths (int32) | [B] |
 * | chars (int64, with a char encoder) | [U, C]: the characters of the batch's U distinct words, padded with 0 |
 * | char_lengths (int32) | [U] |
 * | word_slot (int64) | [B, T]: row of `chars` holding each word |
 * | emissions | [B, T, K] |
 */
export function taggerToOnnx(m: SequenceTagger): Uint8Array {
  const K = m.numTags;
  const g = new OnnxGraph('recur_tagger', 'recur sequence tagger: emissions [B, T, K]; decode with Viterbi over transitions (CRF) or argmax');
  const ids = g.input('word_ids', 'int64', ['batch', 'time']);
  const lengths = g.input('lengths', 'int32', ['batch']);
  let x = embedding(g, m.wordEmbeddings, ids, 'word_embeddings');
  if (m.charEncoder) {
    const chars = g.input('chars', 'int64', ['words', 'chars']);
    const charLengths = g.input('char_lengths', 'int32', ['words']);
    const slot = g.input('word_slot', 'int64', ['batch', 'time']);
    const enc = m.charEncoder;
    let f: string;
    if (enc instanceof CharCNN) {
      const k = enc.kernel, half = (k - 1) >> 1;
      const padded = g.op('Pad', [chars, g.ints([0, half, 0, half]), g.ints([0], [])]);
      const table = g.floats(enc.embedding.weight.data, [...enc.embedding.weight.shape], 'char_encoder.embedding.weight');
      // Window j of position p reads character p + j - half: slice j of the padded ids.
      const windows = Array.from({ length: k }, (_, j) => g.op('Gather', [table, j === k - 1
        ? g.op('Slice', [padded, g.ints([j]), g.ints([2 ** 62]), g.ints([1])])
        : g.op('Slice', [padded, g.ints([j]), g.ints([j - (k - 1)]), g.ints([1])])], { axis: 0 }));
      const z = linear(g, enc.conv, k === 1 ? windows[0]! : g.op('Concat', windows, { axis: 2 }), 'char_encoder.conv');
      const valid = g.op('Unsqueeze', [validSteps(g, charLengths, chars, 1), g.ints([2])]);
      f = g.op('Tanh', [g.op('ReduceMax', [maskInvalid(g, z, valid)], { axes: [1], keepdims: 0 })]);
    } else {
      const e = embedding(g, enc.embedding, chars, 'char_encoder.embedding');
      const r = recurrent(g, recurrentSpec('char_encoder.lstm', enc.lstm), { x: transpose(g, e, [1, 0, 2]), seqLens: charLengths });
      f = g.op('Reshape', [transpose(g, r.h, [1, 0, 2]), g.ints([0, enc.outputSize])]);
    }
    x = g.op('Concat', [x, g.op('Gather', [f, slot], { axis: 0 })], { axis: 2 });
  }
  const r = recurrent(g, recurrentSpec('lstm', m.lstm), { x: transpose(g, x, [1, 0, 2]), seqLens: lengths });
  g.output('emissions', linear(g, m.hidden2tag, transpose(g, r.y, [1, 0, 2]), 'hidden2tag'), 'float', ['batch', 'time', K]);
  if (m.crf) {
    // The scores Viterbi uses: learned, with -inf on the transitions the BIO/BIOES constraints forbid.
    const crf = m.crf, allowed = crf.constraints;
    const masked = (t: Tensor, ok: (i: number) => boolean): Float32Array => Float32Array.from(t.data, (v, i) => (ok(i) ? v : -Infinity));
    const scores: Array<[string, Float32Array, number[]]> = [
      ['transitions', masked(crf.transitions, (i) => !allowed || allowed.transitions[Math.floor(i / K)]![i % K]!), [K, K]],
      ['start_transitions', masked(crf.startTransitions, (i) => !allowed || allowed.start[i]!), [K]],
      ['end_transitions', masked(crf.endTransitions, (i) => !allowed || allowed.end[i]!), [K]],
    ];
    for (const [name, data, dims] of scores) g.output(name, g.floats(data, dims, `crf.${name}`), 'float', dims);
  }
  return g.encode();
}

/**
 * A bare RNN/LSTM/GRU module:
 *
 * | input/output | shape |
 * |---|---|
 * | input | [T, B, I] ([B, T, I] with batchFirst) |
 * | lengths (int32) | [B] |
 * | h0, c0 (LSTM) | [L·D, B, H] |
 * | output | [T, B, D·H] ([B, T, D·H] with batchFirst), zero past each length |
 * | h, c (LSTM) | [L·D, B, H] |
 */
export function recurrentToOnnx(m: RNN | LSTM | GRU): Uint8Array {
  const g = new OnnxGraph('recur_recurrent', `recur ${m.constructor.name}`);
  const bf = m.batchFirst;
  const LD = m.numLayers * m.numDirections, DH = m.numDirections * m.hiddenSize;
  const x = g.input('input', 'float', bf ? ['batch', 'time', m.inputSize] : ['time', 'batch', m.inputSize]);
  const seqLens = g.input('lengths', 'int32', ['batch']);
  const h0 = g.input('h0', 'float', [LD, 'batch', m.hiddenSize]);
  const c0 = m instanceof LSTM ? g.input('c0', 'float', [LD, 'batch', m.hiddenSize]) : undefined;
  const r = recurrent(g, recurrentSpec(m.constructor.name, m), { x: bf ? transpose(g, x, [1, 0, 2]) : x, seqLens, h0, ...(c0 ? { c0 } : {}) });
  g.output('output', bf ? transpose(g, r.y, [1, 0, 2]) : r.y, 'float', bf ? ['batch', 'time', DH] : ['time', 'batch', DH]);
  g.output('h', r.h, 'float', [LD, 'batch', m.hiddenSize]);
  if (r.c) g.output('c', r.c, 'float', [LD, 'batch', m.hiddenSize]);
  return g.encode();
}

/** The two graphs of a translation model: the encoder and one decoder step. */
export interface Seq2SeqOnnx {
  encoder: Uint8Array;
  decoder: Uint8Array;
}

/**
 * The encoder (run once per source batch) and one decoder step (run per output token, greedy
 * or beam search outside the graph).
 *
 * Encoder: `src_ids` int64 [B, S], `src_lengths` int32 [B] -> `memory` [B, S, H], `keys`
 * [B, S, A] (additive attention only), and the decoder's initial `h` [L, B, H], `c` (LSTM) and
 * `feed` [B, H] (input feeding).
 *
 * Decoder step: `prev` int64 [B] (the previous token, <bos> first), `h`, `c`, `feed`, `memory`,
 * `keys`, `src_lengths` -> `logits` [B, V], the next `h_next`, `c_next`, `feed_next`, and the
 * attention `weights` [B, S].
 */
export function seq2seqToOnnx(m: Seq2Seq): Seq2SeqOnnx {
  const c = m.config;
  const H = c.hiddenSize, L = c.decoderLayers, D = c.bidirectional ? 2 : 1, Le = c.encoderLayers;
  const lstm = c.cell === 'lstm';
  const att = m.decoder.attention;
  const feeds = m.decoder.feeds;

  const e = new OnnxGraph('recur_seq2seq_encoder', 'recur translation encoder');
  const src = e.input('src_ids', 'int64', ['batch', 'src_time']);
  const srcLen = e.input('src_lengths', 'int32', ['batch']);
  const emb = embedding(e, m.encoder.embedding, src, 'encoder.embedding');
  const rnn = m.encoder.rnn;
  const r = recurrent(e, recurrentSpec('encoder.rnn', rnn), { x: transpose(e, emb, [1, 0, 2]), seqLens: srcLen });
  const memory = transpose(e, r.y, [1, 0, 2]);
  e.output('memory', memory, 'float', ['batch', 'src_time', H]);
  if (att instanceof AdditiveAttention) e.output('keys', linear(e, att.key, memory, 'decoder.attention.key'), 'float', ['batch', 'src_time', att.attentionDim]);
  const top = (s: string): string => e.op('Reshape', [transpose(e, sliceAxis(e, s, 0, (Le - 1) * D, Le * D), [1, 0, 2]), e.ints([0, H])]);
  const zeros = (): string => e.op('ConstantOfShape', [e.op('Concat', [e.ints([L]), dimOf(e, src, 0), e.ints([H])], { axis: 0 })]);
  const layered = (x: string): string => transpose(e, e.op('Reshape', [x, e.ints([0, L, H])]), [1, 0, 2]);
  if (m.bridge) {
    e.output('h', layered(e.op('Tanh', [linear(e, m.bridge.h, top(r.h), 'bridge.h')])), 'float', [L, 'batch', H]);
    if (lstm) e.output('c', layered(linear(e, m.bridge.c!, top(r.c!), 'bridge.c')), 'float', [L, 'batch', H]);
  } else {
    e.output('h', zeros(), 'float', [L, 'batch', H]);
    if (lstm) e.output('c', zeros(), 'float', [L, 'batch', H]);
  }
  if (feeds) e.output('feed', e.op('ConstantOfShape', [e.op('Concat', [dimOf(e, src, 0), e.ints([H])], { axis: 0 })]), 'float', ['batch', H]);

  const d = new OnnxGraph('recur_seq2seq_decoder_step', 'recur translation decoder: one step');
  const prev = d.input('prev', 'int64', ['batch']);
  const h = d.input('h', 'float', [L, 'batch', H]);
  const cIn = lstm ? d.input('c', 'float', [L, 'batch', H]) : null;
  const feed = feeds ? d.input('feed', 'float', ['batch', H]) : null;
  const mem = att ? d.input('memory', 'float', ['batch', 'src_time', H]) : null;
  const keys = att instanceof AdditiveAttention ? d.input('keys', 'float', ['batch', 'src_time', att.attentionDim]) : null;
  const lens = att ? d.input('src_lengths', 'int32', ['batch']) : null;
  const dec = m.decoder;
  const embT = embedding(d, dec.embedding, prev, 'decoder.embedding');

  const attend = (q: string): { context: string; weights: string } => {
    const a: Attention = att!;
    let scores: string;
    if (a instanceof AdditiveAttention) {
      const pre = d.op('Add', [keys!, d.op('Unsqueeze', [linear(d, a.query, q, 'decoder.attention.query'), d.ints([1])])]);
      scores = linear(d, a.v, d.op('Tanh', [pre]), 'decoder.attention.v');
    } else {
      const query = a instanceof GeneralAttention ? linear(d, a.query, q, 'decoder.attention.query') : q;
      scores = d.op('MatMul', [mem!, d.op('Unsqueeze', [query, d.ints([2])])]);
    }
    const flat = d.op('Squeeze', [scores, d.ints([2])]);
    const weights = d.op('Softmax', [maskInvalid(d, flat, validSteps(d, lens!, mem!, 1))], { axis: 1 });
    const context = d.op('Squeeze', [d.op('MatMul', [d.op('Unsqueeze', [weights, d.ints([1])]), mem!]), d.ints([1])]);
    return { context, weights };
  };
  const runCells = (x: string): { hs: string[]; cs: string[] } => {
    const hs: string[] = [], cs: string[] = [];
    let inp = x;
    dec.cells.forEach((cell, l) => {
      const s = recurrent(d, cellSpec(`decoder.cells.${l}`, cell), {
        x: d.op('Unsqueeze', [inp, d.ints([0])]), h0: sliceAxis(d, h, 0, l, l + 1), ...(cIn ? { c0: sliceAxis(d, cIn, 0, l, l + 1) } : {}),
      });
      hs.push(s.h);
      if (s.c) cs.push(s.c);
      inp = d.op('Squeeze', [s.h, d.ints([0])]);
    });
    return { hs, cs };
  };
  if (dec.cells[0] instanceof LSTMCell !== lstm) throw new RecurError('ONNX export: the decoder cells do not match the model config');
  const hTop = (hs: string[]): string => d.op('Squeeze', [hs[hs.length - 1]!, d.ints([0])]);
  let out: string, state: { hs: string[]; cs: string[] }, weights: string | null = null;
  if (!att) {
    state = runCells(embT);
    out = hTop(state.hs);
  } else if (c.attention === 'bahdanau') {
    const a = attend(d.op('Squeeze', [sliceAxis(d, h, 0, L - 1, L), d.ints([0])]));
    state = runCells(d.op('Concat', feed ? [embT, a.context, feed] : [embT, a.context], { axis: 1 }));
    out = d.op('Tanh', [linear(d, dec.combine!, d.op('Concat', [hTop(state.hs), a.context], { axis: 1 }), 'decoder.combine')]);
    weights = a.weights;
  } else {
    state = runCells(feed ? d.op('Concat', [embT, feed], { axis: 1 }) : embT);
    const a = attend(hTop(state.hs));
    out = d.op('Tanh', [linear(d, dec.combine!, d.op('Concat', [a.context, hTop(state.hs)], { axis: 1 }), 'decoder.combine')]);
    weights = a.weights;
  }
  d.output('logits', linear(d, dec.out, out, 'decoder.out'), 'float', ['batch', c.tgtVocabSize]);
  const cat = (xs: string[]): string => (xs.length === 1 ? xs[0]! : d.op('Concat', xs, { axis: 0 }));
  d.output('h_next', cat(state.hs), 'float', [L, 'batch', H]);
  if (lstm) d.output('c_next', cat(state.cs), 'float', [L, 'batch', H]);
  if (feeds) d.output('feed_next', out, 'float', ['batch', H]);
  if (weights) d.output('weights', weights, 'float', ['batch', 'src_time']);
  return { encoder: e.encode(), decoder: d.encode() };
}
