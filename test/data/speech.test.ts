import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  asteriskEntries,
  buildEspeakDigits,
  checkEspeak,
  drawEspeakDigits,
  espeakVoices,
  findAsteriskVoice,
  loadAsteriskDigits,
  loadEspeakDigits,
  loadSpeechManifest,
  readManifest,
  summarizeSpeechSet,
  variantSplit,
} from '../../src/data/node.js';
import { assertThrowsWith } from '../helpers/assert.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';

const TINY = join(FIXTURES_DIR, 'speech-tiny');
const scratch = mkdtempSync(join(tmpdir(), 'recur-speech-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const hasEspeak = spawnSync('espeak-ng', ['--version']).status === 0;
const hasAsterisk = findAsteriskVoice('en') !== null;

describe('TSV manifests', () => {
  test('fixtures/speech-tiny: paths resolve against the TSV folder, audio at 16 kHz', () => {
    const set = loadSpeechManifest(join(TINY, 'train.tsv'));
    assert.equal(set.utterances.length, 6);
    assert.equal(set.skipped.length, 0);
    const u = set.utterances[0]!;
    assert.equal(u.path, join(TINY, 'train-0.wav'));
    assert.match(u.transcript, /^(zero|one|two|three|four|five|six|seven|eight|nine)( \w+)?$/);
    assert.ok(u.duration > 0.3 && u.duration < 2, `duration ${u.duration}`);
    assert.equal(u.audio.length, Math.round(u.duration * 16000));
    assert.ok(set.utterances.reduce((s, x) => s + x.duration, 0) < 10, 'a few seconds in all');
    assert.match(summarizeSpeechSet(set), /train\.tsv: 6 utterances, \d+\.\d s of audio$/);
  });

  test('a broken or missing file is skipped with one warning each and counted', () => {
    const warnings: string[] = [];
    const set = loadSpeechManifest(join(TINY, 'with-broken.tsv'), { onWarning: (m) => warnings.push(m) });
    assert.equal(set.utterances.length, 6);
    assert.deepEqual(set.skipped.map((s) => s.path), [join(TINY, 'broken.wav')]);
    assert.match(set.skipped[0]!.reason, /broken\.wav: not a WAV file/);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /broken\.wav: not a WAV file .*\(skipped: .*with-broken\.tsv line 8\)$/);
    assert.match(summarizeSpeechSet(set), /1 file skipped/);

    const tsv = join(scratch, 'missing.tsv');
    writeFileSync(tsv, `${join(TINY, 'train-0.wav')}\tthree four\nnope.wav\tone\n`);
    const quiet: string[] = [];
    const s2 = loadSpeechManifest(tsv, { onWarning: (m) => quiet.push(m) });
    assert.equal(s2.utterances.length, 1);
    assert.equal(s2.skipped.length, 1);
    assert.match(quiet[0]!, /nope\.wav/);
  });

  test('transform keeps only what it returns', () => {
    const set = loadSpeechManifest(join(TINY, 'test.tsv'), { transform: (x, e) => ({ n: x.length, line: e.line }) });
    assert.deepEqual(set.utterances.map((u) => u.audio.line), [2, 3]);
    assert.ok(set.utterances.every((u) => u.audio.n === Math.round(u.duration * 16000)));
  });

  test('a malformed manifest is an error naming file and line', () => {
    const tsv = join(scratch, 'bad.tsv');
    writeFileSync(tsv, 'a.wav\tone\n\nb.wav two\n');
    assertThrowsWith(() => readManifest(tsv), `${tsv}:3`, 'no tab');
    writeFileSync(tsv, 'a.wav\t \n');
    assertThrowsWith(() => readManifest(tsv), `${tsv}:1`, 'empty transcript');
    assertThrowsWith(() => loadSpeechManifest(join(scratch, 'none.tsv')), 'none.tsv');
  });
});

describe('asterisk-digits', { skip: hasAsterisk ? false : 'asterisk-core-sounds-en-wav is not installed (apt-get install asterisk-core-sounds-en-wav)' }, () => {
  test('ten real recordings of the digits, resampled from 8 kHz', () => {
    const set = loadAsteriskDigits();
    assert.deepEqual(set.utterances.map((u) => u.transcript), ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']);
    assert.equal(set.skipped.length, 0);
    for (const u of set.utterances) {
      assert.ok(u.duration > 0.3 && u.duration < 2, `${u.path}: ${u.duration} s`);
      assert.equal(u.audio.length, Math.round(u.duration * 16000));
    }
    const more = asteriskEntries({ subsets: ['numbers', 'letters'] });
    assert.equal(more.length, 18 + 26);
    assert.ok(more.some((e) => e.transcript === 'forty' && e.path.endsWith('digits/40.wav')));
    assert.ok(more.some((e) => e.transcript === 'q' && e.path.endsWith('letters/q.wav')));
  });

  test('without the package: the apt-get line', () => {
    assertThrowsWith(() => loadAsteriskDigits({ soundsDir: scratch }), 'apt-get install asterisk-core-sounds-en-wav');
    assertThrowsWith(() => loadAsteriskDigits({ language: 'fr', soundsDir: join(scratch, 'none') }), 'apt-get install asterisk-core-sounds-fr-wav');
  });
});

describe('espeak-digits', { skip: hasEspeak ? false : 'espeak-ng is not installed (apt-get install espeak-ng)' }, () => {
  test('train, valid and test voices are disjoint; strings of 1-7 digits; deterministic by seed', () => {
    const voices = espeakVoices();
    assert.ok(voices.languages.includes('en-us') && voices.variants.length >= 20);
    const draw = (split: 'train' | 'valid' | 'test', seed = 0) => drawEspeakDigits({ split, seed, count: 400 }, voices);
    const variantsOf = (specs: ReturnType<typeof draw>) => new Set(specs.map((s) => s.voice.split('+')[1]!));
    const train = variantsOf(draw('train')), valid = variantsOf(draw('valid')), test = variantsOf(draw('test'));
    for (const v of test) assert.ok(!train.has(v) && !valid.has(v), `test voice ${v} is also elsewhere`);
    for (const v of valid) assert.ok(!train.has(v), `valid voice ${v} is also in train`);
    assert.ok(train.size >= 10 && test.size >= 2 && valid.size >= 2);
    for (const v of voices.variants) assert.equal(variantSplit(v), variantSplit(v));

    const specs = draw('train');
    const lengths = new Set(specs.map((s) => s.digits.length));
    assert.deepEqual([...lengths].sort(), [1, 2, 3, 4, 5, 6, 7]);
    assert.ok(specs.filter((s) => s.digits.length === 1).length > 60, 'isolated digits are common');
    assert.ok(specs.every((s) => s.transcript.split(' ').length === s.digits.length));
    assert.ok(specs.every((s) => s.snrDb !== null && s.snrDb >= 10 && s.snrDb <= 30));
    assert.ok(new Set(specs.map((s) => s.voice.split('+')[0])).size >= 4, 'several English voices');
    assert.deepEqual(draw('train'), specs);
    assert.notDeepEqual(draw('train', 1), specs);
  });

  test('synthesised once into the cache, identical across caches, loaded as a speech set', async () => {
    const opts = { split: 'test' as const, count: 4, seed: 7, maxDigits: 3 };
    let calls = 0;
    // what a build killed halfway leaves behind (the pid of a process that has exited)
    const dead = spawnSync('true').pid;
    mkdirSync(join(scratch, 'c1', `.tmp-${dead}-abc`), { recursive: true });
    const a = await buildEspeakDigits({ ...opts, cacheDir: join(scratch, 'c1'), onProgress: () => calls++ });
    assert.equal(calls, 4);
    const again = await buildEspeakDigits({ ...opts, cacheDir: join(scratch, 'c1'), onProgress: () => calls++ });
    assert.equal(again, a);
    assert.equal(calls, 4, 'the cached split is not synthesised again');
    const b = await buildEspeakDigits({ ...opts, cacheDir: join(scratch, 'c2') });
    const wavs = (m: string) => readdirSync(join(m, '..')).filter((f) => f.endsWith('.wav')).sort();
    assert.deepEqual(wavs(a), wavs(b));
    for (const f of wavs(a)) assert.ok(readFileSync(join(a, '..', f)).equals(readFileSync(join(b, '..', f))), `${f} differs`);
    assert.deepEqual(readdirSync(join(scratch, 'c1')).filter((f) => f.includes('tmp')), [], 'no temporary folder left, old ones removed');

    const set = await loadEspeakDigits({ ...opts, cacheDir: join(scratch, 'c1') });
    assert.equal(set.utterances.length, 4);
    assert.deepEqual(set.utterances.map((u) => u.transcript), drawEspeakDigits(opts, espeakVoices()).map((s) => s.transcript));
    for (const u of set.utterances) {
      let peak = 0;
      for (const v of u.audio) peak = Math.max(peak, Math.abs(v));
      assert.ok(peak > 0.05 && peak <= 0.99, `peak ${peak}`);
    }
  });

  test('without espeak-ng: the apt-get line', () => {
    const path = process.env.PATH;
    process.env.PATH = join(scratch, 'empty-bin');
    try {
      assertThrowsWith(() => checkEspeak(), 'apt-get install espeak-ng');
    } finally {
      process.env.PATH = path;
    }
  });
});
