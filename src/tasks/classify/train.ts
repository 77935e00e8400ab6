import type { ClassificationReport } from '../../metrics/classification.js';
import type { CellKind } from '../../nn/index.js';
import type { PoolingKind } from '../../nn/pooling.js';
import { RecurError } from '../../errors.js';
import { manualSeed } from '../../tensor/rng.js';
import { WordTokenizer } from '../../text/word-tokenizer.js';
import { dataPath, resumeConfig, runTraining, type RunOptions } from '../../train/run.js';
import type { TrainEvent, TrainResult } from '../../train/trainer.js';
import { BUILTIN_CLASSIFY_DATA, buildClassifyTokenizer, encodeSplit, prepareClassifyData, type ClassifyDataSpec } from './data.js';
import type { LexiconName } from './lexicon.js';
import { SequenceClassifier, type SequenceClassifierConfig } from './model.js';
import { CLASSIFY_RUN, loadClassifierRun, type ClassifyRunConfig } from './run.js';
import { balancedClassWeights, ClassifyTask, evaluateClassifier } from './task.js';

export interface ClassifyTrainOptions extends RunOptions {
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
  classWeights: 'none' | 'balanced';
  minFreq: number;
  maxVocab?: number;
  maxLength: number;
  validFraction: number;
  testFraction: number;
  /** Cross-validation: train round `fold` (0-based) of `folds` instead of the fixed split. */
  folds?: number;
  fold?: number;
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
export async function trainClassifier(options: ClassifyTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<ClassifyTrainResult> {
  const o = { ...options, data: dataPath(options.data, BUILTIN_CLASSIFY_DATA) };
  manualSeed(o.seed);
  const saved = resumeConfig<ClassifyRunConfig>(o, CLASSIFY_RUN, (s) => {
    if (s.data.source !== o.data) throw new RecurError(`data mismatch on resume: ${o.out} was trained on '${s.data.source}', not '${o.data}'`);
  });
  // Read as given (messages name the file as the user wrote it), stored absolute.
  const spec = saved?.data ?? dataSpec(o);
  const { examples, labels, y, split } = prepareClassifyData(saved?.data ?? dataSpec(options), saved?.labels);
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
  const task = new ClassifyTask(model, splits, {
    batchSize: o.batch, seed: o.seed, labels, padId: tok.padId!, unkId: tok.unkId!, wordDropout: o.wordDropout,
    classWeights: o.classWeights === 'balanced' ? balancedClassWeights(splits.train.labels, labels.length) : null,
  });
  const config: ClassifyRunConfig = {
    task: 'classify', data: { ...spec, size: examples.length }, labels, tokenizer: tok.toJSON(), maxLength, model: modelConfig, train: { ...o },
  };
  const result = await runTraining(task, o, config, { onEvent, signal }, { plateauPatience: 2 });
  const best = loadClassifierRun(o.out);
  return { ...result, test: (await evaluateClassifier(best.model, splits.test, labels, tok.padId!)).report };
}

