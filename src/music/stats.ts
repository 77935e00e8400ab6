import type { TimedNote } from './timed.js';

/** Statistics of a set of pieces that a sample should share with its training data. */
export interface MusicStats {
  pieces: number;
  notes: number;
  /** Share of notes per pitch class C, C#, ... B (sums to 1; zeros when there are no notes). */
  pitchClasses: number[];
  /** Notes per second of music. */
  noteDensity: number;
  /** Mean number of sounding notes while at least one sounds (time-weighted). */
  polyphony: number;
  /** Mean over pieces of highest minus lowest pitch, in semitones. */
  pitchRange: number;
  /** Share of onsets whose pitch also started at the previous onset time of the piece. */
  repeatedNotes: number;
}

function pieceSpan(notes: readonly TimedNote[]): { sounding: number; weighted: number; end: number } {
  const edges: Array<[number, number]> = [];
  for (const n of notes) edges.push([n.start, 1], [n.end, -1]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let active = 0, last = 0, sounding = 0, weighted = 0;
  for (const [t, d] of edges) {
    if (active > 0) {
      sounding += t - last;
      weighted += (t - last) * active;
    }
    active += d;
    last = t;
  }
  return { sounding, weighted, end: last };
}

export function musicStats(pieces: ReadonlyArray<readonly TimedNote[]>): MusicStats {
  const pc = new Array<number>(12).fill(0);
  let notes = 0, seconds = 0, sounding = 0, weighted = 0, ranges = 0, withNotes = 0, onsets = 0, repeats = 0;
  for (const piece of pieces) {
    if (piece.length === 0) continue;
    withNotes++;
    let lo = 127, hi = 0;
    for (const n of piece) {
      pc[n.pitch % 12]!++;
      lo = Math.min(lo, n.pitch);
      hi = Math.max(hi, n.pitch);
    }
    notes += piece.length;
    ranges += hi - lo;
    const s = pieceSpan(piece);
    seconds += s.end;
    sounding += s.sounding;
    weighted += s.weighted;
    // Onset groups: notes starting within 5 ms of each other form one chord.
    const sorted = [...piece].sort((a, b) => a.start - b.start);
    let prev = new Set<number>(), cur = new Set<number>(), curStart = -Infinity;
    for (const n of sorted) {
      if (n.start - curStart > 0.005) {
        prev = cur;
        cur = new Set();
        curStart = n.start;
      }
      onsets++;
      if (prev.has(n.pitch)) repeats++;
      cur.add(n.pitch);
    }
  }
  return {
    pieces: pieces.length, notes,
    pitchClasses: pc.map((c) => (notes > 0 ? c / notes : 0)),
    noteDensity: seconds > 0 ? notes / seconds : 0,
    polyphony: sounding > 0 ? weighted / sounding : 0,
    pitchRange: withNotes > 0 ? ranges / withNotes : 0,
    repeatedNotes: onsets > 0 ? repeats / onsets : 0,
  };
}

/** Total-variation distance between two pitch-class histograms: 0 (same) to 1 (disjoint). */
export function pitchClassDistance(a: MusicStats, b: MusicStats): number {
  let d = 0;
  for (let i = 0; i < 12; i++) d += Math.abs(a.pitchClasses[i]! - b.pitchClasses[i]!);
  return d / 2;
}
