import { RecurError } from '../../errors.js';
import type { ClassificationReport } from '../../metrics/classification.js';
import type { PoolingKind } from '../../nn/pooling.js';
import { ReduceLROnPlateau } from '../../optim/index.js';
import { manualSeed } from '../../tensor/rng.js';
import type { WordTokenizerJSON } from '../../text/tokenizer.js';
import { WordTokenizer } from '../../text/word-tokenizer.js';
import { hasCheckpoint, loadCheckpoint } from '../../train/checkpoint.js';
import { train, type TrainEvent, type TrainResult } from '../../train/trainer.js';
import { buildClassifyTokenizer, encodeFeatures, encodeLabels, encodeTexts, labelSet, loadExamples, type Example } from './data.js';
import { loadAfinn, type LexiconName } from './lexicon.js';
import { taskOptimizer, type OptimizerName } from './optimizer.js';
import { checkClassifyRun, SequenceClassifier, type CellKind, type SequenceClassifierConfig } from './model.js';
import { crossValidationSplit, stratifiedSplit, type SplitIndices } from './splits.js';
import { argmaxRows, balancedClassWeights, ClassifyTask, evaluateClassifier, predictProbabilities, type ClassifySplit } from './task.js';

/** How the data was read and split: enough to rebuild the exact same splits later. */
export interface ClassifyDataSpec {
  /** 'uci-sentiment' or a file path. */
  source: string;
  textColumn?: string | number;
  labelColumn?: string | number;
  /** A fixed stratified split with these fractions, or cross-validation round `fold` of `folds`. */
  split: { valid: number; test: number } | { folds: number; fold: number };
  seed: number;
  /** Number of examples read, to notice a changed file. */
  size: number;
}

/** What a classification run's checkpoints carry as `config`. */
export interface ClassifyRunConfig {
  task: 'classify';
  data: ClassifyDataSpec;
  labels: string[];
  tokenizer: WordTokenizerJSON;
  /** Texts are cut to this many tokens (0 = no limit). */
  maxLength: number;
  model: SequenceClassifierConfig;
  train: Record<string, unknown>;
}

export interface ClassifyTrainOptions {
  data: string;
  textColumn?: string | number;
  labelColumn?: string | number;
  cell: CellKind;
  layers: number;
  hidden: number;
  embed: number;
  bidirectional: boolean;
  pooling: PoolingKind;
  /** Per-token lexicon feature ('afinn') or none. */
  lexicon: LexiconName;
  dropout: number;
  wordDropout: number;
  batch: number;
  lr: number;
  weightDecay: number;
  optimizer: OptimizerName;
  clip: number;
  classWeights: 'none' | 'balanced';
  minFreq: number;
  maxVocab?: number;
  maxLength: number;
  validFraction: number;
  testFraction: number;
  /** Cross-validation: train round `fold` (0-based) of `folds` instead of the fixed split. */
  folds?: number;
  fold?: number;
  epochs?: number;
  minutes?: number;
  steps?: number;
  evalEvery?: number;
  patience?: number;
  seed: number;
  out: string;
  resume: boolean;
}

/** The examples and split a data spec describes; checks the size still matches when given. */
export function prepareClassifyData(spec: Omit<ClassifyDataSpec, 'size'> & { size?: number }, labels?: readonly string[]):
  { examples: Example[]; labels: string[]; y: Int32Array; split: SplitIndices } {
  const examples = loadExamples(spec.source, { textColumn: spec.textColumn, labelColumn: spec.labelColumn });
  if (spec.size !== undefined && examples.length !== spec.size) {
    throw new RecurError(`${spec.source} now has ${examples.length} examples, but the run was trained when it had ${spec.size}: the split cannot be rebuilt`);
  }
  const names = labels ? [...labels] : labelSet(examples);
  if (names.length < 2) throw new RecurError(`${spec.source}: needs at least 2 different labels, found ${names.length} (${names.join(', ')})`);
  const y = encodeLabels(examples, names);
  const split = 'folds' in spec.split ? crossValidationSplit(y, spec.split.folds, spec.split.fold, spec.seed) : stratifiedSplit(y, spec.split, spec.seed);
  if (split.train.length === 0 || split.valid.length === 0 || split.test.length === 0) {
    throw new RecurError(`${spec.source}: ${examples.length} examples are too few for a train/validation/test split (got ${split.train.length}/${split.valid.length}/${split.test.length})`);
  }
  return { examples, labels: names, y, split };
}

