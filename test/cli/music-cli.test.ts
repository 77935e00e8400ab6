import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMidi } from '../../src/music/midi.js';
import { canRender } from '../../src/music/render.js';
import { timedNotes } from '../../src/music/timed.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { recur } from './run-cli.js';

const FIX = join(FIXTURES_DIR, 'midi');
const PIECES = ['tempo-changes.mid', 'running-status.mid', 'drums.mid'];
const mido = spawnSync('/usr/bin/python3', ['-c', 'import mido'], { encoding: 'utf8' }).status === 0;

/** The composed file as python3-mido reads it (scripts/music/mido_summary.py), an independent parser. */
function midoSummary(path: string): { format: number; ticksPerBeat: number; tempos: number[][]; notes: number[][] } {
  const p = spawnSync('/usr/bin/python3', ['scripts/music/mido_summary.py', path], { encoding: 'utf8' });
  assert.equal(p.status, 0, p.stderr);
  return JSON.parse(p.stdout);
}

function checkIndependently(path: string, primerTempos: number[][] | null): void {
  const ours = readMidi(readFileSync(path), path);
  const theirs = midoSummary(path);
  assert.equal(theirs.ticksPerBeat, ours.ticksPerBeat);
  assert.deepEqual(theirs.tempos, ours.tempos.map((t) => [t.tick, t.usPerBeat]));
  if (primerTempos) assert.deepEqual(theirs.tempos, primerTempos, 'the output keeps the primer\'s tempo map');
  assert.deepEqual(theirs.notes, ours.notes.map((n) => [n.pitch, n.velocity, n.startTick, n.endTick, n.channel]));
  assert.ok(theirs.notes.length > 0, 'the composed file has notes');
}

