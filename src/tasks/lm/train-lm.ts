import { RecurError } from '../../errors.js';
import { loadSafetensorsFile } from '../../io/node.js';
import { ReduceLROnPlateau } from '../../optim/index.js';
import { optimizerByName, type OptimizerName } from '../../optim/by-name.js';
import { manualSeed } from '../../tensor/rng.js';
import { hasCheckpoint, loadCheckpoint } from '../../train/checkpoint.js';
import { train, type TrainEvent, type TrainResult } from '../../train/trainer.js';
import { checkLmRun, LanguageModel, type CellKind } from './model.js';
import { prepareLmData, type Level, type LmRunConfig } from './setup.js';
import { LmTask } from './task.js';

export { OPTIMIZERS, type OptimizerName } from '../../optim/by-name.js';

export interface LmTrainOptions {
  corpus: string;
  level: Level;
  cell: CellKind;
  layers: number;
  hidden: number;
  embed: number;
  dropout: number;
  tie: boolean;
  batch: number;
  bptt: number;
  lr: number;
  optimizer: OptimizerName;
  clip: number;
  epochs?: number;
  minutes?: number;
  steps?: number;
  evalEvery?: number;
  patience?: number;
  seed: number;
  out: string;
  resume: boolean;
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
export async function trainLm(o: LmTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainResult> {
  manualSeed(o.seed);
  let saved: LmRunConfig | null = null;
  if (o.resume) {
    if (!hasCheckpoint(o.out, 'last')) throw new RecurError(`nothing to resume: no last.safetensors in ${o.out}`);
    saved = checkLmRun(loadCheckpoint(o.out, 'last'), o.out);
    if (saved.corpus !== o.corpus || saved.level !== o.level) {
      throw new RecurError(`vocabulary mismatch on resume: ${o.out} was trained on corpus '${saved.corpus}' at level '${saved.level}', ` +
        `not '${o.corpus}' at '${o.level}'`);
    }
  }
  const { tokenizer, splits } = prepareLmData(o.corpus, o, saved?.tokenizer);
  const modelConfig = saved?.model ?? lmModelConfig(o, tokenizer.vocabSize);
  const model = new LanguageModel(modelConfig);
  if (o.initWeights && !o.resume) model.loadStateDict(loadSafetensorsFile(o.initWeights));
  const optimizer = optimizerByName(o.optimizer, model.parameters(), o.lr);
  const scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 1 });
  const task = new LmTask(model, splits, { batchSize: o.batch, bptt: o.bptt });
  const config: LmRunConfig = {
    task: 'lm', corpus: o.corpus, level: o.level, model: modelConfig, tokenizer: tokenizer.toJSON(),
    train: { ...o },
  };
  return train(task, {
    optimizer, getLr: () => optimizer.paramGroups[0]!.lr, scheduler, schedulerOn: 'eval',
    clipNorm: o.clip, maxSteps: o.steps, maxEpochs: o.epochs, maxMinutes: o.minutes,
    evalEvery: o.evalEvery, patience: o.patience, logEvery: 10, outDir: o.out, resume: o.resume,
    config, signal, onEvent,
  });
}

/** Rebuilds a trained language model and its tokenizer from a run directory. */
export function loadLmRun(dir: string, which: 'best' | 'last' = 'best'): { model: LanguageModel; config: LmRunConfig } {
  const name = hasCheckpoint(dir, which) ? which : 'last';
  const ck = loadCheckpoint(dir, name);
  const config = checkLmRun(ck, dir);
  const model = new LanguageModel(config.model);
  model.loadStateDict(ck.weights);
  model.eval();
  return { model, config };
}