/** Encodes texts (and their lexicon features when the model uses a lexicon). */
export function encodeForModel(tok: WordTokenizer, texts: readonly string[], labels: Int32Array, maxLength: number, lexicon: LexiconName | undefined): ClassifySplit {
  const ids = encodeTexts(tok, texts, maxLength);
  if ((lexicon ?? 'none') === 'none') return { ids, labels };
  return { ids, labels, features: encodeFeatures(tok, texts, loadAfinn(), maxLength) };
}

function encodeSplit(tok: WordTokenizer, examples: readonly Example[], y: Int32Array, idx: readonly number[], maxLength: number, lexicon: LexiconName | undefined): ClassifySplit {
  return encodeForModel(tok, idx.map((i) => examples[i]!.text), Int32Array.from(idx, (i) => y[i]!), maxLength, lexicon);
}

export interface ClassifyTrainResult extends TrainResult {
  /** The best checkpoint's report on the test split. */
  test: ClassificationReport;
}

function dataSpec(o: ClassifyTrainOptions): Omit<ClassifyDataSpec, 'size'> {
  const split = o.folds !== undefined ? { folds: o.folds, fold: o.fold ?? 0 } : { valid: o.validFraction, test: o.testFraction };
  return {
    source: o.data, ...(o.textColumn !== undefined ? { textColumn: o.textColumn } : {}),
    ...(o.labelColumn !== undefined ? { labelColumn: o.labelColumn } : {}), split, seed: o.seed,
  };
}

/**
 * `recur train classify`: data -> stratified split -> tokenizer (training texts only) ->
 * SequenceClassifier -> shared training loop (best checkpoint by validation loss) -> test
 * report of the best checkpoint.
 */
export async function trainClassifier(o: ClassifyTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<ClassifyTrainResult> {
  manualSeed(o.seed);
  let saved: ClassifyRunConfig | null = null;
  if (o.resume) {
    if (!hasCheckpoint(o.out, 'last')) throw new RecurError(`nothing to resume: no last.safetensors in ${o.out}`);
    saved = checkClassifyRun(loadCheckpoint(o.out, 'last'), o.out);
    if (saved.data.source !== o.data) throw new RecurError(`data mismatch on resume: ${o.out} was trained on '${saved.data.source}', not '${o.data}'`);
  }
  const spec = saved?.data ?? dataSpec(o);
  const { examples, labels, y, split } = prepareClassifyData(spec, saved?.labels);
  const tok = saved ? WordTokenizer.fromJSON(saved.tokenizer) : buildClassifyTokenizer(split.train.map((i) => examples[i]!.text), o.minFreq, o.maxVocab);
  const maxLength = saved?.maxLength ?? o.maxLength;
  const lexicon = saved ? saved.model.lexicon : o.lexicon;
  const splits = {
    train: encodeSplit(tok, examples, y, split.train, maxLength, lexicon),
    valid: encodeSplit(tok, examples, y, split.valid, maxLength, lexicon),
    test: encodeSplit(tok, examples, y, split.test, maxLength, lexicon),
  };
  const modelConfig: SequenceClassifierConfig = saved?.model ?? {
    vocabSize: tok.vocabSize, embedSize: o.embed, hiddenSize: o.hidden, numLayers: o.layers, cell: o.cell,
    bidirectional: o.bidirectional, pooling: o.pooling, dropout: o.dropout, numClasses: labels.length, paddingIdx: tok.padId!,
    lexicon: o.lexicon,
  };
  const model = new SequenceClassifier(modelConfig);
  const optimizer = taskOptimizer(o.optimizer, model.parameters(), o.lr, o.weightDecay);
  const scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 2 });
  const task = new ClassifyTask(model, splits, {
    batchSize: o.batch, seed: o.seed, labels, padId: tok.padId!, unkId: tok.unkId!, wordDropout: o.wordDropout,
    classWeights: o.classWeights === 'balanced' ? balancedClassWeights(splits.train.labels, labels.length) : null,
  });
  const config: ClassifyRunConfig = {
    task: 'classify', data: { ...spec, size: examples.length }, labels, tokenizer: tok.toJSON(), maxLength, model: modelConfig, train: { ...o },
  };
  const result = await train(task, {
    optimizer, getLr: () => optimizer.paramGroups[0]!.lr, scheduler, schedulerOn: 'eval',
    clipNorm: o.clip, maxSteps: o.steps, maxEpochs: o.epochs, maxMinutes: o.minutes,
    evalEvery: o.evalEvery, patience: o.patience, logEvery: 10, outDir: o.out, resume: o.resume,
    config, signal, onEvent,
  });
  const best = loadClassifierRun(o.out);
  return { ...result, test: (await evaluateClassifier(best.model, splits.test, labels, tok.padId!)).report };
}

