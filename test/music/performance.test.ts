import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { augmentNotes, stretch, transpose } from '../../src/music/augment.js';
import {
  binVelocity, decodePerformance, describeEvent, encodePerformance, EVENT_VOCAB, NOTE_OFF, NOTE_ON, performanceSeconds,
  TIME_SHIFT, VELOCITY, velocityBin,
} from '../../src/music/performance.js';
import type { TimedNote } from '../../src/music/timed.js';
import { Rng } from '../../src/tensor/rng.js';

const note = (pitch: number, start: number, end: number, velocity = 80): TimedNote => ({ pitch, velocity, start, end });

/** Random notes on the 10 ms grid with velocities that are bin floors (what a round trip keeps). */
function randomNotes(rng: Rng, n: number): TimedNote[] {
  const out: TimedNote[] = [];
  for (let i = 0; i < n; i++) {
    const s = rng.int(600);
    out.push(note(rng.int(128), s / 100, (s + 1 + rng.int(250)) / 100, binVelocity(1 + rng.int(32))));
  }
  return out;
}

/** No two notes of one pitch overlap (a note-off closes the earliest open note of its pitch). */
function withoutSamePitchOverlap(notes: TimedNote[]): TimedNote[] {
  const last = new Map<number, number>();
  return [...notes].sort((a, b) => a.start - b.start).filter((n) => {
    if ((last.get(n.pitch) ?? -1) > n.start) return false;
    last.set(n.pitch, n.end);
    return true;
  });
}

const key = (ns: TimedNote[]): string[] => ns.map((n) => `${n.pitch}@${Math.round(n.start * 100)}-${Math.round(n.end * 100)}v${n.velocity}`).sort();

describe('performance events (Oore et al. 2018)', () => {
  test('vocabulary: 128 NOTE_ON, 128 NOTE_OFF, 100 TIME_SHIFT, 32 VELOCITY', () => {
    assert.deepEqual([NOTE_ON, NOTE_OFF, TIME_SHIFT, VELOCITY, EVENT_VOCAB], [0, 128, 256, 356, 388]);
    assert.equal(describeEvent(255), 'NOTE_OFF 127');
    assert.equal(describeEvent(256), 'TIME_SHIFT 10ms');
    assert.equal(describeEvent(355), 'TIME_SHIFT 1000ms');
    assert.equal(describeEvent(387), 'VELOCITY 32');
    assert.deepEqual([velocityBin(1), velocityBin(127), velocityBin(64)], [1, 32, 16]);
    for (let b = 1; b <= 32; b++) assert.equal(velocityBin(binVelocity(b)), b);
  });

  test('a hand-checked encoding', () => {
    // C4 and E4 together at 0 for 0.5 s, then G4 at 1.7 s, louder.
    const ids = encodePerformance([note(60, 0, 0.5, 80), note(64, 0, 0.5, 80), note(67, 1.7, 1.8, 120)]);
    assert.deepEqual(Array.from(ids, describeEvent), [
      'VELOCITY 20', 'NOTE_ON 60', 'NOTE_ON 64', 'TIME_SHIFT 500ms', 'NOTE_OFF 60', 'NOTE_OFF 64',
      'TIME_SHIFT 1000ms', 'TIME_SHIFT 200ms', 'VELOCITY 30', 'NOTE_ON 67', 'TIME_SHIFT 100ms', 'NOTE_OFF 67',
    ]);
    assert.ok(Math.abs(performanceSeconds(ids) - 1.8) < 1e-9);
  });

  test('round trip: notes on the 10 ms grid decode to themselves (200 random pieces)', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 200; i++) {
      const notes = withoutSamePitchOverlap(randomNotes(rng, 1 + rng.int(40)));
      const back = decodePerformance(encodePerformance(notes));
      assert.deepEqual(key(back), key(notes));
    }
  });

  test('events -> notes -> events is the identity on encoder output', () => {
    const rng = new Rng(8);
    for (let i = 0; i < 50; i++) {
      const ids = encodePerformance(withoutSamePitchOverlap(randomNotes(rng, 30)));
      assert.deepEqual(encodePerformance(decodePerformance(ids)), ids);
    }
  });

  test('a zero-length note keeps one step; decoding closes dangling notes and ignores stray offs', () => {
    assert.deepEqual(key(decodePerformance(encodePerformance([note(60, 1.001, 1.002)]))), ['60@100-101v77']);
    const notes = decodePerformance([NOTE_OFF + 50, NOTE_ON + 60, TIME_SHIFT + 9], 0.5);
    assert.equal(notes.length, 1);
    assert.ok(Math.abs(notes[0]!.end - 0.6) < 1e-9, `ends ${notes[0]!.end}`);
    assert.throws(() => decodePerformance([400]), /event 0 is 400/);
  });

  test('maxNoteSeconds ends hanging and long notes at start + max, and leaves shorter ones alone', () => {
    // 60 held 3 s then released, 64 never released, 67 released after 0.5 s; 5 s of time in all.
    const ids = [NOTE_ON + 60, NOTE_ON + 64, TIME_SHIFT + 49, NOTE_ON + 67, TIME_SHIFT + 49, NOTE_OFF + 67, TIME_SHIFT + 99, TIME_SHIFT + 99, NOTE_OFF + 60, TIME_SHIFT + 99, TIME_SHIFT + 99];
    const ends = (max?: number): string[] => decodePerformance(ids, 0.5, max).map((n) => `${n.pitch}:${n.start.toFixed(2)}-${n.end.toFixed(2)}`);
    assert.deepEqual(ends(), ['60:0.00-3.00', '64:0.00-5.50', '67:0.50-1.00']);
    assert.deepEqual(ends(2), ['60:0.00-2.00', '64:0.00-2.00', '67:0.50-1.00']);
    assert.throws(() => decodePerformance(ids, 0.5, 0), /maxNoteSeconds must be > 0, got 0/);
  });

  test('augmentation: transposition within ±6 and stretch within ±5%', () => {
    const notes = [note(0, 0, 1), note(60, 1, 2), note(127, 2, 3)];
    assert.deepEqual(transpose(notes, 3).map((n) => n.pitch), [3, 63]);
    assert.deepEqual(stretch(notes, 1.05).map((n) => n.end), [1.05, 2.1, 3.1500000000000004]);
    const rng = new Rng(3);
    const shifts = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const a = augmentNotes([note(60, 1, 2)], rng)[0]!;
      shifts.add(a.pitch - 60);
      assert.ok(a.start >= 0.95 && a.start <= 1.05, `start ${a.start}`);
      assert.ok(Math.abs((a.end - a.start) / a.start - 1) < 1e-12);
    }
    assert.deepEqual([...shifts].sort((a, b) => a - b), [-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6]);
  });
});
