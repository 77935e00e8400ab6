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

test('a small classifier learns a toy sentiment task through the shared loop; the BoW baseline too', async () => {
  manualSeed(0);
  const pos = ['good movie', 'great film', 'i loved it', 'good fun', 'great acting', 'loved the story'];
  const neg = ['bad movie', 'awful film', 'i hated it', 'bad fun', 'awful acting', 'hated the story'];
  const texts = [...pos, ...neg], labels = Int32Array.from(texts, (_, i) => (i < 6 ? 1 : 0));
  const tok = buildClassifyTokenizer(texts, 1);
  const split = { ids: encodeTexts(tok, texts), labels };
  const model = new SequenceClassifier({ vocabSize: tok.vocabSize, embedSize: 8, hiddenSize: 8, numLayers: 1, cell: 'lstm', bidirectional: true, pooling: 'max', dropout: 0, numClasses: 2, paddingIdx: 0 });
  const task = new ClassifyTask(model, { train: split, valid: split, test: split }, { batchSize: 4, seed: 1, labels: ['negative', 'positive'], padId: 0, classWeights: balancedClassWeights(labels, 2) });
  const r = await train(task, { optimizer: new Adam(model.parameters(), { lr: 0.05 }), maxEpochs: 15 });
  assert.equal(r.lastEval!.metrics.accuracy, 1);
  assertClose(balancedClassWeights(Int32Array.of(0, 0, 0, 1), 3), [4 / 9, 4 / 3, 0], { what: "n / (C · n_c)" });
  const names = ['negative', 'positive'];
  const bow = await bowLogisticRegression(tok, names, { train: { texts, labels }, valid: { texts, labels }, test: { texts: ['good story', 'awful story'], labels: Int32Array.of(1, 0) } }, { steps: 50 });
  assert.equal(bow.test.accuracy, 1);
});
