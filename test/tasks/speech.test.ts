/** The speech task's parts: units, word lists, the SpeechRecognizer, LM fusion, and learning on held-out synthetic speech. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { RecurError } from '../../src/errors.js';
import { Adam } from '../../src/optim/index.js';
import { LanguageModel } from '../../src/tasks/lm/model.js';
import { KneserNeyTrigram } from '../../src/tasks/lm/ngram.js';
import type { FeatureUtterance } from '../../src/tasks/speech/data.js';
import { makeFeatureBatch } from '../../src/tasks/speech/data.js';
import { ngramFusion, rnnLmFusion } from '../../src/tasks/speech/lm-fusion.js';
import { SpeechRecognizer, subsampledLength, type SpeechRecognizerConfig } from '../../src/tasks/speech/model.js';
import { evaluateSpeech, SpeechTask } from '../../src/tasks/speech/task.js';
import { UnitSet } from '../../src/tasks/speech/units.js';
import { readVocab, wordConstraint } from '../../src/tasks/speech/vocab.js';
import { manualSeed, Rng } from '../../src/tensor/rng.js';
import { CharTokenizer } from '../../src/text/char-tokenizer.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { train } from '../../src/train/trainer.js';
import { assertClose } from '../helpers/assert.js';

describe('UnitSet and word lists', () => {
  const units = UnitSet.fromChars("abcdefghijklmnopqrstuvwxyz '");
  test('normalises transcripts as they are scored', () => {
    assert.equal(units.normalize('  Three\tFOUR, five!  '), 'three four five');
    const { ids, dropped } = units.encode('Rock & roll');
    assert.equal(units.decode(ids), 'rock roll');
    assert.equal(dropped, 1);
    assert.equal(units.size, 29);
    assert.equal(units.space, 27);
  });
  test('bad unit sets and words are RecurErrors', () => {
    assert.throws(() => UnitSet.fromChars('aa'), /"a" appears twice/);
    assert.throws(() => new UnitSet(['a', 'b']), RecurError);
    assert.throws(() => wordConstraint(['four', 'fünf'], units), /"fünf" has characters that are not output units/);
  });
  test('digits: ten words, separated by the space unit', () => {
    const c = wordConstraint(readVocab('digits'), units);
    assert.equal(c.words.length, 10);
    assert.equal(c.separator, units.space);
    assert.equal(units.decode(c.words[7]!), 'seven');
  });
});

const CONFIG: SpeechRecognizerConfig = {
  inputSize: 6, convLayers: 2, convChannels: 5, cell: 'lstm', hiddenSize: 4, numLayers: 2, bidirectional: true,
  dropout: 0, head: 'ctc', numOutputs: 4, pooling: 'mean',
};

function randomUtterance(rng: Rng, frames: number, dim: number, id: string): FeatureUtterance {
  return { id, transcript: '', frames, features: Float32Array.from({ length: frames * dim }, () => rng.normal()) };
}

describe('SpeechRecognizer', () => {
  test('subsampling lengths are torch Conv1d(3, stride 2, padding 1) twice', () => {
    for (const T of [1, 2, 3, 4, 5, 17, 100]) assert.equal(subsampledLength(T, 2), Math.ceil(Math.ceil(T / 2) / 2));
    assert.equal(subsampledLength(9, 0), 9);
  });

  for (const [cell, convLayers, head] of [['lstm', 2, 'ctc'], ['gru', 0, 'ctc'], ['lstm', 2, 'classify']] as const) {
    test(`${cell}, ${convLayers} conv layers, ${head}: an utterance's output does not depend on the batch's padding`, () => {
      manualSeed(3);
      const model = new SpeechRecognizer({ ...CONFIG, cell, convLayers, head });
      model.eval();
      const rng = new Rng(4);
      const utts = [randomUtterance(rng, 9, 6, 'short'), randomUtterance(rng, 23, 6, 'long')];
      noGrad(() => {
        const both = makeFeatureBatch(utts, [0, 1], 6), alone = makeFeatureBatch(utts, [0], 6);
        if (head === 'classify') {
          assertClose(model.forwardClassify(both).data.subarray(0, 4), model.forwardClassify(alone), { rtol: 1e-5, atol: 1e-6, what: 'logits' });
          return;
        }
        const a = model.forwardCtc(both), b = model.forwardCtc(alone);
        const L = subsampledLength(9, convLayers);
        assert.deepEqual(a.lengths, [L, subsampledLength(23, convLayers)]);
        assert.deepEqual(a.logProbs.shape, [subsampledLength(23, convLayers), 2, 4]);
        for (let t = 0; t < L; t++) {
          assertClose(a.logProbs.data.subarray(t * 8, t * 8 + 4), b.logProbs.data.subarray(t * 4, t * 4 + 4), { rtol: 1e-5, atol: 1e-6, what: `frame ${t}` });
        }
      });
    });
  }

  test('bad input: RecurErrors that say what was expected', () => {
    const model = new SpeechRecognizer(CONFIG);
    const rng = new Rng(1);
    assert.throws(() => model.forwardCtc(makeFeatureBatch([randomUtterance(rng, 5, 7, 'x')], [0], 7)), /features must be \[B, T, 6\]/);
    assert.throws(() => model.forwardClassify(makeFeatureBatch([randomUtterance(rng, 5, 6, 'x')], [0], 6)), /'ctc' head, not 'classify'/);
    assert.throws(() => new SpeechRecognizer({ ...CONFIG, convLayers: 1 as 2 }), /convLayers must be 0 or 2/);
  });
});

/**
 * Synthetic speech: each unit is a fixed random 8-dim spectrum, held for 3-6 noisy frames, with
 * 1-3 frames of "silence" between units; utterances say 2-4 units. Held-out utterances are new
 * draws (new durations, noise and unit orders).
 */
