import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { AttentionPooling, lastStatePool, maxPool, meanPool } from '../../src/nn/pooling.js';
import { Adam } from '../../src/optim/index.js';
import { makeBatch } from '../../src/tasks/classify/data.js';
import { bowLogisticRegression } from '../../src/tasks/classify/bow-baseline.js';
import { buildClassifyTokenizer, encodeTexts } from '../../src/tasks/classify/data.js';
import { SequenceClassifier } from '../../src/tasks/classify/model.js';
import { balancedClassWeights, ClassifyTask } from '../../src/tasks/classify/task.js';
import { Rng, manualSeed } from '../../src/tensor/rng.js';
import { tensor, Tensor } from '../../src/tensor/tensor.js';
import { train } from '../../src/train/trainer.js';
import { assertClose } from '../helpers/assert.js';

const randn = (shape: number[], seed: number): Tensor => {
  const r = new Rng(seed);
  return tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()), shape);
};

test('pooling ignores steps past each length (values and gradients checked by finite differences)', () => {
  const x = randn([3, 5, 4], 1);
  const lengths = [5, 2, 1];
  const mean = meanPool(x, lengths), mx = maxPool(x, lengths);
  for (let b = 0; b < 3; b++) {
    for (let f = 0; f < 4; f++) {
      const vals = Array.from({ length: lengths[b]! }, (_, t) => x.data[(b * 5 + t) * 4 + f]!);
      assertClose(mean.data[b * 4 + f]!, vals.reduce((a, v) => a + v, 0) / vals.length, { rtol: 1e-6 });
      assertClose(mx.data[b * 4 + f]!, Math.max(...vals));
    }
  }
  for (const f of [() => meanPool(x, lengths), () => maxPool(x, lengths)]) {
    const r = gradcheck(f, [x]);
    assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 2)));
  }
  const att = new AttentionPooling(4, 3);
  const { pooled, weights } = att.forward(x, lengths);
  // By hand: score[b,t] = context · tanh(proj(x[b,t])), softmax over t < length[b], 0 beyond.
  const [Wp, bp, wc] = [att.proj.weight.data, att.proj.bias!.data, att.context.weight.data];
  for (let b = 0; b < 3; b++) {
    const scores = Array.from({ length: lengths[b]! }, (_, t) => {
      let s = 0;
      for (let a = 0; a < 3; a++) {
        let z = bp[a]!;
        for (let f = 0; f < 4; f++) z += Wp[a * 4 + f]! * x.data[(b * 5 + t) * 4 + f]!;
        s += wc[a]! * Math.tanh(z);
      }
      return s;
    });
    const mx = Math.max(...scores), e = scores.map((s) => Math.exp(s - mx)), z = e.reduce((u, v) => u + v, 0);
    const want = [...e.map((v) => v / z), ...Array<number>(5 - lengths[b]!).fill(0)];
    assertClose(weights.data.subarray(b * 5, b * 5 + 5), want, { rtol: 1e-5, atol: 1e-6, what: `attention weights of sequence ${b}` });
    const wantPooled = [0, 1, 2, 3].map((f) => want.reduce((acc, w, t) => acc + w * x.data[(b * 5 + t) * 4 + f]!, 0));
    assertClose(pooled.data.subarray(b * 4, b * 4 + 4), wantPooled, { rtol: 1e-5, atol: 1e-6, what: `pooled ${b}` });
  }
  const r = gradcheck(() => att.forward(x, lengths).pooled, [x, att.proj.weight, att.context.weight]);
  assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 2)));
  // h [L·D, B, H] = [4, 2, 3]: the last layer's forward (row 2) then reverse (row 3).
  const h = tensor(Array.from({ length: 24 }, (_, i) => i), [4, 2, 3]);
  assert.deepEqual(lastStatePool(h, 2).toArray(), [12, 13, 14, 18, 19, 20, 15, 16, 17, 21, 22, 23]);
  assert.throws(() => meanPool(x, [5, 6, 1]), /length 6 of sequence 1 is not in \[1, 5\]/);
});

