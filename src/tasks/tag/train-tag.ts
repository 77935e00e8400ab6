import { readConllFile } from '../../data/conll.js';
import { RecurError } from '../../errors.js';
import type { ConllReport } from '../../metrics/conlleval.js';
import { ReduceLROnPlateau } from '../../optim/index.js';
import { manualSeed, Rng } from '../../tensor/rng.js';
import { Vocabulary, type VocabularyJSON } from '../../text/vocab.js';
import { hasCheckpoint, loadCheckpoint } from '../../train/checkpoint.js';
import { train, type TrainEvent, type TrainResult } from '../../train/trainer.js';
import { taskOptimizer, type OptimizerName } from '../classify/optimizer.js';
import { loadBrownTagging } from './brown.js';
import type { CharEncoderKind } from './char-encoder.js';
import { buildTagVocabs, detectScheme, encodeSentences, normalizeChunkTags, type SchemeChoice, type TaggedSentence, type TagVocabs } from './data.js';
import { checkTagRun, SequenceTagger, type SequenceTaggerConfig } from './model.js';
import { evaluateTagger, predictTags, TagTask } from './task.js';

export const BUILTIN_TAG_DATA = ['brown-pos', 'brown-names'] as const;

/** Where a tagging run's sentences come from: enough to rebuild its splits. */
export interface TagDataSpec {
  /** 'brown-pos', 'brown-names' or a CoNLL file. */
  source: string;
  tagColumn?: number;
  /** Held-out CoNLL files; without them a user file is split 80/10/10 by sentence (seeded). */
  validData?: string;
  testData?: string;
  seed: number;
}

export interface TagRunConfig {
  task: 'tag';
  data: TagDataSpec;
  words: VocabularyJSON;
  chars: VocabularyJSON;
  model: SequenceTaggerConfig;
  train: Record<string, unknown>;
}

export interface TagTrainOptions {
  data: string;
  tagColumn?: number;
  validData?: string;
  testData?: string;
  crf: boolean;
  /** 'auto' detects BIO/BIOES chunk tags; 'none' treats tags as plain labels. */
  scheme: SchemeChoice | 'auto';
  charEncoder: CharEncoderKind;
  charEmbed: number;
  charHidden: number;
  wordEmbed: number;
  hidden: number;
  layers: number;
  dropout: number;
  minFreq: number;
  batch: number;
  lr: number;
  weightDecay: number;
  optimizer: OptimizerName;
  clip: number;
  epochs?: number;
  minutes?: number;
  steps?: number;
  evalEvery?: number;
  /** Score about N validation sentences (every k-th) during training (default all). */
  validLimit?: number;
  patience?: number;
  seed: number;
  out: string;
  resume: boolean;
}

function readConll(path: string, spec: TagDataSpec): TaggedSentence[] {
  return readConllFile(path, { tagColumn: spec.tagColumn ?? -1 }).map((s) => ({ words: s.words, tags: s.tags, where: `${path}:${s.line}` }));
}

/** The train/valid/test sentences a data spec describes. */
export function loadTagSplits(spec: TagDataSpec): Record<'train' | 'valid' | 'test', TaggedSentence[]> {
  if (spec.source === 'brown-pos') return loadBrownTagging('pos');
  if (spec.source === 'brown-names') return loadBrownTagging('names');
  const all = readConll(spec.source, spec);
  if (spec.validData && spec.testData) return { train: all, valid: readConll(spec.validData, spec), test: readConll(spec.testData, spec) };
  // A seeded 80/10/10 split by sentence of whatever is not given as a separate file.
  const perm = new Rng(spec.seed).permutation(all.length);
  const nTest = spec.testData ? 0 : Math.round(all.length * 0.1), nValid = spec.validData ? 0 : Math.round(all.length * 0.1);
  const pick = (from: number, to: number): TaggedSentence[] => Array.from(perm.subarray(from, to)).sort((a, b) => a - b).map((i) => all[i]!);
  const out = {
    test: spec.testData ? readConll(spec.testData, spec) : pick(0, nTest),
    valid: spec.validData ? readConll(spec.validData, spec) : pick(nTest, nTest + nValid),
    train: pick(nTest + nValid, all.length),
  };
  if (out.train.length === 0 || out.valid.length === 0 || out.test.length === 0) {
    throw new RecurError(`${spec.source}: ${all.length} sentences are too few to split into train/validation/test (pass --valid-data and --test-data)`);
  }
  return out;
}

function resolveScheme(want: SchemeChoice | 'auto', train: readonly TaggedSentence[]): SchemeChoice {
  const found = detectScheme(train);
  if (want === 'auto') return found;
  if (want !== 'none' && found === 'none') {
    const bad = train.flatMap((s) => s.tags).find((t) => t !== 'O' && !/^[BIES]-./.test(t));
    throw new RecurError(`--scheme ${want}: the training tags are not chunk tags (found '${bad}'; expected O, B-TYPE, I-TYPE${want === 'bioes' ? ', E-TYPE, S-TYPE' : ''})`);
  }
  if (want === 'bio' && found === 'bioes') throw new RecurError('--scheme bio: the training tags use E- or S- (BIOES); use --scheme bioes');
  return want;
}

export interface TagTrainResult extends TrainResult {
  /** The best checkpoint on the test split. */
  test: { loss: number; accuracy: number; chunks: ConllReport | null };
}

