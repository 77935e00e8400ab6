import { RecurError } from '../../errors.js';
import { loadSafetensorsFile } from '../../io/node.js';
import { manualSeed } from '../../tensor/rng.js';
import { dataPath, resumeConfig, runTraining, type RunOptions } from '../../train/run.js';
import type { TrainEvent, TrainResult } from '../../train/trainer.js';
import type { AttentionType, Seq2SeqCell, Seq2SeqConfig } from './config.js';
import { BUILTIN_TRANSLATE_DATA, prepareTranslateData, type TextLevel } from './data.js';
import { Seq2Seq } from './model.js';
import { DEFAULT_DECODE, TRANSLATE_RUN, type TranslateRunConfig } from './run.js';
import { TranslateTask, type TranslateTaskData } from './task.js';

export interface TranslateTrainOptions extends RunOptions {
  data: string;
  reverse: boolean;
  attention: AttentionType;
  cell: Seq2SeqCell;
  layers: number;
  hidden: number;
  embed: number;
  bidirectional: boolean;
  inputFeeding: boolean;
  teacherForcing: number;
  dropout: number;
  bridge: 'dense' | 'zero';
  srcLevel?: TextLevel;
  tgtLevel?: TextLevel;
  bpeVocab: number;
  maxVocab?: number;
  minFreq?: number;
  /** Training pairs longer than this many tokens (either side) are left out. */
  maxLen: number;
  batch: number;
  /** Starting weights (e.g. a PyTorch twin's initial state_dict, in recur's names); ignored on resume. */
  initWeights?: string;
  /** Validation examples decoded at each evaluation. */
  evalDecode: number;
  /** Called once the data is ready (sizes, dropped pairs). */
  onData?: (info: { train: number; valid: number; test: number; dropped: number; srcVocab: number; tgtVocab: number }) => void;
}

/** The Seq2Seq that `trainTranslate` builds from these options and prepared data (also the PyTorch twin's). */
export function translateModelConfig(o: Omit<TranslateTrainOptions, 'data' | 'out'>, d: Pick<TranslateTaskData, 'src' | 'tgt' | 'specials'>): Seq2SeqConfig {
  return {
    srcVocabSize: d.src.vocabSize, tgtVocabSize: d.tgt.vocabSize, srcPadId: d.specials.srcPad, tgtPadId: d.specials.tgtPad,
    embedSize: o.embed, hiddenSize: o.hidden, encoderLayers: o.layers, decoderLayers: o.layers, cell: o.cell,
    bidirectional: o.bidirectional, attention: o.attention, inputFeeding: o.inputFeeding, dropout: o.dropout, bridge: o.bridge,
  };
}

/**
 * `recur train translate`: dataset -> tokenizers -> Seq2Seq -> the shared training loop
 * (Adam, gradient clipping, LR halved on a validation plateau, best/last checkpoints).
 */
export async function trainTranslate(options: TranslateTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainResult> {
  const o = { ...options, data: dataPath(options.data, BUILTIN_TRANSLATE_DATA) };
  manualSeed(o.seed);
  const saved = resumeConfig<TranslateRunConfig>(o, TRANSLATE_RUN, (s) => {
    if (s.data !== o.data || s.reverse !== o.reverse) {
      throw new RecurError(`data mismatch on resume: ${o.out} was trained on '${s.data}'${s.reverse ? ' (reversed)' : ''}, not '${o.data}'${o.reverse ? ' (reversed)' : ''}`);
    }
  });
  // Read as given (messages name the file as the user wrote it), stored absolute.
  const d = prepareTranslateData(saved?.data ?? options.data, o.reverse, o, saved ?? undefined);
  o.onData?.({ train: d.train.length, valid: d.valid.length, test: d.test.length, dropped: d.dropped, srcVocab: d.src.vocabSize, tgtVocab: d.tgt.vocabSize });
  const modelConfig: Seq2SeqConfig = saved?.model ?? translateModelConfig(o, d);
  const model = new Seq2Seq(modelConfig);
  if (o.initWeights && !o.resume) model.loadStateDict(loadSafetensorsFile(o.initWeights));
  const task = new TranslateTask(model, d, { batchSize: o.batch, teacherForcing: o.teacherForcing, seed: o.seed, evalDecode: o.evalDecode, metric: d.metric });
  const { onData: _drop, ...trainOpts } = o;
  const config: TranslateRunConfig = {
    task: 'translate', data: o.data, reverse: o.reverse, metric: d.metric, model: modelConfig,
    srcTokenizer: d.src.toJSON(), tgtTokenizer: d.tgt.toJSON(),
    decode: saved?.decode ?? { ...DEFAULT_DECODE, maxLenA: d.metric === 'g2p' ? 1.5 : DEFAULT_DECODE.maxLenA },
    train: { ...trainOpts },
  };
  return runTraining(task, o, config, { onEvent, signal });
}
