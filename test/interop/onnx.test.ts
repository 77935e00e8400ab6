/** ONNX export: every exported kind runs in onnxruntime-node and gives recur's outputs (rel err <= 1e-5). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { recurrentToOnnx, lmToOnnx, classifierToOnnx, taggerToOnnx, seq2seqToOnnx } from '../../src/interop/onnx/index.js';
import { GRU, LSTM, RNN } from '../../src/nn/index.js';
import { LanguageModel } from '../../src/tasks/lm/model.js';
import { SequenceClassifier } from '../../src/tasks/classify/model.js';
import { SequenceTagger } from '../../src/tasks/tag/model.js';
import { Seq2Seq } from '../../src/tasks/translate/model.js';
import type { Seq2SeqConfig } from '../../src/tasks/translate/config.js';
import { stack } from '../../src/autograd/ops/index.js';
import { manualSeed, Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { relError } from '../helpers/rel-error.js';

const TOL = 1e-5;
type Feeds = Record<string, ort.Tensor>;

async function run(model: Uint8Array, feeds: Feeds): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(model);
  try {
    const out = await s.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

const f32 = (t: Tensor): ort.Tensor => new ort.Tensor('float32', Float32Array.from(t.data), [...t.shape]);
const i64 = (ids: ArrayLike<number>, dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(Array.from(ids, (v) => BigInt(v))), dims);
const i32 = (v: ArrayLike<number>): ort.Tensor => new ort.Tensor('int32', Int32Array.from(v), [v.length]);

function close(got: ArrayLike<number> | undefined, want: ArrayLike<number>, what: string): void {
  assert.ok(got, `${what}: missing from the ONNX outputs`);
  const e = relError(got, want);
  assert.ok(e <= TOL, `${what}: rel err ${e} > ${TOL}`);
}

/** Best tag path per sequence over emissions [B, T, K] (row b valid for lengths[b] steps). */
function viterbi(em: Float32Array, lengths: number[], K: number, start: Float32Array, end: Float32Array, trans: Float32Array): number[][] {
  const T = em.length / (lengths.length * K);
  return lengths.map((L, b) => {
    let score = Array.from({ length: K }, (_, k) => start[k]! + em[(b * T) * K + k]!);
    const back: number[][] = [];
    for (let t = 1; t < L; t++) {
      const next: number[] = [], arg: number[] = [];
      for (let j = 0; j < K; j++) {
        let best = -Infinity, bi = 0;
        for (let i = 0; i < K; i++) if (score[i]! + trans[i * K + j]! > best) { best = score[i]! + trans[i * K + j]!; bi = i; }
        next.push(best + em[(b * T + t) * K + j]!);
        arg.push(bi);
      }
      score = next;
      back.push(arg);
    }
    let last = 0;
    for (let k = 1; k < K; k++) if (score[k]! + end[k]! > score[last]! + end[last]!) last = k;
    const path = [last];
    for (let t = back.length - 1; t >= 0; t--) path.unshift(back[t]![path[0]!]!);
    return path;
  });
}

function randn(shape: number[], rng: Rng): Tensor {
  const t = new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  rng.fillNormal(t.data, 0, 1);
  return t;
}

function randomIds(n: number, V: number, rng: Rng, min = 0): Int32Array {
  return Int32Array.from({ length: n }, () => min + Math.floor(rng.random() * (V - min)));
}

describe('ONNX export of RNN / LSTM / GRU', () => {
  const T = 5, B = 3, I = 4, H = 6;
  const lengths = [5, 2, 4];
  const cases: Array<[string, () => RNN | LSTM | GRU]> = [
    ['LSTM', () => new LSTM({ inputSize: I, hiddenSize: H })],
    ['LSTM bidirectional 2 layers batchFirst', () => new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, batchFirst: true })],
    ['LSTM no bias', () => new LSTM({ inputSize: I, hiddenSize: H, bias: false, bidirectional: true })],
    ['GRU bidirectional 2 layers', () => new GRU({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true })],
    ['GRU resetAfter false (Keras 2 form)', () => new GRU({ inputSize: I, hiddenSize: H, resetAfter: false, numLayers: 2, bidirectional: true })],
    ['RNN tanh bidirectional', () => new RNN({ inputSize: I, hiddenSize: H, bidirectional: true, numLayers: 2 })],
    ['RNN relu', () => new RNN({ inputSize: I, hiddenSize: H, nonlinearity: 'relu', numLayers: 3 })],
  ];
  for (const [name, make] of cases) {
    test(`${name}, with lengths and initial states`, async () => {
      manualSeed(7);
      const m = make().eval();
      const rng = new Rng(3);
      const x = randn(m.batchFirst ? [B, T, I] : [T, B, I], rng);
      const LD = m.numLayers * m.numDirections;
      const h0 = randn([LD, B, H], rng), c0 = randn([LD, B, H], rng);
      const want = noGrad(() => (m instanceof LSTM ? m.forward(x, { lengths, h0, c0 }) : m.forward(x, { lengths, h0 })));
      const feeds: Feeds = { input: f32(x), lengths: i32(lengths), h0: f32(h0) };
      if (m instanceof LSTM) feeds.c0 = f32(c0);
      const got = await run(recurrentToOnnx(m), feeds);
      close(got.output, want.output.data, 'output');
      close(got.h, want.h.data, 'h');
      if ('c' in want) close(got.c, (want as { c: Tensor }).c.data, 'c');
    });
  }

  test('an LSTM with projSize is refused, saying why', () => {
    const m = new LSTM({ inputSize: I, hiddenSize: H, projSize: 2 });
    assert.throws(() => recurrentToOnnx(m), /ONNX's LSTM operator has no projection.*projSize=2/);
  });
});