/**
 * `recur train tag`: sentences -> vocabularies (training split) -> SequenceTagger (softmax or
 * CRF) -> shared training loop (best checkpoint by validation loss) -> test scores.
 */
export async function trainTagger(o: TagTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TagTrainResult> {
  manualSeed(o.seed);
  let saved: TagRunConfig | null = null;
  if (o.resume) {
    if (!hasCheckpoint(o.out, 'last')) throw new RecurError(`nothing to resume: no last.safetensors in ${o.out}`);
    saved = checkTagRun(loadCheckpoint(o.out, 'last'), o.out);
    if (saved.data.source !== o.data) throw new RecurError(`data mismatch on resume: ${o.out} was trained on '${saved.data.source}', not '${o.data}'`);
  }
  const spec: TagDataSpec = saved?.data ?? {
    source: o.data, seed: o.seed, ...(o.tagColumn !== undefined ? { tagColumn: o.tagColumn } : {}),
    ...(o.validData ? { validData: o.validData } : {}), ...(o.testData ? { testData: o.testData } : {}),
  };
  const raw = loadTagSplits(spec);
  const scheme = saved?.model.scheme ?? resolveScheme(o.scheme, raw.train);
  const parts = scheme === 'none' ? raw : {
    train: normalizeChunkTags(raw.train, scheme), valid: normalizeChunkTags(raw.valid, scheme), test: normalizeChunkTags(raw.test, scheme),
  };
  const vocabs: TagVocabs = saved
    ? { words: Vocabulary.fromJSON(saved.words), chars: Vocabulary.fromJSON(saved.chars), tags: saved.model.tags }
    : buildTagVocabs(parts.train, o.minFreq);
  const splits = {
    train: encodeSentences(vocabs, parts.train, true), valid: encodeSentences(vocabs, parts.valid, true), test: encodeSentences(vocabs, parts.test, true),
  };
  const modelConfig: SequenceTaggerConfig = saved?.model ?? {
    wordVocabSize: vocabs.words.size, charVocabSize: vocabs.chars.size, tags: vocabs.tags, wordEmbed: o.wordEmbed,
    charEncoder: o.charEncoder, charEmbed: o.charEmbed, charHidden: o.charHidden, hiddenSize: o.hidden, numLayers: o.layers,
    dropout: o.dropout, crf: o.crf, scheme,
  };
  const model = new SequenceTagger(modelConfig);
  const optimizer = taskOptimizer(o.optimizer, model.parameters(), o.lr, o.weightDecay);
  const scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 1 });
  const task = new TagTask(model, vocabs, splits, { batchSize: o.batch, seed: o.seed, ...(o.validLimit ? { validLimit: o.validLimit } : {}) });
  const config: TagRunConfig = {
    task: 'tag', data: spec, words: vocabs.words.toJSON(), chars: vocabs.chars.toJSON(), model: modelConfig, train: { ...o },
  };
  const result = await train(task, {
    optimizer, getLr: () => optimizer.paramGroups[0]!.lr, scheduler, schedulerOn: 'eval',
    clipNorm: o.clip, maxSteps: o.steps, maxEpochs: o.epochs, maxMinutes: o.minutes,
    evalEvery: o.evalEvery, patience: o.patience, logEvery: 10, outDir: o.out, resume: o.resume,
    config, signal, onEvent,
  });
  const best = loadTaggerRun(o.out);
  const r = await evaluateTagger(best.model, best.vocabs, splits.test);
  return { ...result, test: { loss: r.loss, accuracy: r.accuracy, chunks: r.chunks } };
}

export interface TaggerRun {
  model: SequenceTagger;
  vocabs: TagVocabs;
  config: TagRunConfig;
}

export function loadTaggerRun(dir: string, which: 'best' | 'last' = 'best'): TaggerRun {
  const name = hasCheckpoint(dir, which) ? which : 'last';
  const ck = loadCheckpoint(dir, name);
  const config = checkTagRun(ck, dir);
  const model = new SequenceTagger(config.model);
  model.loadStateDict(ck.weights);
  model.eval();
  const vocabs = { words: Vocabulary.fromJSON(config.words), chars: Vocabulary.fromJSON(config.chars), tags: config.model.tags };
  return { model, vocabs, config };
}

/** Tags of each (already tokenized) sentence. */
export async function tagSentences(run: TaggerRun, sentences: readonly string[][]): Promise<string[][]> {
  const enc = encodeSentences(run.vocabs, sentences.map((words, i) => ({ words, tags: [], where: `sentence ${i + 1}` })), false);
  const { paths } = await predictTags(run.model, run.vocabs, enc);
  return paths.map((p) => p.map((id) => run.vocabs.tags[id]!));
}

/** Scores of a run on its own split, or on a CoNLL file (`data`). */
export async function evaluateTaggerRun(run: TaggerRun, o: { split: 'valid' | 'test'; data?: string }):
  Promise<{ where: string; loss: number; accuracy: number; tokens: number; chunks: ConllReport | null }> {
  const { config } = run;
  let sents = o.data ? readConll(o.data, config.data) : loadTagSplits(config.data)[o.split];
  if (config.model.scheme !== 'none') sents = normalizeChunkTags(sents, config.model.scheme);
  const r = await evaluateTagger(run.model, run.vocabs, encodeSentences(run.vocabs, sents, true));
  return { where: o.data ?? `${config.data.source} ${o.split} split`, loss: r.loss, accuracy: r.accuracy, tokens: r.tokens, chunks: r.chunks };
}
