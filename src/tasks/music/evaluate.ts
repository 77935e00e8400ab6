import type { MidiEntry } from '../../music/corpus.js';
import type { EvalResult } from '../../train/task.js';
import { LanguageModel } from '../lm/model.js';
import type { MusicRunConfig } from './run.js';
import { concatIds, eventsOf, rollsOf } from './data.js';
import { evaluateEvents } from './task.js';
import type { PianoRollModel } from './model.js';
import { evaluateRolls } from './task.js';

/** NLL per event or per frame (and frame accuracy) of a trained music model on MIDI files. */
export async function evaluateMusic(model: LanguageModel | PianoRollModel, config: MusicRunConfig, files: readonly MidiEntry[]): Promise<EvalResult> {
  if (config.repr === 'events') {
    const bptt = Number((config.train as { bptt?: number }).bptt ?? 128);
    return evaluateEvents(model as LanguageModel, concatIds(eventsOf(files)), bptt);
  }
  return evaluateRolls(model as PianoRollModel, rollsOf(files, config.frames));
}
