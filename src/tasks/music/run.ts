import type { FrameSpec } from '../../music/pianoroll.js';
import { loadRun, type RunConfig, type RunKind } from '../../train/run.js';
import { LanguageModel, type LanguageModelConfig } from '../lm/model.js';
import { checkMusicRun, MUSIC_KIND } from './check.js';
import type { MusicSources } from './data.js';
import { PianoRollModel, type PianoRollModelConfig } from './model.js';

export const MUSIC_RUN: RunKind = { ...MUSIC_KIND, check: checkMusicRun };

export const REPRS = ['events', 'pianoroll'] as const;
export type MusicRepr = (typeof REPRS)[number];

/** What a music run directory's checkpoints carry as `config`: enough to rebuild the model. */
export type MusicRunConfig = RunConfig & MusicSources & { task: 'music' } & (
  | { repr: 'events'; model: LanguageModelConfig }
  | { repr: 'pianoroll'; frames: FrameSpec; model: PianoRollModelConfig }
);

/** The model of a run config (random weights): the LM over events, or the piano-roll model. */
export function buildMusicModel(c: MusicRunConfig): LanguageModel | PianoRollModel {
  return c.repr === 'events' ? new LanguageModel(c.model) : new PianoRollModel(c.model);
}

/** Rebuilds a trained music model from a run directory. */
export function loadMusicRun(dir: string, which: 'best' | 'last' = 'best'): { model: LanguageModel | PianoRollModel; config: MusicRunConfig } {
  return loadRun<MusicRunConfig, { model: LanguageModel | PianoRollModel }>(dir, MUSIC_RUN, (c) => ({ model: buildMusicModel(c) }), which);
}
