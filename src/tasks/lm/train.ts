import { RecurError } from '../../errors.js';
import { loadSafetensorsFile } from '../../io/node.js';
import type { CellKind } from '../../nn/index.js';
import { manualSeed } from '../../tensor/rng.js';
import { CORPUS_NAMES } from '../../data/corpora.js';
import { dataPath, resumeConfig, runTraining, type RunOptions } from '../../train/run.js';
import type { TrainEvent, TrainResult } from '../../train/trainer.js';
import { prepareLmData, type Level, type LmDataSpec } from './data.js';
import { LanguageModel } from './model.js';
import { LM_RUN, type LmRunConfig } from './run.js';
import { LmTask } from './task.js';

export interface LmTrainOptions extends RunOptions {
  corpus: string;
  /** Validation text file: the whole corpus then trains. */
  valid?: string;
  /** Test text file. */
  test?: string;
  level: Level;
  cell: CellKind;
  layers: number;
  hidden: number;
  embed: number;
  dropout: number;
  tie: boolean;
  batch: number;
  bptt: number;
  maxVocab?: number;
  minFreq?: number;
  lowercase?: boolean;
  bpeVocab?: number;
  /**
   * A safetensors file of starting weights (e.g. a PyTorch twin's initial state_dict), loaded
   * over the random initialisation; ignored on resume.
   */
  initWeights?: string;
}

/** The model a fresh run of these options builds (also the PyTorch twin's, scripts/eval/lm.ts). */
export function lmModelConfig(o: LmTrainOptions, vocabSize: number): LmRunConfig['model'] {
  return { vocabSize, embedSize: o.embed, hiddenSize: o.hidden, numLayers: o.layers, cell: o.cell, dropout: o.dropout, tieWeights: o.tie };
}

/**
 * `recur train lm`: corpus -> tokenizer -> LanguageModel -> shared training loop. With
 * resume, the model and tokenizer come from the run directory and must match the options.
 */
export async function trainLm(options: LmTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainResult> {
  const o = { ...options, corpus: dataPath(options.corpus, CORPUS_NAMES), valid: dataPath(options.valid), test: dataPath(options.test) };
  manualSeed(o.seed);
  const saved = resumeConfig<LmRunConfig>(o, LM_RUN, (s) => {
    if (s.corpus !== o.corpus || s.level !== o.level) {
      throw new RecurError(`vocabulary mismatch on resume: ${o.out} was trained on corpus '${s.corpus}' at level '${s.level}', ` +
        `not '${o.corpus}' at '${o.level}'`);
    }
  });
  const spec = (d: LmDataSpec): LmDataSpec => ({ corpus: d.corpus, ...(d.valid ? { valid: d.valid } : {}), ...(d.test ? { test: d.test } : {}) });
  // Read as given (messages name the files as the user wrote them), stored absolute.
  const { tokenizer, splits } = prepareLmData(spec(saved ?? options), o, saved?.tokenizer);
  const data = spec(saved ?? o);
  const modelConfig = saved?.model ?? lmModelConfig(o, tokenizer.vocabSize);
  const model = new LanguageModel(modelConfig);
  if (o.initWeights && !o.resume) model.loadStateDict(loadSafetensorsFile(o.initWeights));
  const task = new LmTask(model, splits, { batchSize: o.batch, bptt: o.bptt });
  const config: LmRunConfig = {
    task: 'lm', ...data, level: o.level, model: modelConfig, tokenizer: tokenizer.toJSON(), train: { ...o },
  };
  return runTraining(task, o, config, { onEvent, signal });
}