test('SequenceClassifier: padding does not change a sequence\'s logits, for every pooling', () => {
  for (const pooling of ['last', 'mean', 'max', 'attention'] as const) {
    manualSeed(3);
    const m = new SequenceClassifier({ vocabSize: 10, embedSize: 6, hiddenSize: 5, numLayers: 1, cell: 'gru', bidirectional: true, pooling, dropout: 0, numClasses: 3, paddingIdx: 0 });
    m.eval();
    const alone = m.forward(makeBatch([Int32Array.of(4, 5, 6)], [0], 0));
    const padded = m.forward(makeBatch([Int32Array.of(4, 5, 6), Int32Array.of(1, 2, 3, 7, 8, 9, 2)], [0, 1], 0));
    assertClose(padded.data.subarray(0, 3), alone.data, { rtol: 1e-5, atol: 1e-6, what: pooling });
  }
});

/**
 * Toy sentiment: every (adjective, noun) pair in one of four templates. The pairs are split
 * three ways, so test sentences are combinations never seen in training (every word is).
 */
function sentimentSplits(): Record<'train' | 'valid' | 'test', { texts: string[]; labels: Int32Array }> {
  const pos = ['good', 'great', 'excellent', 'lovely', 'wonderful', 'fine'];
  const neg = ['bad', 'awful', 'terrible', 'boring', 'poor', 'dull'];
  const nouns = ['movie', 'film', 'story', 'acting', 'music', 'plot', 'cast', 'ending'];
  const templates = [(a: string, n: string) => `the ${n} was ${a}`, (a: string, n: string) => `a ${a} ${n}`,
    (a: string, n: string) => `what a ${a} ${n}`, (a: string, n: string) => `i found the ${n} ${a}`];
  const out = { train: { texts: [] as string[], labels: [] as number[] }, valid: { texts: [] as string[], labels: [] as number[] }, test: { texts: [] as string[], labels: [] as number[] } };
  [...pos, ...neg].forEach((a, ai) => nouns.forEach((n, ni) => {
    const split = (ai + ni) % 4 === 0 ? out.test : (ai + ni) % 4 === 1 ? out.valid : out.train;
    split.texts.push(templates[(ai * 3 + ni) % 4]!(a, n));
    split.labels.push(ai < pos.length ? 1 : 0);
  }));
  const f = (s: { texts: string[]; labels: number[] }) => ({ texts: s.texts, labels: Int32Array.from(s.labels) });
  return { train: f(out.train), valid: f(out.valid), test: f(out.test) };
}

test('a small classifier learns toy sentiment and classifies held-out sentences; the BoW baseline too', async () => {
  manualSeed(0);
  const data = sentimentSplits();
  assert.deepEqual([data.train.texts.length, data.valid.texts.length, data.test.texts.length], [48, 24, 24]);
  assert.ok(!data.test.texts.some((t) => data.train.texts.includes(t)), 'test sentences are held out');
  const tok = buildClassifyTokenizer(data.train.texts, 1);
  const enc = (s: { texts: string[]; labels: Int32Array }) => ({ ids: encodeTexts(tok, s.texts), labels: s.labels });
  const model = new SequenceClassifier({ vocabSize: tok.vocabSize, embedSize: 8, hiddenSize: 8, numLayers: 1, cell: 'lstm', bidirectional: true, pooling: 'max', dropout: 0, numClasses: 2, paddingIdx: 0 });
  const task = new ClassifyTask(model, { train: enc(data.train), valid: enc(data.valid), test: enc(data.test) },
    { batchSize: 4, seed: 1, labels: ['negative', 'positive'], padId: 0, classWeights: balancedClassWeights(data.train.labels, 2) });
  await train(task, { optimizer: new Adam(model.parameters(), { lr: 0.05 }), maxEpochs: 15 });
  const held = await task.evaluate('test');
  console.log(`# classifier held-out accuracy ${held.metrics.accuracy}`);
  assert.ok(held.metrics.accuracy! >= 0.9, `held-out accuracy ${held.metrics.accuracy}`);
  assertClose(balancedClassWeights(Int32Array.of(0, 0, 0, 1), 3), [4 / 9, 4 / 3, 0], { what: "n / (C · n_c)" });
  const bow = await bowLogisticRegression(tok, ['negative', 'positive'], data, { steps: 50 });
  console.log(`# BoW held-out accuracy ${bow.test.accuracy}`);
  assert.ok(bow.test.accuracy >= 0.9, `BoW held-out accuracy ${bow.test.accuracy}`);
});