/** A trained classifier, its tokenizer and config, rebuilt from a run directory. */
export interface ClassifierRun {
  model: SequenceClassifier;
  tokenizer: WordTokenizer;
  config: ClassifyRunConfig;
}

export function loadClassifierRun(dir: string, which: 'best' | 'last' = 'best'): ClassifierRun {
  const name = hasCheckpoint(dir, which) ? which : 'last';
  const ck = loadCheckpoint(dir, name);
  const config = checkClassifyRun(ck, dir);
  const model = new SequenceClassifier(config.model);
  model.loadStateDict(ck.weights);
  model.eval();
  return { model, tokenizer: WordTokenizer.fromJSON(config.tokenizer), config };
}

export interface Prediction {
  label: string;
  /** Probability of each class, in the run's label order. */
  probs: Record<string, number>;
}

/** Labels and class probabilities for raw texts. */
export async function classifyTexts(run: ClassifierRun, texts: readonly string[]): Promise<Prediction[]> {
  const { labels, maxLength } = run.config;
  const C = labels.length;
  const enc = encodeForModel(run.tokenizer, texts, new Int32Array(texts.length), maxLength, run.config.model.lexicon);
  const probs = await predictProbabilities(run.model, enc.ids, run.tokenizer.padId!, 64, enc.features);
  const best = argmaxRows(probs, C);
  return texts.map((_, i) => ({
    label: labels[best[i]!]!,
    probs: Object.fromEntries(labels.map((l, c) => [l, probs[i * C + c]!])),
  }));
}

/** The report of a run on its own split ('valid' or 'test'), or on a labelled file. */
export async function evaluateClassifierRun(run: ClassifierRun, o: { split: 'valid' | 'test'; data?: string }): Promise<{ where: string; report: ClassificationReport; loss: number }> {
  const { config, tokenizer } = run;
  let texts: string[], ids: Int32Array;
  if (o.data) {
    const ex = loadExamples(o.data, { textColumn: config.data.textColumn, labelColumn: config.data.labelColumn });
    texts = ex.map((e) => e.text);
    ids = encodeLabels(ex, config.labels);
  } else {
    const d = prepareClassifyData(config.data, config.labels);
    const idx = d.split[o.split];
    texts = idx.map((i) => d.examples[i]!.text);
    ids = Int32Array.from(idx, (i) => d.y[i]!);
  }
  const split = encodeForModel(tokenizer, texts, ids, config.maxLength, config.model.lexicon);
  const r = await evaluateClassifier(run.model, split, config.labels, tokenizer.padId!);
  return { where: o.data ?? `${config.data.source} ${o.split} split`, report: r.report, loss: r.loss };
}