function syntheticSet(rng: Rng, n: number, units: UnitSet, protos: Float32Array[]): FeatureUtterance[] {
  const D = 8, letters = ['a', 'b', 'c'];
  return Array.from({ length: n }, (_, i) => {
    const say = Array.from({ length: 2 + rng.int(3) }, () => letters[rng.int(3)]!);
    const frames: number[][] = [];
    const hold = (p: Float32Array, k: number): void => { for (let j = 0; j < k; j++) frames.push(Array.from(p, (v) => v + 0.3 * rng.normal())); };
    hold(protos[0]!, 1 + rng.int(3));
    for (const s of say) { hold(protos[units.id(s)!]!, 3 + rng.int(4)); hold(protos[0]!, 1 + rng.int(3)); }
    return { id: `u${i}`, transcript: say.join(''), frames: frames.length, features: Float32Array.from(frames.flat()) };
  }).filter((u) => u.features.length === u.frames * D);
}

test('learns synthetic speech: held-out CER below 10%', async () => {
  manualSeed(5);
  const units = UnitSet.fromChars('abc');
  const rng = new Rng(6);
  const protos = Array.from({ length: 4 }, () => Float32Array.from({ length: 8 }, () => 2 * rng.normal()));
  const trainSet = syntheticSet(rng, 192, units, protos), heldOut = syntheticSet(rng, 48, units, protos);
  const model = new SpeechRecognizer({ ...CONFIG, inputSize: 8, convLayers: 0, hiddenSize: 16, numLayers: 1, numOutputs: units.size });
  const targets = { kind: 'ctc' as const, units };
  const task = new SpeechTask(model, targets, { train: trainSet, valid: heldOut, test: heldOut }, { batchSize: 16, seed: 1, specAugment: null });
  const before = await evaluateSpeech(model, targets, heldOut, { beam: 1 });
  await train(task, { optimizer: new Adam(model.parameters(), { lr: 0.02 }), maxSteps: 150, evalEvery: 1000, clipNorm: 5 });
  const after = await evaluateSpeech(model, targets, heldOut, { beam: 1 });
  assert.ok(before.cer > 0.5, `untrained CER ${before.cer}`);
  assert.ok(after.cer < 0.1, `held-out CER ${after.cer} (loss ${after.loss})`);
  const beam = await evaluateSpeech(model, targets, heldOut, { beam: 4 });
  assert.ok(beam.cer <= after.cer + 0.02, `beam 4 CER ${beam.cer} vs greedy ${after.cer}`);
});

describe('LM fusion adapters', () => {
  const units = UnitSet.fromChars('ab ');
  test('n-gram: the Kneser–Ney trigram over the units, lines joined by spaces', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-fusion-'));
    const file = join(dir, 'lm.txt');
    writeFileSync(file, 'ab ba\naab\n');
    const lm = ngramFusion(file, units);
    const sp = units.space!, a = units.id('a')!, b = units.id('b')!;
    const ref = new KneserNeyTrigram([sp, sp, a, b, sp, b, a, sp, a, a, b, sp], units.size);
    let s = lm.start();
    assert.ok(Math.abs(lm.logProb(s, a) - Math.log(ref.prob(sp, sp, a))) < 1e-12);
    s = lm.next(lm.next(s, a), a);
    assert.ok(Math.abs(lm.logProb(s, b) - Math.log(ref.prob(a, a, b))) < 1e-12);
  });

  test('recur char LM run: the same log-probabilities as the model run over the whole prefix', () => {
    manualSeed(8);
    const tok = CharTokenizer.fromCorpus('ab ba\nbab a\n');
    const model = new LanguageModel({ vocabSize: tok.vocabSize, embedSize: 6, hiddenSize: 7, numLayers: 2, cell: 'lstm', dropout: 0, tieWeights: false });
    const dir = mkdtempSync(join(tmpdir(), 'recur-fusion-lm-'));
    saveCheckpoint(dir, 'last', {
      config: { task: 'lm', level: 'char', model: model.config, tokenizer: tok.toJSON(), train: {}, corpus: 'test' }, weights: model.stateDict(), state: null,
    });
    const lm = rnnLmFusion(dir, units);
    model.eval();
    const full = (text: string): Float32Array => noGrad(() => {
      const ids = tok.encode(text);
      const { logits } = model.forward(ids, ids.length, 1, null);
      const V = tok.vocabSize, row = logits.data.slice((ids.length - 1) * V);
      const m = Math.max(...row), lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      return row.map((v) => v - lse);
    });
    let s = lm.start();
    let prefix = '\n';
    for (const ch of ['b', 'a', ' ', 'b']) {
      const want = full(prefix);
      for (const u of ['a', 'b', ' ']) {
        assert.ok(Math.abs(lm.logProb(s, units.id(u)!) - want[tok.encode(u)[0]!]!) < 1e-5, `after ${JSON.stringify(prefix)}: ${u}`);
      }
      s = lm.next(s, units.id(ch)!);
      prefix += ch;
    }
  });
});
