/**
 * The browser modules of the speech and music tasks (`speech`, `composer` from 'recur') on the
 * committed runs in fixtures/web-runs/: they give what the Node CLI path gives for the same
 * input (transcripts, features, MIDI bytes), and refuse other files with one line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { audio, composer, io, music, speech, tensor } from '../../src/index.js';
import { composeFromRun } from '../../src/cli/music.js';
import { loadMusicRun } from '../../src/tasks/music/run.js';
import { featuresOfFiles, loadSpeechRun, transcribeFiles } from '../../src/tasks/speech/run.js';

const RUNS = 'fixtures/web-runs';
const TINY = 'fixtures/speech-tiny';
const PRIMER = 'fixtures/midi/tempo-changes.mid';
const manifest = (f: string): Array<[string, string]> =>
  readFileSync(join(TINY, f), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t') as [string, string]);

describe('speech.fromCheckpoint (a speech run from bytes)', () => {
  const bytes = readFileSync(join(RUNS, 'speech', 'best.safetensors'));
  const run = speech.fromCheckpoint(bytes, 'speech/best.safetensors');
  const node = loadSpeechRun(join(RUNS, 'speech'));
  const files = [...manifest('train.tsv'), ...manifest('test.tsv')].map(([f, t]) => [join(TINY, f), t] as const);

  it('gives recur transcribe\'s features and transcripts for the same WAV files (greedy and beam 4)', async () => {
    for (const beam of [1, 4]) {
      const expected = await transcribeFiles(node, files.map(([f]) => f), { beam });
      for (const [i, [file]] of files.entries()) {
        const r = await speech.transcribeWav(run, readFileSync(file), file, { beam });
        assert.equal(r.text, expected[i], `${file}, beam ${beam}`);
        if (beam === 1) {
          const f = featuresOfFiles(node, [file])[0]!;
          assert.equal(r.utterance.frames, f.frames);
          assert.deepEqual(r.utterance.features, f.features, `${file}: features`);
        }
      }
    }
  });

  it('transcribes the training utterances the fixture run memorised', async () => {
    for (const [file, transcript] of files.slice(0, 6)) {
      assert.equal((await speech.transcribeWav(run, readFileSync(file), file)).text, transcript, file);
    }
  });

  it('takes PCM at a microphone\'s rate (48 kHz) and resamples it to the run\'s 16 kHz', async () => {
    const a = audio.decodeWav(readFileSync(join(TINY, 'train-0.wav')));
    assert.equal(a.sampleRate, 16000);
    assert.equal(speech.sampleRateOf(run), 16000);
    const r = await speech.transcribe(run, audio.resample(a.samples, 16000, 48000), 48000);
    assert.equal(r.text, 'three four');
    assert.ok(Math.abs(r.seconds - a.samples.length / 16000) < 1e-3, `${r.seconds} s`);
  });

  it('draws a log-mel spectrogram: one frame per 10 ms, 64 bands, finite', () => {
    const a = audio.decodeWav(readFileSync(join(TINY, 'train-0.wav')));
    const s = speech.spectrogram(a.samples, a.sampleRate);
    assert.equal(s.dim, 64);
    assert.equal(s.frames, Math.floor((a.samples.length - 400) / 160) + 1);
    assert.ok(s.data.every(Number.isFinite));
    // Speech has energy: the loudest band is far above the quietest.
    assert.ok(Math.max(...s.data) - Math.min(...s.data) > 10, 'flat spectrogram');
  });

  it('refuses other runs, other files and unusable audio with one line', async () => {
    assert.throws(() => speech.fromCheckpoint(readFileSync(join(RUNS, 'music', 'best.safetensors')), 'm.safetensors'),
      /^RecurError: m\.safetensors is a 'music' run, not a speech recognition run$/);
    assert.throws(() => speech.fromCheckpoint(io.saveSafetensors({ w: tensor([1]) }), 'plain'), /plain: not a recur checkpoint/);
    const noModel = io.saveSafetensors({ 'model.w': tensor([1]) }, { format: io.CHECKPOINT_FORMAT, config: JSON.stringify({ task: 'speech', features: {} }) });
    assert.throws(() => speech.fromCheckpoint(noModel, 'n'), /^RecurError: n: config\.features\.kind must be one of fbank, mfcc, got nothing \(missing\)$/);
    await assert.rejects(speech.transcribeWav(run, readFileSync(join(TINY, 'broken.wav')), 'broken.wav'), /^WavError: broken\.wav: not a WAV file/);
    await assert.rejects(speech.transcribe(run, new Float32Array(100), 16000, { source: 'mic' }), /mic: too short for one feature frame/);
    await assert.rejects(speech.transcribe(run, new Float32Array(16000), 16000, { beam: 0 }), /beam must be a whole number >= 1, got 0/);
  });
});

describe('composer (a music run from bytes)', () => {
  const primer = readFileSync(PRIMER);
  for (const name of ['music', 'music-roll']) {
    const run = composer.fromCheckpoint(readFileSync(join(RUNS, name, 'best.safetensors')), name);
    const node = loadMusicRun(join(RUNS, name));

    it(`${name} (${run.config.repr}): the same MIDI bytes as recur compose, with and without a primer`, async () => {
      for (const p of [null, primer]) {
        const o = { seconds: 4, temperature: 0.9, topP: 0.95, seed: 3 };
        const c = await composer.compose(run, { ...o, primer: p, primerName: PRIMER });
        const cli = composeFromRun(node.model, node.config, { ...o, ...(p ? { primer: p, primerName: PRIMER } : {}) });
        assert.deepEqual(c.midi, music.writeMidi(cli.score));
        assert.equal(c.generatedNotes, cli.generatedNotes);
        assert.ok(c.generatedNotes > 0, 'no notes composed');
      }
    });

    it(`${name}: the MIDI reads back with the primer's tempo map; the notes to draw are the file's`, async () => {
      const score = music.readMidi(primer, PRIMER);
      const c = await composer.compose(run, { primer, primerName: PRIMER, seconds: 3, temperature: 1, seed: 1 });
      const back = music.readMidi(c.midi, 'composed.mid');
      assert.equal(back.ticksPerBeat, score.ticksPerBeat);
      assert.deepEqual(back.tempos, score.tempos);
      assert.ok(score.tempos.length > 1, 'the primer should change tempo');
      assert.equal(c.notes.length, back.notes.length);
      const map = music.tempoMap(back);
      back.notes.forEach((n, i) => {
        assert.equal(c.notes[i]!.pitch, n.pitch);
        assert.ok(Math.abs(c.notes[i]!.start - map.seconds(n.startTick)) < 1e-9);
      });
      const primerEnd = score.notes.reduce((m, n) => Math.max(m, music.tempoMap(score).seconds(n.endTick)), 0);
      assert.ok(Math.abs(c.primerSeconds - primerEnd) < 1e-9);
      assert.ok(c.notes.some((n) => n.primer) && c.notes.some((n) => !n.primer));
      assert.ok(c.seconds > primerEnd + 2, `${c.seconds} s`);
    });
  }

  it('hands the event loop back between slices, reports progress, and stops when asked', async () => {
    const run = composer.fromCheckpoint(readFileSync(join(RUNS, 'music', 'best.safetensors')));
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 0);
    const fractions: number[] = [];
    try {
      await composer.compose(run, { seconds: 8, temperature: 1, seed: 2 }, { sliceMs: 0, onProgress: (f) => fractions.push(f) });
    } finally {
      clearInterval(timer);
    }
    assert.ok(fractions.length >= 50, `${fractions.length} progress reports`);
    assert.ok(ticks >= fractions.length / 2, `timers ran ${ticks} times while composing`);
    assert.ok(fractions.every((f, i) => f > 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!)), fractions.join(' '));
    let n = 0;
    await assert.rejects(composer.compose(run, { seconds: 8, temperature: 1, seed: 2 }, { sliceMs: 0, shouldStop: () => ++n >= 2 }), /^RecurError: stopped$/);
  });

  it('refuses other runs and bad primers with one line', async () => {
    assert.throws(() => composer.fromCheckpoint(readFileSync(join(RUNS, 'speech', 'best.safetensors')), 's'), /^RecurError: s is a 'speech' run, not a music run$/);
    const badRepr = io.saveSafetensors({ 'model.w': tensor([1]) }, { format: io.CHECKPOINT_FORMAT, config: JSON.stringify({ task: 'music', repr: 'audio', model: {} }) });
    assert.throws(() => composer.fromCheckpoint(badRepr, 'r'), /^RecurError: r: config\.repr must be one of events, pianoroll, got "audio"$/);
    const run = composer.fromCheckpoint(readFileSync(join(RUNS, 'music', 'best.safetensors')));
    await assert.rejects(composer.compose(run, { primer: new TextEncoder().encode('not midi at all'), primerName: 'p.mid', seconds: 1, temperature: 1, seed: 0 }),
      /^RecurError: p\.mid: not a MIDI file/);
    await assert.rejects(composer.compose(run, { seconds: 0, temperature: 1, seed: 0 }), /seconds must be > 0/);
  });
});
