import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../src/tensor/rng.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { trainLm, type LmTrainOptions } from '../../src/tasks/lm/train.js';
import { buildClassifyTokenizer } from '../../src/tasks/classify/data.js';
import { SequenceClassifier, type SequenceClassifierConfig } from '../../src/tasks/classify/model.js';
import type { ClassifyRunConfig } from '../../src/tasks/classify/run.js';
import { buildTagVocabs } from '../../src/tasks/tag/data.js';
import { SequenceTagger, type SequenceTaggerConfig } from '../../src/tasks/tag/model.js';
import type { TagRunConfig } from '../../src/tasks/tag/run.js';
import { Seq2Seq } from '../../src/tasks/translate/model.js';
import type { Seq2SeqConfig } from '../../src/tasks/translate/config.js';
import { buildTokenizer, specialIds } from '../../src/tasks/translate/data.js';
import { DEFAULT_DECODE, type TranslateRunConfig } from '../../src/tasks/translate/run.js';
import { SpeechRecognizer, type SpeechRecognizerConfig } from '../../src/tasks/speech/model.js';
import type { SpeechRunConfig } from '../../src/tasks/speech/run.js';
import { BLANK } from '../../src/tasks/speech/units.js';
import { buildMusicModel, type MusicRunConfig } from '../../src/tasks/music/run.js';
import { EVENT_VOCAB } from '../../src/music/performance.js';

/** Tiny valid run directories of every task, for loading tests (a real LM run; the others saved directly). */

export const LM_TEXT = 'a rose is a rose is a rose. '.repeat(40);

