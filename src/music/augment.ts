import type { Rng } from '../tensor/rng.js';
import type { TimedNote } from './timed.js';

/** Performance RNN's augmentation ranges (Oore et al. 2018). */
export const MAX_TRANSPOSE = 6;
export const MAX_STRETCH = 0.05;

/** Shifts every pitch by `semitones`, dropping notes that leave [lo, hi]. */
export function transpose(notes: readonly TimedNote[], semitones: number, lo = 0, hi = 127): TimedNote[] {
  const out: TimedNote[] = [];
  for (const n of notes) {
    const p = n.pitch + semitones;
    if (p >= lo && p <= hi) out.push({ ...n, pitch: p });
  }
  return out;
}

/** Multiplies every time by `factor` (1.05 plays 5% slower). */
export function stretch(notes: readonly TimedNote[], factor: number): TimedNote[] {
  return notes.map((n) => ({ ...n, start: n.start * factor, end: n.end * factor }));
}

/** A random transposition in [-6, 6] semitones and time stretch in [0.95, 1.05], drawn from rng. */
export function augmentNotes(notes: readonly TimedNote[], rng: Rng): TimedNote[] {
  const semitones = Math.floor(rng.random() * (2 * MAX_TRANSPOSE + 1)) - MAX_TRANSPOSE;
  const factor = 1 + (2 * rng.random() - 1) * MAX_STRETCH;
  return stretch(transpose(notes, semitones), factor);
}
