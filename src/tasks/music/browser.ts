/**
 * A trained music run in any JavaScript runtime, browser included (no file system):
 * `import { composer } from 'recur'; const run = composer.fromCheckpoint(bytes)`, then
 * `await composer.compose(run, { primer, seconds, temperature, seed })` gives the MIDI bytes and
 * the notes to draw and play. The sampling is `recur compose`'s (src/tasks/music/compose.ts), so
 * the same run, primer and options give the same file; `compose` returns to the event loop
 * every few milliseconds, so a page stays responsive while it samples.
 */
import { RecurError } from '../../errors.js';
import { readMidi, tempoMap, writeMidi, type Score } from '../../music/midi.js';
import type { LanguageModel } from '../lm/model.js';
import { modelFromCheckpoint } from '../from-checkpoint.js';
import { checkMusicRun, MUSIC_KIND } from './check.js';
import { composeEventsSteps, composeRollSteps, type ComposeOptions, type ComposeSteps } from './compose.js';
import type { PianoRollModel } from './model.js';
import { buildMusicModel, type MusicRunConfig } from './run-config.js';

export type { MusicRunConfig, MusicRepr } from './run-config.js';

export interface MusicRun {
  model: LanguageModel | PianoRollModel;
  config: MusicRunConfig;
}

/** Rebuilds a music model from a run's checkpoint bytes (best/last.safetensors); `name` labels errors. */
export function fromCheckpoint(bytes: Uint8Array | ArrayBuffer, name = 'checkpoint'): MusicRun {
  return modelFromCheckpoint(bytes, name, MUSIC_KIND, checkMusicRun, buildMusicModel);
}

export interface ComposeRequest {
  /** A MIDI file to continue (its tempo map times the output); none: start from silence. */
  primer?: Uint8Array | null;
  /** Names the primer in errors. */
  primerName?: string;
  /** Length of the continuation in seconds. */
  seconds: number;
  temperature: number;
  /** Events: nucleus mass (1 = off). */
  topP?: number;
  seed: number;
}

/** A note to draw or play, in seconds. */
export interface TimedNoteView {
  pitch: number;
  velocity: number;
  start: number;
  end: number;
  /** Part of the primer, not of the continuation. */
  primer: boolean;
}

export interface ComposedMusic {
  /** The .mid file: the primer's notes and the continuation, with the primer's tempo map. */
  midi: Uint8Array;
  score: Score;
  notes: TimedNoteView[];
  /** Notes of the continuation alone. */
  generatedNotes: number;
  /** Where the primer ends (0 without one). */
  primerSeconds: number;
  /** End of the last note. */
  seconds: number;
}

/** The continuation one event (or frame) per step; each step yields the fraction done. */
export function* composeSteps(run: MusicRun, req: ComposeRequest): ComposeSteps<ComposedMusic> {
  const primer = req.primer ? readMidi(req.primer, req.primerName ?? 'primer', { drums: 'drop' }) : null;
  const o: ComposeOptions = { primer, seconds: req.seconds, temperature: req.temperature, topP: req.topP ?? 1, seed: req.seed };
  const c = run.config.repr === 'events'
    ? yield* composeEventsSteps(run.model as LanguageModel, o)
    : yield* composeRollSteps(run.model as PianoRollModel, run.config.frames, o);
  const map = tempoMap(c.score);
  const primerMap = primer ? tempoMap(primer) : null;
  const primerSeconds = primer ? primer.notes.reduce((m, n) => Math.max(m, primerMap!.seconds(n.endTick)), 0) : 0;
  const notes = c.score.notes.map((n) => {
    const start = map.seconds(n.startTick);
    return { pitch: n.pitch, velocity: n.velocity, start, end: map.seconds(n.endTick), primer: start < primerSeconds - 1e-6 };
  });
  return {
    midi: writeMidi(c.score), score: c.score, notes, generatedNotes: c.generatedNotes, primerSeconds,
    seconds: notes.reduce((m, n) => Math.max(m, n.end), 0),
  };
}

export interface ComposeProgress {
  /** Called with the fraction done, at most once per slice. */
  onProgress?: (fraction: number) => void;
  /** Checked once per slice: true stops composing (the promise rejects with "stopped"). */
  shouldStop?: () => boolean;
  /** Milliseconds of sampling between returns to the event loop (0: one step each time). Default 8. */
  sliceMs?: number;
}

/** {@link composeSteps} run in slices of `sliceMs`, handing the event loop back in between. */
export async function compose(run: MusicRun, req: ComposeRequest, p: ComposeProgress = {}): Promise<ComposedMusic> {
  const steps = composeSteps(run, req);
  const slice = p.sliceMs ?? 8;
  for (;;) {
    const until = performance.now() + slice;
    let r = steps.next();
    while (!r.done && performance.now() < until) r = steps.next();
    if (r.done) return r.value;
    p.onProgress?.(r.value);
    await new Promise((ok) => setTimeout(ok, 0));
    if (p.shouldStop?.()) {
      steps.return(undefined as never);
      throw new RecurError('stopped');
    }
  }
}
