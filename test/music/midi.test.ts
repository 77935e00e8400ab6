import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RecurError } from '../../src/errors.js';
import { builtinMidiAvailable, foldSplit, loadMidiFolder, splitByFile } from '../../src/music/corpus.js';
import { readMidi, tempoMap, writeMidi, type Note, type Score } from '../../src/music/midi.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';

// fixtures/midi: written byte by byte by scripts/fixtures/gen_midi.py, with the notes each
// file holds in expected.json ([pitch, velocity, start, end, channel, program], ticks).
const DIR = join(FIXTURES_DIR, 'midi');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, { ticksPerBeat: number; tempos: number[][]; notes: number[][]; drums: number[][] }>;
const rows = (notes: Note[]): number[][] => notes.map((n) => [n.pitch, n.velocity, n.startTick, n.endTick, n.channel, n.program]);
const read = (name: string): Score => readMidi(readFileSync(join(DIR, name)), name);

describe('MIDI reading', () => {
  for (const [name, e] of Object.entries(expected)) {
    test(`${name} reads as written`, () => {
      const s = read(name);
      assert.equal(s.ticksPerBeat, e.ticksPerBeat);
      assert.deepEqual(s.tempos.map((t) => [t.tick, t.usPerBeat]), e.tempos);
      assert.deepEqual(rows(s.notes), e.notes);
      assert.deepEqual(rows(s.drums), e.drums);
    });
  }

  test('the running-status fixture really uses running status and is format 0', () => {
    const bytes = readFileSync(join(DIR, 'running-status.mid'));
    assert.equal(bytes.readUInt16BE(8), 0);
    const noteOns = bytes.filter((b) => b === 0x90).length;
    assert.ok(noteOns < expected['running-status.mid']!.notes.length, `${noteOns} status bytes for ${expected['running-status.mid']!.notes.length} notes`);
  });

  test('tempo map: ticks to seconds across tempo changes and back', () => {
    const map = tempoMap(read('tempo-changes.mid'));
    // 96 ticks per beat: 8 beats at 0.5 s, 8 at 0.4 s, then 0.6 s per beat.
    assert.equal(map.seconds(768), 4);
    assert.ok(Math.abs(map.seconds(1536) - 7.2) < 1e-12);
    assert.ok(Math.abs(map.seconds(1536 + 96) - 7.8) < 1e-12);
    for (const t of [0, 50, 767, 768, 1000, 2000]) assert.ok(Math.abs(map.tick(map.seconds(t)) - t) < 1e-9, `tick ${t}`);
  });

  test('drums: kept apart by default, dropped on request', () => {
    const bytes = readFileSync(join(DIR, 'drums.mid'));
    assert.equal(readMidi(bytes, 'drums').drums.length, 32);
    const dropped = readMidi(bytes, 'drums', { drums: 'drop' });
    assert.equal(dropped.drums.length, 0);
    assert.equal(dropped.notes.length, 16);
    assert.ok(dropped.notes.every((n) => n.channel === 2));
  });

  test('corrupt, truncated, format-2 and non-MIDI input: one RecurError naming the file', () => {
    const good = readFileSync(join(DIR, 'tempo-changes.mid'));
    const fmt2 = Buffer.from(good);
    fmt2.writeUInt16BE(2, 8);
    const badStatus = Buffer.from(good);
    badStatus[good.indexOf('MTrk', 14) + 9] = 0xf4; // first event's status in track 0: undefined
    for (const [bytes, msg] of [
      [Buffer.from('hello, not midi at all'), /x\.mid: not a MIDI file/],
      [good.subarray(0, good.length - 20), /x\.mid: chunk 'MTrk' at byte \d+ is truncated/],
      [fmt2, /x\.mid: MIDI format 2/],
      [badStatus, /x\.mid: corrupt MIDI/],
    ] as const) {
      assert.throws(() => readMidi(bytes, 'x.mid'), (e: unknown) => e instanceof RecurError && msg.test(e.message));
    }
  });
});

