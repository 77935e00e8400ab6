import { RecurError } from '../../errors.js';
import { ReduceLROnPlateau } from '../../optim/index.js';
import { optimizerByName, type OptimizerName } from '../../optim/by-name.js';
import { loadSafetensorsFile } from '../../io/node.js';
import { EVENT_VOCAB } from '../../music/performance.js';
import { checkFrameSpec, type FrameSpec, type Grid } from '../../music/pianoroll.js';
import { manualSeed } from '../../tensor/rng.js';
import { hasCheckpoint, loadCheckpoint } from '../../train/checkpoint.js';
import { train, type TrainEvent, type TrainResult } from '../../train/trainer.js';
import type { TrainTask } from '../../train/task.js';
import { LanguageModel, type CellKind, type LanguageModelConfig } from '../lm/model.js';
import type { MusicRepr, MusicRunConfig } from './config.js';
import { concatIds, eventsOf, loadMusicSplits, piecesOf, rollsOf } from './data.js';
import { EventTask } from './event-task.js';
import { PianoRollModel, type PianoRollModelConfig, type RollOutput } from './pianoroll-model.js';
import { PianoRollTask } from './pianoroll-task.js';

export interface MusicTrainOptions {
  data: string;
  valid?: string;
  test?: string;
  repr: MusicRepr;
  /** Piano roll: beat grid, unless fps is set. */
  grid: Grid;
  fps?: number;
  output: RollOutput;
  madeHidden: number;
  cell: CellKind;
  layers: number;
  hidden: number;
  /** Events: embedding size. */
  embed: number;
  dropout: number;
  augment: boolean;
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
  /** Starting weights (e.g. a PyTorch twin's initial state_dict); ignored on resume. */
  initWeights?: string;
  /** Called for each MIDI file that could not be read. */
  onSkip?: (path: string, reason: string) => void;
  /** Called once the data is loaded: files per split and files skipped. */
  onData?: (summary: { train: number; valid: number; test: number; skipped: number }) => void;
}

export function frameSpecOf(o: Pick<MusicTrainOptions, 'grid' | 'fps'>): FrameSpec {
  const spec: FrameSpec = o.fps ? { fps: o.fps } : { grid: o.grid };
  checkFrameSpec(spec);
  return spec;
}

/** The event model a fresh run of these options builds. */
export function eventModelConfig(o: MusicTrainOptions): LanguageModelConfig {
  return { vocabSize: EVENT_VOCAB, embedSize: o.embed, hiddenSize: o.hidden, numLayers: o.layers, cell: o.cell, dropout: o.dropout, tieWeights: false };
}

/** The piano-roll model a fresh run of these options builds (also the PyTorch twin's, scripts/eval/music.ts). */
export function rollModelConfig(o: MusicTrainOptions): PianoRollModelConfig {
  return { hiddenSize: o.hidden, numLayers: o.layers, cell: o.cell, dropout: o.dropout, output: o.output, madeHidden: o.madeHidden };
}

/** Rebuilds the model of a run config (random weights). */
export function buildMusicModel(c: MusicRunConfig): LanguageModel | PianoRollModel {
  return c.repr === 'events' ? new LanguageModel(c.model) : new PianoRollModel(c.model);
}

/**
 * `recur train music`: MIDI folder -> performance events or piano rolls -> model -> the shared
 * training loop. With resume, the representation and model come from the run directory.
 */
export async function trainMusic(o: MusicTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainResult> {
  manualSeed(o.seed);
  let saved: MusicRunConfig | null = null;
  if (o.resume) {
    if (!hasCheckpoint(o.out, 'last')) throw new RecurError(`nothing to resume: no last.safetensors in ${o.out}`);
    saved = loadCheckpoint(o.out, 'last').config as MusicRunConfig;
    if (!saved || saved.task !== 'music') throw new RecurError(`${o.out} is not a music run`);
    if (saved.repr !== o.repr) throw new RecurError(`representation mismatch on resume: ${o.out} was trained on ${saved.repr}, not ${o.repr}`);
  }
  const splits = loadMusicSplits(o, o.onSkip);
  o.onData?.({ train: splits.train.length, valid: splits.valid.length, test: splits.test.length, skipped: splits.skipped });
  const base = { task: 'music' as const, data: o.data, valid: o.valid ?? null, test: o.test ?? null, train: trainRecord(o) };
  let config: MusicRunConfig;
  let task: TrainTask;
  if (o.repr === 'events') {
    const model = new LanguageModel(saved?.repr === 'events' ? saved.model : eventModelConfig(o));
    config = { ...base, repr: 'events', model: model.config };
    task = new EventTask(model, { train: piecesOf(splits.train), valid: concatIds(eventsOf(splits.valid)), test: concatIds(eventsOf(splits.test)) }, { batchSize: o.batch, bptt: o.bptt, augment: o.augment, seed: o.seed });
  } else {
    const frames = saved?.repr === 'pianoroll' ? saved.frames : frameSpecOf(o);
    const model = new PianoRollModel(saved?.repr === 'pianoroll' ? saved.model : rollModelConfig(o));
    config = { ...base, repr: 'pianoroll', frames, model: model.config };
    const rolls = { train: rollsOf(splits.train, frames), valid: rollsOf(splits.valid, frames), test: rollsOf(splits.test, frames) };
    task = new PianoRollTask(model, rolls, { batchSize: o.batch, bptt: o.bptt, augment: o.augment, seed: o.seed });
  }
  if (o.initWeights && !o.resume) task.model.loadStateDict(loadSafetensorsFile(o.initWeights));
  const optimizer = optimizerByName(o.optimizer, task.model.parameters(), o.lr);
  const scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 1 });
  return train(task, {
    optimizer, getLr: () => optimizer.paramGroups[0]!.lr, scheduler, schedulerOn: 'eval',
    clipNorm: o.clip, maxSteps: o.steps, maxEpochs: o.epochs, maxMinutes: o.minutes,
    evalEvery: o.evalEvery, patience: o.patience, logEvery: 10, outDir: o.out, resume: o.resume,
    config, signal, onEvent,
  });
}

/** The options worth keeping in the run config (no callbacks). */
function trainRecord(o: MusicTrainOptions): Record<string, unknown> {
  const { onSkip: _onSkip, onData: _onData, ...rest } = o;
  return { ...rest };
}

/** Rebuilds a trained music model from a run directory. */
export function loadMusicRun(dir: string, which: 'best' | 'last' = 'best'): { model: LanguageModel | PianoRollModel; config: MusicRunConfig } {
  const name = hasCheckpoint(dir, which) ? which : 'last';
  const ck = loadCheckpoint(dir, name);
  const config = ck.config as MusicRunConfig;
  if (!config || config.task !== 'music') throw new RecurError(`${dir} is not a music run`);
  const model = buildMusicModel(config);
  model.loadStateDict(ck.weights);
  model.eval();
  return { model, config };
}
