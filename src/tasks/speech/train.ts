import type { SpecAugmentOptions } from '../../audio/augment.js';
import { featureDim, type FeatureConfig } from '../../audio/features.js';
import { RecurError } from '../../errors.js';
import { manualSeed } from '../../tensor/rng.js';
import { dataPath, resumeConfig, runTraining, type RunOptions } from '../../train/run.js';
import type { TrainEvent, TrainResult } from '../../train/trainer.js';
import { checkSpeechOptions, checkSpeechRun } from './check.js';
import { loadSpeechSplits, NAMED_SETS, type SpeechDataSpec } from './data.js';
import { SpeechRecognizer, type SpeechCell, type SpeechHead, type SpeechRecognizerConfig } from './model.js';
import { loadSpeechRun, SPEECH_RUN, targetsOf, type SpeechRunConfig } from './run.js';
import { classKey, evaluateSpeech, SpeechTask, type SpeechEvaluation } from './task.js';
import { BLANK, UnitSet } from './units.js';

export interface SpeechTrainOptions extends RunOptions {
  /** espeak-digits, asterisk-digits or a TSV manifest. */
  data: string;
  valid?: string;
  test?: string;
  /** espeak-digits: training utterances (default 2000). */
  trainCount?: number;
  features: 'fbank' | 'mfcc';
  /** Hz the audio is read at (default 16000; check.ts lists the rates). */
  sampleRate?: number;
  melBins: number;
  deltas: 0 | 1 | 2;
  cell: SpeechCell;
  layers: number;
  hidden: number;
  /** Two stride-2 convolutions before the recurrent stack. */
  conv: boolean;
  convChannels: number;
  dropout: number;
  batch: number;
  head: SpeechHead;
  /** CTC output units after the blank (characters). */
  units: string;
  pooling: 'mean' | 'max';
  specAugment: boolean;
}

export interface SpeechTrainResult extends TrainResult {
  /** The best checkpoint on the test split (greedy decoding). */
  test: SpeechEvaluation;
  summary: string[];
}

/** Light SpecAugment for short utterances (digit strings are 1-4 s). */
export const SPEC_AUGMENT: SpecAugmentOptions = { freqMasks: 2, freqMaskWidth: 8, timeMasks: 2, timeMaskWidth: 20, maxTimeFraction: 0.2 };

/**
 * `recur train speech`: audio -> features (fbank / MFCC, CMVN) -> SpeechRecognizer -> shared
 * training loop (best checkpoint by validation loss) -> test WER / CER / accuracy.
 */
export async function trainSpeech(o: SpeechTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<SpeechTrainResult> {
  manualSeed(o.seed);
  // Paths are stored absolute, so that eval and report work from any directory.
  const source = dataPath(o.data, NAMED_SETS);
  const saved = resumeConfig<SpeechRunConfig>(o, SPEECH_RUN);
  if (!saved) checkSpeechOptions(o);
  if (saved && saved.data.source !== source) throw new RecurError(`data mismatch on resume: ${o.out} was trained on '${saved.data.source}', not '${o.data}'`);
  const spec: SpeechDataSpec = saved?.data ?? {
    source, seed: o.seed, ...(o.valid ? { valid: dataPath(o.valid) } : {}), ...(o.test ? { test: dataPath(o.test) } : {}),
    ...(o.trainCount ? { trainCount: o.trainCount } : {}),
  };
  const features: FeatureConfig = saved?.features ?? {
    kind: o.features, ...(o.sampleRate !== undefined ? { sampleRate: o.sampleRate } : {}), numMelBins: o.melBins, deltas: o.deltas, cmvn: true,
  };
  const splits = await loadSpeechSplits(spec, features);
  let units: string[] | null = saved ? saved.units : null, classes: string[] | null = saved ? saved.classes : null;
  if (!saved) {
    if (o.head === 'classify') classes = [...new Set(splits.train.map((u) => classKey(u.transcript)))].sort();
    else units = new UnitSet([BLANK, ...[...o.units]]).units.slice();
  }
  const modelConfig: SpeechRecognizerConfig = saved?.model ?? {
    inputSize: featureDim(features), convLayers: o.conv ? 2 : 0, convChannels: o.convChannels, cell: o.cell, hiddenSize: o.hidden,
    numLayers: o.layers, bidirectional: true, dropout: o.dropout, head: o.head,
    numOutputs: o.head === 'classify' ? classes!.length : units!.length, pooling: o.pooling,
  };
  if (modelConfig.head === 'classify' && modelConfig.numOutputs < 2) throw new RecurError(`--head classify: the training set has ${modelConfig.numOutputs} distinct transcript; at least 2 classes are needed`);
  const config: SpeechRunConfig = { task: 'speech', data: spec, features, units, classes, model: modelConfig, train: { ...o } };
  // What is saved must load: the loader's check, before anything is allocated.
  checkSpeechRun({ config: JSON.parse(JSON.stringify(config)) }, o.out);
  const targets = targetsOf(config);
  const model = new SpeechRecognizer(modelConfig);
  const task = new SpeechTask(model, targets, splits, { batchSize: o.batch, seed: o.seed, specAugment: o.specAugment ? SPEC_AUGMENT : null });
  const result = await runTraining(task, o, config, { onEvent, signal });
  const best = loadSpeechRun(o.out);
  const test = await evaluateSpeech(best.model, best.targets, splits.test, { beam: 1 });
  return { ...result, test, summary: splits.summary };
}