describe('MIDI round trip: read -> write -> read gives the same events', () => {
  for (const name of Object.keys(expected)) {
    test(name, () => {
      const a = read(name);
      const b = readMidi(writeMidi(a), 'written');
      assert.deepEqual(b, a);
    });
  }

  test('overlapping notes of one pitch on two tracks keep their pairing', () => {
    const n = (stream: number, startTick: number, endTick: number): Note => ({ pitch: 60, velocity: 64, startTick, endTick, channel: 0, program: 0, stream });
    const s: Score = { ticksPerBeat: 96, tempos: [{ tick: 0, usPerBeat: 500_000 }], timeSignatures: [], notes: [n(0, 0, 300), n(1, 100, 200)], drums: [] };
    assert.deepEqual(readMidi(writeMidi(s)).notes, s.notes);
  });

  test('writeMidi rejects an invalid note naming it', () => {
    const s: Score = { ticksPerBeat: 96, tempos: [], timeSignatures: [], notes: [{ pitch: 130, velocity: 64, startTick: 0, endTick: 10, channel: 0, program: 0, stream: 0 }], drums: [] };
    assert.throws(() => writeMidi(s), /invalid note .*"pitch":130/);
  });

  const debian = builtinMidiAvailable('openmsx');
  test('every file of the openmsx corpus (Debian openttd-openmsx) round-trips', { skip: debian ? false : 'apt-get install openttd-openmsx' }, () => {
    const { files, skipped } = loadMidiFolder('openmsx');
    assert.equal(skipped.length, 0);
    assert.ok(files.length >= 30, `${files.length} files`);
    for (const f of files) assert.deepEqual(readMidi(writeMidi(f.score), f.name), f.score, f.name);
  });
});

describe('MIDI folders', () => {
  test('recursive search; a corrupt file is skipped with a warning and counted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-midi-'));
    mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'a.mid'), readFileSync(join(DIR, 'tempo-changes.mid')));
    writeFileSync(join(dir, 'sub', 'b.MID'), readFileSync(join(DIR, 'drums.mid')));
    writeFileSync(join(dir, 'sub', 'deeper', 'c.midi'), readFileSync(join(DIR, 'running-status.mid')));
    writeFileSync(join(dir, 'sub', 'broken.mid'), readFileSync(join(DIR, 'drums.mid')).subarray(0, 60));
    writeFileSync(join(dir, 'notes.txt'), 'not music');
    const warned: string[] = [];
    const f = loadMidiFolder(dir, { onSkip: (p, why) => warned.push(`${p}: ${why}`) });
    assert.deepEqual(f.files.map((x) => x.name).sort(), ['a.mid', join('sub', 'b.MID'), join('sub', 'deeper', 'c.midi')].sort());
    assert.equal(f.skipped.length, 1);
    assert.equal(warned.length, 1);
    assert.match(warned[0]!, /broken\.mid: chunk 'MTrk' at byte \d+ is truncated/);
  });

  test('missing folder and missing built-in corpus name what to do', () => {
    assert.throws(() => loadMidiFolder('/no/such/dir'), /MIDI data not found: '\/no\/such\/dir'/);
  });

  test('the fixed split is by file, stable when files are added, and needs 3 files', () => {
    const files = Array.from({ length: 40 }, (_, i) => ({ name: `piece-${i}.mid` }));
    const s = splitByFile(files);
    assert.deepEqual([s.train.length, s.valid.length, s.test.length], [32, 4, 4]);
    assert.equal(new Set([...s.train, ...s.valid, ...s.test].map((f) => f.name)).size, 40);
    const more = splitByFile([...files, ...Array.from({ length: 5 }, (_, i) => ({ name: `new-${i}.mid` }))]);
    const inTrain = new Set(more.train.map((f) => f.name));
    // Growing the folder only moves files out of training when the held-out share grows.
    assert.ok(s.valid.every((f) => more.valid.some((g) => g.name === f.name) || more.test.some((g) => g.name === f.name) || !inTrain.has(f.name)));
    assert.throws(() => splitByFile(files.slice(0, 2)), /needs at least 3/);
  });

  test('k folds test every file exactly once, never train on their test files, and agree with the fixed hash order', () => {
    const files = Array.from({ length: 41 }, (_, i) => ({ name: `piece-${i}.mid` }));
    const tested: string[] = [];
    for (let k = 0; k < 5; k++) {
      const s = foldSplit(files, k, 5);
      assert.ok([8, 9].includes(s.test.length), `fold ${k} tests ${s.test.length} files`);
      assert.equal(s.valid.length, Math.round((41 - s.test.length) * 0.1));
      assert.equal(s.train.length + s.valid.length + s.test.length, 41);
      const held = new Set([...s.valid, ...s.test].map((f) => f.name));
      assert.ok(s.train.every((f) => !held.has(f.name)) && s.valid.every((f) => !s.test.includes(f)));
      tested.push(...s.test.map((f) => f.name));
    }
    assert.deepEqual([...tested].sort(), files.map((f) => f.name).sort());
    const fixed = splitByFile(files);
    assert.deepEqual(foldSplit(files, 0, 5).test.slice(0, 4), fixed.valid, 'fold 0 starts where the fixed split does');
    assert.throws(() => foldSplit(files, 5, 5), /fold must be a whole number in 0\.\.4, got 5/);
    assert.throws(() => foldSplit(files, 0, 1), /folds must be a whole number >= 2/);
    assert.throws(() => foldSplit(files.slice(0, 6), 0, 5), /has 6 readable file\(s\); 5 folds need at least 7/);
  });
});
