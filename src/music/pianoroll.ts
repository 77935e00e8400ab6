import { RecurError } from '../errors.js';
import { tempoMap, type Note, type Score } from './midi.js';
import type { TempoMap } from './tempo.js';

/** The 88 keys of a piano, MIDI 21 (A0) to 108 (C8): one column of the roll each. */
export const LOW_KEY = 21;
export const KEYS = 88;

export const GRIDS = ['quarter', 'eighth', 'sixteenth'] as const;
export type Grid = (typeof GRIDS)[number];

/** Frames on a musical grid (beats of the file's tempo map) or at a fixed rate in seconds. */
export type FrameSpec = { grid: Grid } | { fps: number };

/** A multi-hot piano roll: data[f * 88 + k] = 1 when key LOW_KEY + k sounds in frame f. */
export interface PianoRoll {
  frames: number;
  data: Uint8Array;
}

const PER_BEAT: Record<Grid, number> = { quarter: 1, eighth: 2, sixteenth: 4 };

export function checkFrameSpec(spec: FrameSpec): void {
  if ('grid' in spec) {
    if (!GRIDS.includes(spec.grid)) throw new RecurError(`grid must be one of ${GRIDS.join(', ')}, got '${String(spec.grid)}'`);
  } else if (!(spec.fps > 0 && Number.isFinite(spec.fps))) throw new RecurError(`frame rate must be a number > 0, got ${spec.fps}`);
}

/** Frame position (fractional) of a tick. */
function frameOf(tick: number, spec: FrameSpec, map: TempoMap): number {
  return 'grid' in spec ? (tick * PER_BEAT[spec.grid]) / map.ticksPerBeat : map.seconds(tick) * spec.fps;
}

/** Tick at which frame f starts. */
export function frameTick(f: number, spec: FrameSpec, map: TempoMap): number {
  return 'grid' in spec ? (f * map.ticksPerBeat) / PER_BEAT[spec.grid] : map.tick(f / spec.fps);
}

/** Seconds per frame at the start of the piece (for grids this follows the tempo). */
export function frameSeconds(spec: FrameSpec, map: TempoMap): number {
  return 'grid' in spec ? map.initialUsPerBeat / 1e6 / PER_BEAT[spec.grid] : 1 / spec.fps;
}

/**
 * The score's pitched notes as a piano roll (Boulanger-Lewandowski et al. 2012). Onset and
 * release are rounded to the nearest frame boundary and a note keeps at least one frame; keys
 * outside 21-108 are dropped.
 */
export function pianoRoll(score: Score, spec: FrameSpec, map: TempoMap = tempoMap(score)): PianoRoll {
  checkFrameSpec(spec);
  const spans: Array<[number, number, number]> = [];
  let frames = 0;
  for (const n of score.notes) {
    const k = n.pitch - LOW_KEY;
    if (k < 0 || k >= KEYS) continue;
    const a = Math.round(frameOf(n.startTick, spec, map));
    const b = Math.max(a + 1, Math.round(frameOf(n.endTick, spec, map)));
    spans.push([k, a, b]);
    frames = Math.max(frames, b);
  }
  const data = new Uint8Array(frames * KEYS);
  for (const [k, a, b] of spans) for (let f = a; f < b; f++) data[f * KEYS + k] = 1;
  return { frames, data };
}

/**
 * A piano roll back to a one-track score: each run of consecutive active frames of a key is
 * one note (a roll cannot tell a held note from a repeated one).
 */
export function scoreFromRoll(roll: PianoRoll, spec: FrameSpec, map: TempoMap, velocity = 80, program = 0): Score {
  checkFrameSpec(spec);
  const notes: Note[] = [];
  for (let k = 0; k < KEYS; k++) {
    let start = -1;
    for (let f = 0; f <= roll.frames; f++) {
      const on = f < roll.frames && roll.data[f * KEYS + k] === 1;
      if (on && start < 0) start = f;
      if (!on && start >= 0) {
        const startTick = Math.round(frameTick(start, spec, map));
        const endTick = Math.max(startTick + 1, Math.round(frameTick(f, spec, map)));
        notes.push({ pitch: LOW_KEY + k, velocity, startTick, endTick, channel: 0, program, stream: 0 });
        start = -1;
      }
    }
  }
  notes.sort((a, b) => a.startTick - b.startTick || a.pitch - b.pitch);
  return { ticksPerBeat: map.ticksPerBeat, tempos: [...map.changes], timeSignatures: [], notes, drums: [] };
}

/** Shifts a roll by `semitones` keys; keys pushed past either end are dropped. */
export function transposeRoll(roll: PianoRoll, semitones: number): PianoRoll {
  const data = new Uint8Array(roll.data.length);
  for (let f = 0; f < roll.frames; f++) {
    for (let k = 0; k < KEYS; k++) {
      const j = k + semitones;
      if (j >= 0 && j < KEYS && roll.data[f * KEYS + k]) data[f * KEYS + j] = 1;
    }
  }
  return { frames: roll.frames, data };
}
