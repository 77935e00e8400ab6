import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readConllFile } from '../../src/data/conll.js';
import { Adam } from '../../src/optim/index.js';
import { buildTagVocabs, encodeSentences, makeTagBatch, type EncodedSentence } from '../../src/tasks/tag/data.js';
import { SequenceTagger, type SequenceTaggerConfig } from '../../src/tasks/tag/model.js';
import { TagTask, evaluateTagger } from '../../src/tasks/tag/task.js';
import { bucketedBatches } from '../../src/data/bucketing.js';
import { manualSeed, Rng } from '../../src/tensor/rng.js';
import { train } from '../../src/train/trainer.js';
import { assertClose } from '../helpers/assert.js';

const sents = readConllFile('fixtures/tasks/ner-tiny.conll').map((s, i) => ({ words: s.words, tags: s.tags, where: `ner-tiny ${i}` }));

function config(v: ReturnType<typeof buildTagVocabs>, over: Partial<SequenceTaggerConfig>): SequenceTaggerConfig {
  return {
    wordVocabSize: v.words.size, charVocabSize: v.chars.size, tags: v.tags, wordEmbed: 16, charEncoder: 'cnn', charEmbed: 8, charHidden: 12,
    hiddenSize: 16, numLayers: 1, dropout: 0, crf: false, scheme: 'bio', ...over,
  };
}

type Sentence = { words: string[]; tags: string[]; where: string };

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tu', 'sa', 'vo', 'bel', 'dor', 'ni', 'ra', 'te', 'qui', 'fa', 'zo', 'li'];

/**
 * Template NER sentences with made-up capitalised names (two or three syllables) for people,
 * places (with a suffix) and the first word of organisations. A name is drawn fresh for every mention and
 * never one in `avoid`, so the test split's entities are words the tagger has not seen: it
 * must go by context and spelling. Training uses minFreq 2, so its rare names become UNK.
 */
function nerSplit(name: string, n: number, seed: number, avoid: ReadonlySet<string>): Sentence[] {
  const rng = new Rng(seed);
  const pick = <T>(a: readonly T[]): T => a[rng.int(a.length)]!;
  const fresh = (suffix = ''): string => {
    for (;;) {
      const w = Array.from({ length: 2 + rng.int(2) }, () => pick(SYLLABLES)).join('') + suffix;
      const cap = w[0]!.toUpperCase() + w.slice(1);
      if (!avoid.has(cap)) return cap;
    }
  };
  const per = (): [string, string][] => (rng.int(2) ? [[fresh(), 'B-PER']] : [[fresh(), 'B-PER'], [fresh(), 'I-PER']]);
  const loc = (): [string, string][] => [[fresh(pick(['burg', 'ville', 'ton', 'stad'])), 'B-LOC']];
  const any = (): [string, string][] => pick([per, loc, org])();
  const org = (): [string, string][] => [[fresh(), 'B-ORG'], [pick(['Corp', 'Inc', 'Ltd', 'Group', 'Bank']), 'I-ORG']];
  const o = (...ws: string[]): [string, string][] => ws.map((w) => [w, 'O']);
  const templates = [
    () => [...per(), ...o('lives', 'in'), ...loc(), ...o('.')],
    () => [...per(), ...o('visited'), ...loc(), ...o('last', 'year', '.')],
    () => [...o('The'), ...org(), ...o('met', 'in'), ...loc(), ...o('.')],
    () => [...per(), ...o('works', 'for'), ...org(), ...o('.')],
    () => [...per(), ...o('and'), ...per(), ...o('went', 'to'), ...loc(), ...o('.')],
    () => [...o('In'), ...loc(), ...o(','), ...org(), ...o('hired'), ...per(), ...o('.')],
    // Context does not tell the type here: spelling does (places end in -burg, -ville, ...).
    () => [...any(), ...o('is', 'well', 'known', '.')],
    () => [...o('We', 'talked', 'about'), ...any(), ...o('.')],
    () => [...any(), ...o('and'), ...any(), ...o('were', 'in', 'the', 'news', '.')],
  ];
  return Array.from({ length: n }, (_, i) => {
    const pairs = pick(templates)();
    return { words: pairs.map((p) => p[0]), tags: pairs.map((p) => p[1]), where: `${name} ${i}` };
  });
}

const nerTrain = nerSplit('train', 160, 1, new Set());
const seenNames = new Set(nerTrain.flatMap((s) => s.words));
const NER = { train: nerTrain, valid: nerSplit('valid', 20, 2, seenNames), test: nerSplit('test', 40, 3, seenNames) };

/** BIO: an I-X follows B-X or I-X. */
function validBio(tags: readonly string[]): boolean {
  return tags.every((t, i) => !t.startsWith('I-') || (i > 0 && tags[i - 1]!.slice(2) === t.slice(2) && tags[i - 1] !== 'O'));
}

test('taggers (char CNN + softmax, char BiLSTM + CRF) tag held-out entities; the CRF decodes only valid BIO', async () => {
  assert.ok(NER.test.every((s) => s.words.every((w, i) => !s.tags[i]!.startsWith('B-') || !seenNames.has(w))), 'test entities are unseen');
  for (const over of [{ charEncoder: 'cnn', crf: false }, { charEncoder: 'lstm', crf: true }] as const) {
    manualSeed(0);
    const v = buildTagVocabs(NER.train, 2);
    const [train_, valid, test_] = [NER.train, NER.valid, NER.test].map((s) => encodeSentences(v, s, true)) as [EncodedSentence[], EncodedSentence[], EncodedSentence[]];
    const model = new SequenceTagger(config(v, over));
    const task = new TagTask(model, v, { train: train_, valid, test: test_ }, { batchSize: 8, seed: 0 });
    await train(task, { optimizer: new Adam(model.parameters(), { lr: 0.03 }), maxEpochs: 10 });
    const r = await evaluateTagger(model, v, test_);
    console.log(`# ${JSON.stringify(over)}: held-out token accuracy ${r.accuracy.toFixed(4)}, chunk F1 ${r.chunks!.f1.toFixed(4)}`);
    assert.ok(r.accuracy >= 0.99, `${JSON.stringify(over)}: held-out token accuracy ${r.accuracy}`);
    assert.ok(r.chunks!.f1 >= 0.98, `${JSON.stringify(over)}: held-out chunk F1 ${r.chunks!.f1}`);
    if (over.crf) for (const p of r.predictions) assert.ok(validBio(p), `CRF decoded invalid BIO: ${p.join(' ')}`);
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
