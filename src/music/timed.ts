import { RecurError } from '../errors.js';
import { tempoMap, type Note, type Score } from './midi.js';
import type { TempoMap } from './tempo.js';

/** A note in seconds, the unit of performance events and of sample statistics. */
export interface TimedNote {
  pitch: number;
  velocity: number;
  /** Seconds. */
  start: number;
  /** Seconds, > start. */
  end: number;
}

/** The pitched notes of a score in seconds, through its tempo map, sorted by start then pitch. */
export function timedNotes(score: Score, map: TempoMap = tempoMap(score)): TimedNote[] {
  return score.notes
    .map((n) => ({ pitch: n.pitch, velocity: n.velocity, start: map.seconds(n.startTick), end: map.seconds(n.endTick) }))
    .sort((a, b) => a.start - b.start || a.pitch - b.pitch);
}

/**
 * A one-track piano score of timed notes on a tempo map (ticks rounded; a note keeps at least
 * one tick). `program` is the GM instrument (0 = acoustic grand piano).
 */
export function scoreFromTimed(notes: readonly TimedNote[], map: TempoMap, program = 0): Score {
  const out: Note[] = [];
  for (const n of notes) {
    if (!(n.end > n.start) || n.start < 0) throw new RecurError(`note ${n.pitch} at ${n.start}s: expected 0 <= start < end, got end ${n.end}s`);
    const startTick = Math.round(map.tick(n.start));
    const endTick = Math.max(startTick + 1, Math.round(map.tick(n.end)));
    out.push({ pitch: n.pitch, velocity: Math.min(127, Math.max(1, Math.round(n.velocity))), startTick, endTick, channel: 0, program, stream: 0 });
  }
  out.sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
  return { ticksPerBeat: map.ticksPerBeat, tempos: [...map.changes], timeSignatures: [], notes: out, drums: [] };
}
