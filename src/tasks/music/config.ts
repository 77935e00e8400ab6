import type { FrameSpec } from '../../music/pianoroll.js';
import type { LanguageModelConfig } from '../lm/model.js';
import type { PianoRollModelConfig } from './pianoroll-model.js';

export const REPRS = ['events', 'pianoroll'] as const;
export type MusicRepr = (typeof REPRS)[number];

/** What a music run directory's checkpoints carry as `config`: enough to rebuild the model. */
export type MusicRunConfig = {
  task: 'music';
  data: string;
  valid: string | null;
  test: string | null;
  train: Record<string, unknown>;
} & (
  | { repr: 'events'; model: LanguageModelConfig }
  | { repr: 'pianoroll'; frames: FrameSpec; model: PianoRollModelConfig }
);
