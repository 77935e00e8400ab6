/**
 * What a music run's checkpoint holds and the model built from it, browser-safe: the Node-only
 * loading from a run directory is in ./run.ts.
 */
import type { FrameSpec } from '../../music/pianoroll.js';
import type { RunConfig } from '../../train/run.js';
import { LanguageModel, type LanguageModelConfig } from '../lm/model.js';
import type { MusicSources } from './data.js';
import { PianoRollModel, type PianoRollModelConfig } from './model.js';

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