describe('ONNX export of the task models', () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    test(`language model (${cell}), state carried over two chunks`, async () => {
      manualSeed(11);
      const m = new LanguageModel({ vocabSize: 13, embedSize: 6, hiddenSize: 6, numLayers: 2, cell, dropout: 0.3, tieWeights: cell === 'lstm' }).eval();
      const rng = new Rng(5);
      const T = 4, B = 2, L = 2, H = 6;
      const onnx = lmToOnnx(m);
      let state: { h: Tensor; c?: Tensor } | null = null;
      let feeds: Feeds = { h0: new ort.Tensor('float32', new Float32Array(L * B * H), [L, B, H]) };
      if (cell === 'lstm') feeds.c0 = new ort.Tensor('float32', new Float32Array(L * B * H), [L, B, H]);
      for (let chunk = 0; chunk < 2; chunk++) {
        const ids = randomIds(T * B, 13, rng);
        const want = noGrad(() => m.forward(ids, T, B, state));
        const got = await run(onnx, { ...feeds, ids: i64(ids, [T, B]) });
        close(got.logits, want.logits.data, `chunk ${chunk} logits`);
        close(got.h, want.state.h.data, `chunk ${chunk} h`);
        if (cell === 'lstm') close(got.c, want.state.c!.data, `chunk ${chunk} c`);
        state = want.state;
        feeds = { h0: new ort.Tensor('float32', got.h!, [L, B, H]) };
        if (cell === 'lstm') feeds.c0 = new ort.Tensor('float32', got.c!, [L, B, H]);
      }
    });
  }

  for (const [pooling, cell, lexicon] of [['last', 'lstm', false], ['mean', 'gru', true], ['max', 'rnn', false], ['attention', 'lstm', false]] as const) {
    test(`classifier: ${pooling} pooling, bidirectional ${cell}, 2 layers, lengths${lexicon ? ', lexicon feature' : ''}`, async () => {
      manualSeed(13);
      const m = new SequenceClassifier({
        vocabSize: 20, embedSize: 5, hiddenSize: 4, numLayers: 2, cell, bidirectional: true, pooling, dropout: 0.2, numClasses: 3, paddingIdx: 0,
        ...(lexicon ? { lexicon: 'afinn' as const } : {}),
      }).eval();
      const rng = new Rng(9);
      const B = 3, T = 6, lengths = [6, 3, 1];
      const ids = randomIds(B * T, 20, rng, 1);
      const features = Float32Array.from({ length: B * T }, () => rng.random() - 0.5);
      for (let b = 0; b < B; b++) for (let t = lengths[b]!; t < T; t++) { ids[b * T + t] = 0; features[b * T + t] = 0; }
      const want = noGrad(() => m.forward({ ids, lengths, B, T, ...(lexicon ? { features } : {}) }));
      const feeds: Feeds = { ids: i64(ids, [B, T]), lengths: i32(lengths) };
      if (lexicon) feeds.features = new ort.Tensor('float32', features, [B, T]);
      const got = await run(classifierToOnnx(m), feeds);
      close(got.logits, want.data, 'logits');
    });
  }

  for (const [charEncoder, crf] of [['cnn', true], ['lstm', false], ['none', true]] as const) {
    test(`tagger: char ${charEncoder}${crf ? ', CRF transitions as outputs' : ''}, 2 layers, lengths`, async () => {
      manualSeed(17);
      const tags = ['O', 'B-X', 'I-X'];
      const m = new SequenceTagger({
        wordVocabSize: 15, charVocabSize: 9, tags, wordEmbed: 5, charEncoder, charEmbed: 3, charHidden: 4, hiddenSize: 4, numLayers: 2, dropout: 0.5, crf, scheme: 'bio',
      }).eval();
      const rng = new Rng(21);
      const B = 2, T = 4, lengths = [4, 2], U = 3, C = 5;
      const wordIds = randomIds(B * T, 15, rng, 1);
      const wordSlot = randomIds(B * T, U, rng);
      for (let t = 2; t < T; t++) { wordIds[T + t] = 0; wordSlot[T + t] = 0; }
      const uniqueLengths = [5, 2, 3];
      const uniqueChars = randomIds(U * C, 9, rng, 1);
      for (let u = 0; u < U; u++) for (let p = uniqueLengths[u]!; p < C; p++) uniqueChars[u * C + p] = 0;
      const batch = { B, T, lengths, wordIds, tagIds: null, U, maxChars: C, uniqueChars, uniqueLengths, wordSlot, tokens: 6 };
      const want = noGrad(() => m.forward(batch));
      const feeds: Feeds = { word_ids: i64(wordIds, [B, T]), lengths: i32(lengths) };
      if (charEncoder !== 'none') Object.assign(feeds, { chars: i64(uniqueChars, [U, C]), char_lengths: i32(uniqueLengths), word_slot: i64(wordSlot, [B, T]) });
      const got = await run(taggerToOnnx(m), feeds);
      close(got.emissions, want.data, 'emissions');
      if (crf) {
        // Viterbi as post-processing over ORT's outputs gives the tagger's own decode (BIO forbids O -> I-X).
        assert.equal(got.transitions![0 * 3 + 2], -Infinity);
        const paths = viterbi(got.emissions!, lengths, 3, got.start_transitions!, got.end_transitions!, got.transitions!);
        assert.deepEqual(paths, m.decode(batch, want));
      } else assert.equal(got.transitions, undefined);
    });
  }

  const s2s: Array<Partial<Seq2SeqConfig>> = [
    { cell: 'gru', attention: 'luong-general', inputFeeding: true, bidirectional: true, bridge: 'dense' },
    { cell: 'lstm', attention: 'bahdanau', inputFeeding: true, bidirectional: true, bridge: 'dense', encoderLayers: 2, decoderLayers: 2 },
    { cell: 'lstm', attention: 'luong-dot', inputFeeding: false, bidirectional: false, bridge: 'zero' },
    { cell: 'gru', attention: 'luong-concat', inputFeeding: false, bidirectional: true, bridge: 'dense', decoderLayers: 2 },
    { cell: 'gru', attention: 'none', inputFeeding: false, bidirectional: false, bridge: 'dense' },
  ];
  for (const o of s2s) {
    test(`seq2seq encoder + 3 decoder steps: ${o.cell}, ${o.attention}${o.inputFeeding ? ', input feeding' : ''}, ${o.bidirectional ? 'bi' : 'uni'}directional, bridge ${o.bridge}`, async () => {
      manualSeed(23);
      const config: Seq2SeqConfig = {
        srcVocabSize: 11, tgtVocabSize: 12, srcPadId: 0, tgtPadId: 0, embedSize: 5, hiddenSize: 6, encoderLayers: 1, decoderLayers: 1,
        cell: 'gru', bidirectional: false, attention: 'none', inputFeeding: false, dropout: 0.1, bridge: 'dense', attentionSize: 4, ...o,
      };
      const m = new Seq2Seq(config).eval();
      const rng = new Rng(31);
      const B = 3, S = 5, L = config.decoderLayers, H = 6;
      const lengths = Int32Array.from([5, 3, 1]);
      const ids = randomIds(B * S, 11, rng, 1);
      for (let b = 0; b < B; b++) for (let s = lengths[b]!; s < S; s++) ids[b * S + s] = 0;
      const { encoder, decoder } = seq2seqToOnnx(m);
      const enc = await run(encoder, { src_ids: i64(ids, [B, S]), src_lengths: i32(lengths) });
      await noGrad(async () => {
        const e = m.encode({ ids, B, S, lengths });
        close(enc.h, stack(e.state.h, 0).data, 'initial h');
        if (e.mem) close(enc.memory, e.mem.values.data, 'memory');
        let state = e.state;
        let feeds: Feeds = { h: new ort.Tensor('float32', enc.h!, [L, B, H]) };
        if (enc.c) feeds.c = new ort.Tensor('float32', enc.c, [L, B, H]);
        if (enc.feed) feeds.feed = new ort.Tensor('float32', enc.feed, [B, H]);
        const memFeeds: Feeds = {};
        if (e.mem) {
          memFeeds.memory = new ort.Tensor('float32', enc.memory!, [B, S, H]);
          memFeeds.src_lengths = i32(lengths);
          if (enc.keys) memFeeds.keys = new ort.Tensor('float32', enc.keys, [B, S, 4]);
        }
        for (let t = 0; t < 3; t++) {
          const prev = randomIds(B, 12, rng, 1);
          const want = m.step(prev, state, e.mem);
          const got = await run(decoder, { ...feeds, ...memFeeds, prev: i64(prev, [B]) });
          close(got.logits, want.logits.data, `step ${t} logits`);
          close(got.h_next, stack(want.state.h, 0).data, `step ${t} h`);
          if (want.weights) close(got.weights, want.weights.data, `step ${t} attention weights`);
          state = want.state;
          feeds = { h: new ort.Tensor('float32', got.h_next!, [L, B, H]) };
          if (got.c_next) feeds.c = new ort.Tensor('float32', got.c_next, [L, B, H]);
          if (got.feed_next) feeds.feed = new ort.Tensor('float32', got.feed_next, [B, H]);
        }
      });
    });
  }
});