export function tempDir(prefix = 'recur-run-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** LM options of a tiny run on `corpus` writing to `out`. */
export function tinyLmOptions(corpus: string, out: string): LmTrainOptions {
  return {
    corpus, level: 'char', cell: 'lstm', layers: 1, hidden: 6, embed: 4, dropout: 0, tie: false, batch: 2, bptt: 4, lr: 0.01,
    optimizer: 'adam', clip: 1, steps: 3, evalEvery: 2, seed: 1, out, resume: false,
    // What the CLI passes by default, so that `recur train lm --resume` accepts the run unchanged.
    lowercase: false, bpeVocab: 2000, weightDecay: 0,
  };
}

/** A 3-step LM run (best and last checkpoints, Adam state, carried LSTM state) and its corpus. */
export async function lmRun(): Promise<{ dir: string; corpus: string }> {
  const root = tempDir();
  const corpus = join(root, 'corpus.txt');
  writeFileSync(corpus, LM_TEXT);
  const dir = join(root, 'run');
  await trainLm(tinyLmOptions(corpus, dir));
  return { dir, corpus };
}

const emptyState = { step: 1, epoch: 0, index: 0, bestLoss: 1, evalsSinceBest: 0, elapsedMs: 1, rng: { s: [1, 2, 3, 4], spare: null }, optimizer: null, scheduler: null, task: null };

export function classifyRun(): string {
  manualSeed(2);
  const texts = ['good movie', 'bad film', 'a good film', 'not bad'];
  const tok = buildClassifyTokenizer(texts, 1);
  const model: SequenceClassifierConfig = {
    vocabSize: tok.vocabSize, embedSize: 4, hiddenSize: 3, numLayers: 1, cell: 'gru', bidirectional: true, pooling: 'attention',
    dropout: 0, numClasses: 2, paddingIdx: tok.padId!, lexicon: 'none',
  };
  const config: ClassifyRunConfig = {
    task: 'classify', data: { source: 'reviews.csv', split: { valid: 0.1, test: 0.1 }, seed: 0, size: 4 }, labels: ['neg', 'pos'],
    tokenizer: tok.toJSON(), maxLength: 0, model, train: {},
  };
  const dir = tempDir();
  saveCheckpoint(dir, 'last', { config, weights: new SequenceClassifier(model).stateDict(), state: emptyState });
  return dir;
}

export function tagRun(): string {
  manualSeed(3);
  const sents = [{ words: ['John', 'runs'], tags: ['B-PER', 'O'], where: 'a' }, { words: ['Mary', 'Ann', 'sings'], tags: ['B-PER', 'I-PER', 'O'], where: 'b' }];
  const v = buildTagVocabs(sents, 1);
  const model: SequenceTaggerConfig = {
    wordVocabSize: v.words.size, charVocabSize: v.chars.size, tags: v.tags, wordEmbed: 4, charEncoder: 'cnn', charEmbed: 3, charHidden: 3,
    hiddenSize: 3, numLayers: 1, dropout: 0, crf: true, scheme: 'bio',
  };
  const config: TagRunConfig = { task: 'tag', data: { source: 'names.conll', seed: 0 }, words: v.words.toJSON(), chars: v.chars.toJSON(), model, train: {} };
  const dir = tempDir();
  saveCheckpoint(dir, 'last', { config, weights: new SequenceTagger(model).stateDict(), state: emptyState });
  return dir;
}

export function translateRun(): string {
  manualSeed(4);
  const src = buildTokenizer(['the cat', 'a dog'], { level: 'char' }), tgt = buildTokenizer(['el gato', 'un perro'], { level: 'char' });
  const s = specialIds(src, 'source'), t = specialIds(tgt, 'target');
  const model: Seq2SeqConfig = {
    srcVocabSize: src.vocabSize, tgtVocabSize: tgt.vocabSize, srcPadId: s.pad, tgtPadId: t.pad, embedSize: 4, hiddenSize: 4,
    encoderLayers: 1, decoderLayers: 1, cell: 'lstm', bidirectional: true, attention: 'bahdanau', inputFeeding: true, dropout: 0, bridge: 'dense',
  };
  const config: TranslateRunConfig = {
    task: 'translate', data: 'pairs.tsv', reverse: false, metric: 'bleu', model, srcTokenizer: src.toJSON(), tgtTokenizer: tgt.toJSON(),
    decode: DEFAULT_DECODE, train: {},
  };
  const dir = tempDir();
  saveCheckpoint(dir, 'last', { config, weights: new Seq2Seq(model).stateDict(), state: emptyState });
  return dir;
}

/** A tiny CTC speech run: 8 fbank bins with deltas (16 values per frame), a conv front end, a BiGRU. */
export function speechRun(): string {
  manualSeed(5);
  const units = [BLANK, ...'abc '];
  const model: SpeechRecognizerConfig = {
    inputSize: 16, convLayers: 2, convChannels: 3, cell: 'gru', hiddenSize: 3, numLayers: 2, bidirectional: true, dropout: 0, head: 'ctc',
    numOutputs: units.length, pooling: 'mean',
  };
  const config: SpeechRunConfig = {
    task: 'speech', data: { source: 'espeak-digits', seed: 0, trainCount: 4 }, features: { kind: 'fbank', sampleRate: 8000, numMelBins: 8, deltas: 1, cmvn: true },
    units, classes: null, model, train: {},
  };
  const dir = tempDir();
  saveCheckpoint(dir, 'last', { config, weights: new SpeechRecognizer(model).stateDict(), state: emptyState });
  return dir;
}

/** A tiny music run: the performance-event LM, or the piano-roll model with a MADE output on fixed-rate frames. */
export function musicRun(repr: 'events' | 'pianoroll'): string {
  manualSeed(6);
  const config: MusicRunConfig = repr === 'events'
    ? { task: 'music', data: 'debian', repr, model: { vocabSize: EVENT_VOCAB, embedSize: 3, hiddenSize: 4, numLayers: 1, cell: 'gru', dropout: 0, tieWeights: false }, train: { bptt: 8 } }
    : { task: 'music', data: 'debian', valid: null, repr, frames: { fps: 8 }, model: { hiddenSize: 4, numLayers: 2, cell: 'lstm', dropout: 0, output: 'made', madeHidden: 5 }, train: {} };
  const dir = tempDir();
  saveCheckpoint(dir, 'last', { config, weights: buildMusicModel(config).stateDict(), state: emptyState });
  return dir;
}
