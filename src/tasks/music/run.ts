import { loadRun, type RunKind } from '../../train/run.js';
import type { LanguageModel } from '../lm/model.js';
import { checkMusicRun, MUSIC_KIND } from './check.js';
import type { PianoRollModel } from './model.js';
import { buildMusicModel, type MusicRunConfig } from './run-config.js';

export const MUSIC_RUN: RunKind = { ...MUSIC_KIND, check: checkMusicRun };

export { REPRS, buildMusicModel, type MusicRepr, type MusicRunConfig } from './run-config.js';

/** Rebuilds a trained music model from a run directory. */
export function loadMusicRun(dir: string, which: 'best' | 'last' = 'best'): { model: LanguageModel | PianoRollModel; config: MusicRunConfig } {
  return loadRun<MusicRunConfig, { model: LanguageModel | PianoRollModel }>(dir, MUSIC_RUN, (c) => ({ model: buildMusicModel(c) }), which);
}
