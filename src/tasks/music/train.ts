import { RecurError } from '../../errors.js';
import { loadSafetensorsFile } from '../../io/node.js';
import { BUILTIN_MIDI } from '../../music/corpus.js';
import { EVENT_VOCAB } from '../../music/performance.js';
import { checkFrameSpec, type FrameSpec, type Grid } from '../../music/pianoroll.js';
import type { CellKind } from '../../nn/index.js';
import { manualSeed } from '../../tensor/rng.js';
import { dataPath, resumeConfig, runTraining, type RunOptions } from '../../train/run.js';
import type { TrainTask } from '../../train/task.js';
import type { TrainEvent, TrainResult } from '../../train/trainer.js';
import { LanguageModel, type LanguageModelConfig } from '../lm/model.js';
import { concatIds, eventsOf, loadMusicSplits, piecesOf, rollsOf, type MusicSources } from './data.js';
import { PianoRollModel, type PianoRollModelConfig, type RollOutput } from './model.js';
import { checkMusicOptions, checkMusicRun } from './check.js';
import { MUSIC_RUN, type MusicRepr, type MusicRunConfig } from './run.js';
import { EventTask, PianoRollTask } from './task.js';

export interface MusicTrainOptions extends RunOptions {
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

/**
 * `recur train music`: MIDI files -> performance events or piano rolls -> model -> the shared
 * training run. With resume, the data, representation, frames and model come from the run.
 */
export async function trainMusic(options: MusicTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainResult> {
  const builtins = Object.keys(BUILTIN_MIDI);
  const o = { ...options, data: dataPath(options.data, builtins), valid: dataPath(options.valid, builtins), test: dataPath(options.test, builtins) };
  manualSeed(o.seed);
  const saved = resumeConfig<MusicRunConfig>(o, MUSIC_RUN, (s) => {
    if (s.repr !== o.repr) throw new RecurError(`representation mismatch on resume: ${o.out} was trained on ${s.repr}, not ${o.repr}`);
  });
  if (!saved) checkMusicOptions(o);
  const spec = (from: MusicSources): MusicSources => ({ data: from.data, ...(from.valid ? { valid: from.valid } : {}), ...(from.test ? { test: from.test } : {}) });
  // Read as given (messages name the files as the user wrote them), stored absolute.
  const splits = loadMusicSplits(spec(saved ?? options), o.onSkip);
  const sources = spec(saved ?? o);
  o.onData?.({ train: splits.train.length, valid: splits.valid.length, test: splits.test.length, skipped: splits.skipped });
  const { onSkip: _s, onData: _d, ...record } = o;
  // Batch order and augmentation are keyed by the run's own seed, so a resume redraws them alike.
  const seed = saved && typeof saved.train.seed === 'number' ? saved.train.seed : o.seed;
  let config: MusicRunConfig;
  let task: TrainTask;
  if (o.repr === 'events') {
    const model = new LanguageModel(saved?.repr === 'events' ? saved.model : eventModelConfig(o));
    config = { task: 'music', ...sources, repr: 'events', model: model.config, train: { ...record, seed } };
    task = new EventTask(model, { train: piecesOf(splits.train), valid: concatIds(eventsOf(splits.valid)), test: concatIds(eventsOf(splits.test)) },
      { batchSize: o.batch, bptt: o.bptt, augment: o.augment, seed });
  } else {
    const frames = saved?.repr === 'pianoroll' ? saved.frames : frameSpecOf(o);
    const model = new PianoRollModel(saved?.repr === 'pianoroll' ? saved.model : rollModelConfig(o));
    config = { task: 'music', ...sources, repr: 'pianoroll', frames, model: model.config, train: { ...record, seed } };
    const rolls = { train: rollsOf(splits.train, frames), valid: rollsOf(splits.valid, frames), test: rollsOf(splits.test, frames) };
    task = new PianoRollTask(model, rolls, { batchSize: o.batch, bptt: o.bptt, augment: o.augment, seed });
  }
  if (o.initWeights && !o.resume) task.model.loadStateDict(loadSafetensorsFile(o.initWeights));
  // What is saved must load: the loader's check.
  checkMusicRun({ config: JSON.parse(JSON.stringify(config)), weights: task.model.stateDict() }, o.out);
  return runTraining(task, o, config, { onEvent, signal });
}