test('CLI: train music (events, piano roll), compose, eval, report on three tiny MIDI files', { skip: mido ? false : 'needs python3-mido (apt-get install python3-mido)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-music-'));
  const data = join(dir, 'midi');
  mkdirSync(join(data, 'more'), { recursive: true });
  copyFileSync(join(FIX, PIECES[0]!), join(data, PIECES[0]!));
  copyFileSync(join(FIX, PIECES[1]!), join(data, PIECES[1]!));
  copyFileSync(join(FIX, PIECES[2]!), join(data, 'more', PIECES[2]!));
  writeFileSync(join(data, 'more', 'broken.mid'), readFileSync(join(FIX, 'drums.mid')).subarray(0, 50));

  // Performance events.
  const ev = join(dir, 'run-events');
  const t = recur('train', 'music', '--data', data, '--repr', 'events', '--cell', 'lstm', '--layers', '1', '--hidden', '16', '--embed', '8',
    '--batch', '2', '--bptt', '16', '--steps', '8', '--eval-every', '4', '--out', ev);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /MIDI files: 1 train, 1 valid, 1 test; 1 skipped \(unreadable\)/);
  assert.match(t.stderr, /warning: skipped .*broken\.mid: chunk 'MTrk' at byte \d+ is truncated/);
  assert.match(t.stdout, /run saved in .* \(8 steps, best valid loss \d/);

  const primer = join(FIX, 'tempo-changes.mid');
  const out = join(dir, 'b.mid');
  const c = recur('compose', ev, '--primer', primer, '--seconds', '3', '--temperature', '0.9', '--top-p', '0.95', '--seed', '2', '--out', out);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, /wrote .*b\.mid: \d+ notes \(\d+ new\)/);
  checkIndependently(out, [[0, 500000], [768, 400000], [1536, 600000]]);
  const again = join(dir, 'b2.mid');
  assert.equal(recur('compose', ev, '--primer', primer, '--seconds', '3', '--temperature', '0.9', '--top-p', '0.95', '--seed', '2', '--out', again).status, 0);
  assert.deepEqual(readFileSync(again), readFileSync(out), 'same seed, same file');
  // An 8-step model leaves most notes hanging: --max-note-seconds ends them.
  const capped = join(dir, 'capped.mid');
  const cc = recur('compose', ev, '--seconds', '4', '--max-note-seconds', '0.25', '--seed', '3', '--out', capped);
  assert.equal(cc.status, 0, cc.stderr);
  const lengths = timedNotes(readMidi(readFileSync(capped), 'capped.mid')).map((n) => n.end - n.start);
  assert.ok(lengths.length > 0 && Math.max(...lengths) <= 0.25 + 1e-3, `note lengths ${lengths.slice(0, 8).join(', ')} (${lengths.length} notes)`);

  const e = recur('eval', ev);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /NLL \d+\.\d{4} nats\/event \| perplexity \d+\.\d+/);
  const e2 = recur('eval', ev, '--data', FIX);
  assert.equal(e2.status, 0, e2.stderr);
  assert.match(e2.stdout, /: 3 files, \d+ events/);

  // Piano roll with the autoregressive output.
  const pr = join(dir, 'run-roll');
  const t2 = recur('train', 'music', '--data', data, '--repr', 'pianoroll', '--grid', 'eighth', '--output', 'made', '--made-hidden', '8',
    '--cell', 'gru', '--layers', '1', '--hidden', '16', '--batch', '2', '--bptt', '16', '--steps', '6', '--eval-every', '3', '--out', pr);
  assert.equal(t2.status, 0, t2.stderr);
  const out2 = join(dir, 'c.mid');
  const c2 = recur('compose', pr, '--primer', join(FIX, 'drums.mid'), '--frames', '16', '--temperature', '1', '--out', out2);
  assert.equal(c2.status, 0, c2.stderr);
  checkIndependently(out2, [[0, 600000]]);
  const e3 = recur('eval', pr, '--split', 'valid');
  assert.equal(e3.status, 0, e3.stderr);
  assert.match(e3.stdout, /NLL \d+\.\d{4} nats\/frame \| frame accuracy \d\.\d{4}/);

  const r = recur('report', pr);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(r.stdout.trim(), 'utf8');
  assert.match(html, /<svg[^>]*>.*<rect /s);
  assert.match(html, /pitch-class histogram distance/);
  assert.match(html, /note density/);

  // Audio: rendered when fluidsynth and the SoundFont are installed, else the apt-get line.
  const wav = join(dir, 'c.wav');
  const w = recur('compose', pr, '--frames', '8', '--out', join(dir, 'd.mid'), '--wav', wav);
  assert.equal(w.status, 0, w.stderr);
  if (canRender()) assert.equal(readFileSync(wav).subarray(0, 4).toString('latin1'), 'RIFF');
  else assert.match(w.stdout, /apt-get install fluidsynth fluid-soundfont-gm/);

  for (const [args, msg] of [
    [['train', 'music', '--data', data, '--repr', 'notes', '--out', join(dir, 'x')], /--repr must be one of events, pianoroll/],
    [['train', 'music', '--data', join(dir, 'nothing'), '--out', join(dir, 'x')], /MIDI data not found/],
    [['train', 'music', '--data', join(data, 'more'), '--out', join(dir, 'x')], /has 1 readable file\(s\); the fixed split needs at least 3/],
    [['compose', ev, '--frames', '8', '--out', join(dir, 'x.mid')], /--frames applies to piano-roll runs/],
    [['compose', ev, '--seconds', '2', '--max-note-seconds', '0', '--out', join(dir, 'x.mid')], /--max-note-seconds/],
    [['compose', ev, '--primer', join(dir, 'none.mid'), '--out', join(dir, 'x.mid')], /primer not found/],
    [['compose', join(dir, 'norun'), '--out', join(dir, 'x.mid')], /no checkpoint 'last' in/],
  ] as const) {
    const b = recur(...args);
    assert.notEqual(b.status, 0, args.join(' '));
    assert.match(b.stderr, msg);
    assert.doesNotMatch(b.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.ok(!existsSync(join(dir, 'x.mid')));
});
