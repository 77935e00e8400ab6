import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { countFrames, frameAccuracy } from '../../src/metrics/frame-accuracy.js';
import { readMidi, tempoMap } from '../../src/music/midi.js';
import { KEYS, LOW_KEY, pianoRoll, scoreFromRoll, transposeRoll, type PianoRoll } from '../../src/music/pianoroll.js';
import { musicStats, pitchClassDistance } from '../../src/music/stats.js';
import type { TimedNote } from '../../src/music/timed.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';

const on = (r: PianoRoll, f: number, pitch: number): boolean => r.data[f * KEYS + pitch - LOW_KEY] === 1;

describe('piano roll (Boulanger-Lewandowski et al. 2012)', () => {
  const score = readMidi(readFileSync(join(FIXTURES_DIR, 'midi', 'tempo-changes.mid')), 'tempo-changes.mid');

  test('beat grids follow the file\'s beats whatever the tempo', () => {
    // 6 bars of 4/4: 24 quarters, 48 eighths, 96 sixteenths. Piano eighths on every beat.
    for (const [grid, frames] of [['quarter', 24], ['eighth', 48], ['sixteenth', 96]] as const) {
      const r = pianoRoll(score, { grid });
      assert.equal(r.frames, frames, grid);
    }
    const r = pianoRoll(score, { grid: 'eighth' });
    assert.ok(on(r, 0, 72) && !on(r, 1, 72), 'piano eighth on beat 1 of bar 1 covers one eighth frame');
    assert.ok(on(r, 0, 55) && on(r, 7, 55) && !on(r, 8, 55), 'strings G3 holds the first bar');
  });

  test('a fixed frame rate follows the tempo map in seconds', () => {
    const r = pianoRoll(score, { fps: 10 });
    // 12 s long: 4 s + 3.2 s + 4.8 s.
    assert.equal(r.frames, 120);
    const fourSec = tempoMap(score).seconds(768);
    assert.equal(fourSec, 4);
  });

  test('roll -> score -> roll is the identity, through the fixture\'s tempo changes', () => {
    const map = tempoMap(score);
    for (const spec of [{ grid: 'sixteenth' as const }, { fps: 25 }]) {
      const r = pianoRoll(score, spec);
      const back = pianoRoll(scoreFromRoll(r, spec, map), spec, map);
      assert.equal(back.frames, r.frames);
      assert.deepEqual(back.data, r.data);
    }
  });

  test('keys outside A0-C8 are dropped; transposition drops keys pushed off the keyboard', () => {
    const s = { ...score, notes: [{ pitch: 20, velocity: 64, startTick: 0, endTick: 96, channel: 0, program: 0, stream: 0 }, { pitch: 108, velocity: 64, startTick: 0, endTick: 96, channel: 0, program: 0, stream: 0 }] };
    const r = pianoRoll(s, { grid: 'quarter' });
    assert.equal(r.data.reduce((a, v) => a + v, 0), 1);
    assert.ok(on(r, 0, 108));
    assert.equal(transposeRoll(r, 1).data.reduce((a, v) => a + v, 0), 0);
    assert.ok(on(transposeRoll(r, -3), 0, 105));
  });
});

describe('frame accuracy (Bay et al. 2009) and sample statistics', () => {
  test('TP / (TP + FP + FN) over all frames', () => {
    const c = countFrames([1, 1, 0, 0, 1, 0], [1, 0, 1, 0, 1, 0]);
    assert.deepEqual(c, { tp: 2, fp: 1, fn: 1 });
    assert.equal(frameAccuracy(c), 0.5);
    assert.equal(frameAccuracy({ tp: 0, fp: 0, fn: 0 }), 1);
  });

  test('statistics of a hand-made piece', () => {
    const n = (pitch: number, start: number, end: number): TimedNote => ({ pitch, velocity: 64, start, end });
    // C-E-G chord 0-1 s, then C alone 1-2 s: 4 notes in 2 s; 3 sounding for 1 s, 1 for 1 s.
    const s = musicStats([[n(60, 0, 1), n(64, 0, 1), n(67, 0, 1), n(72, 1, 2)]]);
    assert.equal(s.notes, 4);
    assert.equal(s.noteDensity, 2);
    assert.equal(s.polyphony, 2);
    assert.equal(s.pitchRange, 12);
    assert.equal(s.repeatedNotes, 0);
    assert.deepEqual(s.pitchClasses.map((x) => x * 4), [2, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
    const r = musicStats([[n(60, 0, 1), n(60, 1, 2), n(62, 2, 3)]]);
    assert.ok(Math.abs(r.repeatedNotes - 1 / 3) < 1e-12);
    assert.equal(pitchClassDistance(s, s), 0);
    assert.equal(pitchClassDistance(musicStats([[n(61, 0, 1)]]), musicStats([[n(62, 0, 1)]])), 1);
  });
});
