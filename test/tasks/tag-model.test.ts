import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readConllFile } from '../../src/data/conll.js';
import { Adam } from '../../src/optim/index.js';
import { buildTagVocabs, encodeSentences, makeTagBatch } from '../../src/tasks/tag/data.js';
import { SequenceTagger, type SequenceTaggerConfig } from '../../src/tasks/tag/model.js';
import { TagTask } from '../../src/tasks/tag/task.js';
import { bucketedBatches } from '../../src/train/bucketing.js';
import { manualSeed } from '../../src/tensor/rng.js';
import { train } from '../../src/train/trainer.js';
import { assertClose } from '../helpers/assert.js';

const sents = readConllFile('fixtures/tasks/ner-tiny.conll').map((s, i) => ({ words: s.words, tags: s.tags, where: `ner-tiny ${i}` }));

function config(v: ReturnType<typeof buildTagVocabs>, over: Partial<SequenceTaggerConfig>): SequenceTaggerConfig {
  return {
    wordVocabSize: v.words.size, charVocabSize: v.chars.size, tags: v.tags, wordEmbed: 16, charEncoder: 'cnn', charEmbed: 8, charHidden: 12,
    hiddenSize: 16, numLayers: 1, dropout: 0, crf: false, scheme: 'bio', ...over,
  };
}

test('taggers (char CNN + softmax, char BiLSTM + CRF) fit a tiny NER set; the CRF decodes only valid BIO', async () => {
  for (const over of [{ charEncoder: 'cnn', crf: false }, { charEncoder: 'lstm', crf: true }] as const) {
    manualSeed(0);
    const v = buildTagVocabs(sents, 1);
    const enc = encodeSentences(v, sents, true);
    const model = new SequenceTagger(config(v, over));
    const task = new TagTask(model, v, { train: enc, valid: enc, test: enc }, { batchSize: 4, seed: 0 });
    const r = await train(task, { optimizer: new Adam(model.parameters(), { lr: 0.03 }), maxEpochs: 25 });
    assert.equal(r.lastEval!.metrics.accuracy, 1, JSON.stringify(over));
    assert.equal(r.lastEval!.metrics.f1, 1, JSON.stringify(over));
  }
});

test('tagger emissions of a sentence do not depend on what it is batched with', () => {
  manualSeed(1);
  const v = buildTagVocabs(sents, 1);
  const enc = encodeSentences(v, sents, true);
  for (const charEncoder of ['cnn', 'lstm', 'none'] as const) {
    const model = new SequenceTagger(config(v, { charEncoder, crf: true }));
    model.eval();
    const alone = model.forward(makeTagBatch(v, enc, [6]));
    const mixed = model.forward(makeTagBatch(v, enc, [2, 6, 0]));
    const T = mixed.shape[1]!, K = v.tags.length, L = enc[6]!.words.length;
    assertClose(mixed.data.subarray(T * K, T * K + L * K), alone.data, { rtol: 1e-5, atol: 1e-6, what: charEncoder });
  }
});

test('bucketed batches: every sentence once per epoch, seeded, the same count every epoch', () => {
  const lengths = Array.from({ length: 103 }, (_, i) => (i * 7) % 13 + 1);
  const e0 = bucketedBatches(lengths, 8, 1, 0), e1 = bucketedBatches(lengths, 8, 1, 1);
  assert.equal(e0.length, e1.length);
  assert.deepEqual(e0.flatMap((b) => [...b]).sort((a, b) => a - b), [...lengths.keys()]);
  assert.deepEqual(bucketedBatches(lengths, 8, 1, 0), e0);
  assert.notDeepEqual(e1, e0);
});
