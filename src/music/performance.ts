import { RecurError } from '../errors.js';
import type { TimedNote } from './timed.js';

/**
 * Performance events (Oore et al. 2018, "This time with feeling"), as Magenta's Performance
 * RNN encodes them, with this vocabulary of 388 ids:
 *
 * | ids     | event                                      |
 * |---------|--------------------------------------------|
 * | 0-127   | NOTE_ON pitch                              |
 * | 128-255 | NOTE_OFF pitch                             |
 * | 256-355 | TIME_SHIFT by (id - 255) x 10 ms           |
 * | 356-387 | VELOCITY bin 1-32 for the following notes  |
 */
export const NOTE_ON = 0;
export const NOTE_OFF = 128;
export const TIME_SHIFT = 256;
export const VELOCITY = 356;
export const EVENT_VOCAB = 388;
export const SHIFT_STEPS = 100;
export const VELOCITY_BINS = 32;
/** Seconds per time-shift step. */
export const STEP_SECONDS = 0.01;

/** Velocity 1-127 -> bin 1-32 (Magenta's performance_lib). */
export function velocityBin(velocity: number): number {
  return Math.floor(((velocity - 1) * VELOCITY_BINS) / 127) + 1;
}

/** Bin 1-32 -> the lowest velocity of the bin. */
export function binVelocity(bin: number): number {
  return 1 + (bin - 1) * Math.ceil(127 / VELOCITY_BINS);
}

export function describeEvent(id: number): string {
  if (id < NOTE_OFF) return `NOTE_ON ${id}`;
  if (id < TIME_SHIFT) return `NOTE_OFF ${id - NOTE_OFF}`;
  if (id < VELOCITY) return `TIME_SHIFT ${(id - TIME_SHIFT + 1) * 10}ms`;
  if (id < EVENT_VOCAB) return `VELOCITY ${id - VELOCITY + 1}`;
  return `unknown event ${id}`;
}

/**
 * Notes -> events. Times are rounded to 10 ms steps; a note that rounds to zero length keeps
 * one step. At one step note-offs come before note-ons; a VELOCITY event precedes a note-on
 * only when the bin changes; gaps longer than 1 s become several TIME_SHIFTs.
 */
export function encodePerformance(notes: readonly TimedNote[]): Int32Array {
  interface Ev { step: number; off: boolean; pitch: number; velocity: number }
  const evs: Ev[] = [];
  for (const n of notes) {
    if (!(n.pitch >= 0 && n.pitch <= 127)) throw new RecurError(`encodePerformance: pitch ${n.pitch} is outside 0-127`);
    const s = Math.max(0, Math.round(n.start / STEP_SECONDS));
    const e = Math.max(s + 1, Math.round(n.end / STEP_SECONDS));
    evs.push({ step: s, off: false, pitch: n.pitch, velocity: n.velocity }, { step: e, off: true, pitch: n.pitch, velocity: 0 });
  }
  evs.sort((a, b) => a.step - b.step || Number(b.off) - Number(a.off) || a.pitch - b.pitch);
  const out: number[] = [];
  let now = 0, bin = 0;
  for (const ev of evs) {
    for (let gap = ev.step - now; gap > 0; gap -= SHIFT_STEPS) out.push(TIME_SHIFT + Math.min(gap, SHIFT_STEPS) - 1);
    now = ev.step;
    if (ev.off) {
      out.push(NOTE_OFF + ev.pitch);
      continue;
    }
    const b = velocityBin(ev.velocity);
    if (b !== bin) out.push(VELOCITY + b - 1);
    bin = b;
    out.push(NOTE_ON + ev.pitch);
  }
  return Int32Array.from(out);
}

/**
 * Events -> notes. A NOTE_OFF closes the earliest open note of its pitch (one without an open
 * note is ignored); notes still open at the end close `tailSeconds` after the last event.
 * No note lasts longer than `maxNoteSeconds` (sampled sequences can leave notes hanging; Magenta's
 * Performance RNN ends them after 5 s when it decodes a sample). The velocity before any
 * VELOCITY event is 64's bin.
 */
export function decodePerformance(ids: ArrayLike<number>, tailSeconds = 0.5, maxNoteSeconds = Infinity): TimedNote[] {
  if (!(maxNoteSeconds > 0)) throw new RecurError(`decodePerformance: maxNoteSeconds must be > 0, got ${maxNoteSeconds}`);
  const maxSteps = Math.max(1, Math.round(maxNoteSeconds / STEP_SECONDS));
  const note = (pitch: number, on: { start: number; velocity: number }, end: number): TimedNote =>
    ({ pitch, velocity: on.velocity, start: on.start * STEP_SECONDS, end: Math.min(end, on.start + maxSteps) * STEP_SECONDS });
  const open = new Map<number, Array<{ start: number; velocity: number }>>();
  const notes: TimedNote[] = [];
  let step = 0, velocity = binVelocity(velocityBin(64));
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!(Number.isInteger(id) && id >= 0 && id < EVENT_VOCAB)) throw new RecurError(`decodePerformance: event ${i} is ${id}, expected an id in 0-${EVENT_VOCAB - 1}`);
    if (id < NOTE_OFF) {
      const q = open.get(id) ?? [];
      q.push({ start: step, velocity });
      open.set(id, q);
    } else if (id < TIME_SHIFT) {
      const on = open.get(id - NOTE_OFF)?.shift();
      if (on && step > on.start) notes.push(note(id - NOTE_OFF, on, step));
    } else if (id < VELOCITY) step += id - TIME_SHIFT + 1;
    else velocity = binVelocity(id - VELOCITY + 1);
  }
  const tail = step + Math.max(1, Math.round(tailSeconds / STEP_SECONDS));
  for (const [pitch, q] of open) for (const on of q) notes.push(note(pitch, on, tail));
  return notes.sort((a, b) => a.start - b.start || a.pitch - b.pitch);
}

/** Seconds covered by a sequence of events (the sum of its time shifts). */
export function performanceSeconds(ids: ArrayLike<number>): number {
  let steps = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i]! >= TIME_SHIFT && ids[i]! < VELOCITY) steps += ids[i]! - TIME_SHIFT + 1;
  return steps * STEP_SECONDS;
}
