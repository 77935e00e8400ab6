/**
 * Hostile input to the speech and music commands: edited checkpoints on transcribe, compose and
 * eval, options that would save an unloadable run, unreadable WAVs among good ones, a corrupt
 * primer. Each gives exit code 1 and one line naming the problem (or a warning per bad file).
 * Also: audio is read at the run's sample rate, and a fresh train's checkpoint loads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractFeatures } from '../../src/audio/features.js';
import { readAudioFile } from '../../src/audio/node.js';
import { parseSafetensors, saveSafetensors } from '../../src/io/safetensors.js';
import { rollModelParams } from '../../src/tasks/music/check.js';
import { PianoRollModel } from '../../src/tasks/music/model.js';
import { speechModelParams } from '../../src/tasks/speech/check.js';
import { loadFeatureSet } from '../../src/tasks/speech/data.js';
import { SpeechRecognizer } from '../../src/tasks/speech/model.js';
import { featuresOfFiles, loadSpeechRun, transcribeFiles } from '../../src/tasks/speech/run.js';
import { transcribeUtterances } from '../../src/tasks/speech/task.js';
import { backendIndependent } from '../helpers/backend-independent.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { musicRun, speechRun, tempDir } from '../helpers/runs.js';
import { recurHere } from './in-process.js';

type Json = Record<string, unknown>;
type Edit = (c: { config: Json; tensors: Map<string, { data: Float32Array }> }) => void;

// Checks that run before any kernel does: once per test command.
const once = backendIndependent;
const TINY = join(FIXTURES_DIR, 'speech-tiny');
const WAV = join(TINY, 'train-0.wav');

/** A copy of run `dir` whose checkpoint was edited (config JSON, tensors). */
function edited(dir: string, edit: Edit): string {
  const copy = join(tempDir(), 'run');
  cpSync(dir, copy, { recursive: true });
  const file = join(copy, 'last.safetensors');
  const { tensors, metadata } = parseSafetensors(readFileSync(file));
  const config = JSON.parse(metadata.config!) as Json;
  edit({ config, tensors: tensors as unknown as Map<string, { data: Float32Array }> });
  metadata.config = JSON.stringify(config);
  writeFileSync(file, saveSafetensors(tensors, metadata));
  return copy;
}

const model = (c: { config: Json }): Json => c.config.model as Json;

/** `dir` with the one metrics line `recur report` needs to find a run. */
function reportable(dir: string): string {
  writeFileSync(join(dir, 'metrics.jsonl'), `${JSON.stringify({ type: 'train', step: 1, loss: 1, lr: 0.1, elapsedMs: 1 })}\n`);
  return dir;
}

async function fails(args: string[], message: RegExp): Promise<void> {
  const r = await recurHere(...args);
  assert.equal(r.status, 1, `${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, message, args.join(' '));
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /TypeError|RangeError|at .*\.ts:\d+/);
}

test('CLI: edited speech checkpoints give one line naming the field (transcribe, eval, report, --resume)', once, async () => {
  const dir = speechRun();
  const features = (c: { config: Json }): Json => c.config.features as Json;
  await fails(['transcribe', edited(dir, (c) => (model(c).hiddenSize = 'abc')), WAV], /config\.model\.hiddenSize must be a whole number in \[1, 65536\], got "abc"/);
  await fails(['eval', edited(dir, (c) => (features(c).numMelBins = 1e9))], /config\.features\.numMelBins must be a whole number in \[4, 128\], got 1000000000/);
  await fails(['transcribe', edited(dir, (c) => (features(c).sampleRate = 12345)), WAV], /config\.features\.sampleRate must be one of 8000, 11025, 16000, .* \(Hz\), got 12345/);
  await fails(['transcribe', edited(dir, (c) => (model(c).numLayers = 40)), WAV], /config describes a model of at least [\d,]+ parameters but the checkpoint holds [\d,]+/);
  await fails(['transcribe', edited(dir, (c) => (model(c).numLayers = 1e6)), WAV], /config\.model\.numLayers must be a whole number in \[1, 64\]/);
  await fails(['transcribe', edited(dir, (c) => (c.tensors.get('model.rnn.weight_hh_l1')!.data[2] = NaN)), WAV],
    /weight tensor 'rnn\.weight_hh_l1' holds a non-finite value \(NaN at flat index 2\)/);
  await fails(['transcribe', edited(dir, (c) => (c.config.task = 'music')), WAV], /is not a speech recognition run \(its checkpoint says task "music"\)/);
  await fails(['eval', edited(dir, (c) => (c.config.task = 'music'))], /config\.repr must be one of events, pianoroll, got nothing \(missing\)/);
  await fails(['eval', edited(dir, (c) => delete c.config.features)], /config\.features must be present, got nothing \(missing\)/);
  await fails(['transcribe', edited(dir, (c) => delete c.config.units), WAV], /config\.units must be an array of at most \d+ strings, got nothing \(missing\)/);
  await fails(['transcribe', edited(dir, (c) => (features(c).deltas = 0)), WAV], /the features give 8 values per frame but the model's inputSize is 16/);
  await fails(['transcribe', edited(dir, (c) => (c.config.units as string[]).pop()), WAV], /4 units \(with <blank>\) for a model of 5 outputs/);
  await fails(['transcribe', edited(dir, (c) => ((c.config.units as string[])[1] = 'ab')), WAV], /config\.units: each unit is one character, got "ab"/);
  await fails(['transcribe', edited(dir, (c) => (c.config.classes = ['a', 'b'])), WAV], /config\.classes must be null for a 'ctc' model/);
  await fails(['eval', edited(dir, (c) => ((c.config.data as Json).trainCount = 1e9))], /config\.data\.trainCount must be a whole number in \[1, 100000\]/);
  await fails(['report', reportable(edited(dir, (c) => (features(c).kind = 'plp')))], /config\.features\.kind must be one of fbank, mfcc, got "plp"/);
  await fails(['train', 'speech', '--data', 'espeak-digits', '--resume', '--out', reportable(edited(dir, (c) => (model(c).head = 'rnnt')))],
    /config\.model\.head must be one of ctc, classify, got "rnnt"/);
});

test('CLI: edited music checkpoints give one line naming the field (compose, eval, report, --resume)', once, async () => {
  const events = musicRun('events'), roll = musicRun('pianoroll');
  const out = join(tempDir(), 'x.mid');
  const compose = (run: string): string[] => ['compose', run, '--seconds', '1', '--out', out];
  await fails(compose(edited(events, (c) => (model(c).hiddenSize = 1e9))), /config\.model\.hiddenSize must be a whole number in \[1, 65536\], got 1000000000/);
  await fails(compose(edited(events, (c) => (model(c).vocabSize = 100))), /config\.model\.vocabSize must be 388 \(the performance events\), got 100/);
  await fails(compose(edited(events, (c) => (c.tensors.get('model.decoder.weight')!.data[0] = Infinity))), /weight tensor 'decoder\.weight' holds a non-finite value \(Infinity at flat index 0\)/);
  await fails(compose(edited(events, (c) => (c.config.task = 'speech'))), /is not a music run \(its checkpoint says task "speech"\)/);
  await fails(compose(edited(events, (c) => delete c.config.repr)), /config\.repr must be one of events, pianoroll, got nothing \(missing\)/);
  await fails(['eval', edited(events, (c) => ((c.config.train as Json).bptt = 1e9))], /config\.train\.bptt must be a whole number in \[1, 1048576\], got 1000000000/);
  await fails(compose(edited(roll, (c) => (c.config.frames = { fps: 0 }))), /config\.frames\.fps must be a number in \[0\.1, 1000\], got 0/);
  await fails(compose(edited(roll, (c) => (c.config.frames = { grid: 'bar' }))), /config\.frames\.grid must be one of quarter, eighth, sixteenth, got "bar"/);
  await fails(compose(edited(roll, (c) => delete c.config.frames)), /config\.frames must be present, got nothing \(missing\)/);
  await fails(compose(edited(roll, (c) => (model(c).output = 'nade'))), /config\.model\.output must be one of bernoulli, made, got "nade"/);
  await fails(['eval', edited(roll, (c) => (model(c).madeHidden = 'x'))], /config\.model\.madeHidden must be a whole number in \[1, 65536\], got "x"/);
  await fails(compose(edited(roll, (c) => (model(c).madeHidden = 60_000))), /config describes a model of at least [\d,]+ parameters but the checkpoint holds [\d,]+/);
  await fails(compose(edited(roll, (c) => (model(c).cell = 'gru'))), /loadStateDict \(PianoRollModel\): .*shape/);
  await fails(['report', reportable(edited(roll, (c) => (model(c).numLayers = 0)))], /config\.model\.numLayers must be a whole number in \[1, 64\], got 0/);
  await fails(['train', 'music', '--data', 'debian', '--repr', 'pianoroll', '--resume', '--out', reportable(edited(roll, (c) => (c.config.frames = { fps: 1e9 })))],
    /config\.frames\.fps must be a number in \[0\.1, 1000\], got 1000000000/);
});

test('CLI: compose with a corrupt primer names the file', once, async () => {
  const primer = join(tempDir(), 'primer.mid');
  writeFileSync(primer, readFileSync(join(FIXTURES_DIR, 'midi', 'tempo-changes.mid')).subarray(0, 40));
  await fails(['compose', musicRun('events'), '--primer', primer, '--out', join(tempDir(), 'x.mid')], new RegExp(`${primer.replace(/[.]/g, '\\.')}: .*truncated`));
  const missing = join(tempDir(), 'none.mid');
  await fails(['compose', musicRun('pianoroll'), '--primer', missing, '--out', join(tempDir(), 'x.mid')], new RegExp(`primer not found: ${missing}`));
});

test('CLI: transcribe warns once per unreadable WAV, transcribes the others and exits 1', async () => {
  const dir = speechRun();
  const missing = join(tempDir(), 'missing.wav'), broken = join(TINY, 'broken.wav'), other = join(TINY, 'test-1.wav');
  const r = await recurHere('transcribe', dir, WAV, broken, other, missing);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 3, r.stderr);
  assert.match(lines[0]!, new RegExp(`^recur: warning: ${broken}: not a WAV file.* \\(skipped\\)$`));
  assert.match(lines[1]!, new RegExp(`^recur: warning: .*${missing}.* \\(skipped\\)$`));
  assert.equal(lines[2], 'recur: 2 of 4 files could not be transcribed');
  // The good files, with the texts they get without the bad ones.
  const texts = await transcribeFiles(loadSpeechRun(dir, 'last'), [WAV, other], { beam: 1 });
  assert.equal(r.stdout, `${WAV}\t${texts[0]}\n${other}\t${texts[1]}\n`);
  // Every file good: exit 0; one bad file alone: its own error.
  assert.equal((await recurHere('transcribe', dir, WAV, other)).status, 0);
  await fails(['transcribe', dir, broken], /broken\.wav: not a WAV file/);
});

test('transcribe and eval --data read audio at the run\'s sample rate (8 kHz here), not 16 kHz', async () => {
  const dir = speechRun();
  const run = loadSpeechRun(dir, 'last');
  assert.equal(run.config.features.sampleRate, 8000);
  const expected = extractFeatures(readAudioFile(WAV, 8000), run.config.features);
  const at16k = extractFeatures(readAudioFile(WAV, 16000), run.config.features);
  assert.notEqual(at16k.frames, expected.frames, 'the test can tell the rates apart');
  const [u] = featuresOfFiles(run, [WAV]);
  assert.equal(u!.frames, expected.frames);
  assert.deepEqual(u!.features, expected.data);
  const set = await loadFeatureSet(join(TINY, 'train.tsv'), run.config.features);
  assert.equal(set.utterances[0]!.frames, expected.frames);
  assert.deepEqual(set.utterances[0]!.features, expected.data);
  const direct = await transcribeUtterances(run.model, run.targets, [{ id: WAV, transcript: '', features: expected.data, frames: expected.frames }], { beam: 1 });
  const t = await recurHere('transcribe', dir, WAV);
  assert.equal(t.status, 0, t.stderr);
  assert.equal(t.stdout.trimEnd(), direct.texts[0]);
});

test('CLI: train options that would save an unloadable run are refused before any data is read', once, async () => {
  const out = (): string => join(tempDir(), 'run');
  const speech = ['train', 'speech', '--data', join(TINY, 'train.tsv'), '--steps', '1'];
  await fails([...speech, '--mel-bins', '300', '--out', out()], /--mel-bins \(at 16000 Hz\) must be a whole number in \[4, 256\], got 300/);
  await fails([...speech, '--sample-rate', '8000', '--mel-bins', '200', '--out', out()], /--mel-bins \(at 8000 Hz\) must be a whole number in \[4, 128\], got 200/);
  await fails([...speech, '--sample-rate', '12345', '--out', out()], /--sample-rate must be one of 8000, 11025, 16000, .*, got '12345'/);
  await fails([...speech, '--features', 'mfcc', '--mel-bins', '8', '--out', out()], /--mel-bins must be at least 13 with --features mfcc \(13 cepstra\), got 8/);
  await fails([...speech, '--hidden', '70000', '--out', out()], /--hidden must be a whole number in \[1, 65536\], got 70000/);
  await fails([...speech, '--units', 'abca', '--out', out()], /--units "abca": "a" appears twice/);
  await fails([...speech, '--hidden', '8000', '--layers', '64', '--out', out()], /train speech: the configured model has [\d,]+ parameters, more than the limit/);
  const music = ['train', 'music', '--data', 'nowhere', '--steps', '1'];
  await fails([...music, '--repr', 'pianoroll', '--made-hidden', '100000', '--out', out()], /--made-hidden must be a whole number in \[1, 65536\], got 100000/);
  await fails([...music, '--bptt', String(2 ** 21), '--out', out()], /--bptt must be a whole number in \[1, 1048576\], got 2097152/);
  await fails([...music, '--hidden', '20000', '--layers', '64', '--out', out()], /train music: the configured model has [\d,]+ parameters, more than the limit/);
});

test('CLI: fresh speech and music runs with options at their bounds load again', async () => {
  const root = tempDir();
  const speech = join(root, 'speech');
  const t = await recurHere('train', 'speech', '--data', join(TINY, 'train.tsv'), '--valid', join(TINY, 'test.tsv'), '--sample-rate', '8000',
    '--mel-bins', '128', '--deltas', '2', '--hidden', '4', '--layers', '1', '--conv-channels', '4', '--batch', '3', '--steps', '2', '--out', speech);
  assert.equal(t.status, 0, t.stderr);
  const run = loadSpeechRun(speech);
  assert.deepEqual(run.config.features, { kind: 'fbank', sampleRate: 8000, numMelBins: 128, deltas: 2, cmvn: true });
  assert.equal(run.model.config.inputSize, 384);
  assert.equal((await recurHere('transcribe', speech, WAV)).status, 0);
  const cls = join(root, 'classify');
  const c = await recurHere('train', 'speech', '--data', join(TINY, 'train.tsv'), '--valid', join(TINY, 'train.tsv'), '--features', 'mfcc', '--mel-bins', '13',
    '--head', 'classify', '--cell', 'gru', '--no-conv', '--hidden', '4', '--layers', '1', '--batch', '3', '--steps', '2', '--out', cls);
  assert.equal(c.status, 0, c.stderr);
  assert.equal((await recurHere('eval', cls)).status, 0);

  const data = join(root, 'midi');
  mkdirSync(join(data, 'more'), { recursive: true });
  copyFileSync(join(FIXTURES_DIR, 'midi', 'tempo-changes.mid'), join(data, 'tempo-changes.mid'));
  copyFileSync(join(FIXTURES_DIR, 'midi', 'running-status.mid'), join(data, 'running-status.mid'));
  copyFileSync(join(FIXTURES_DIR, 'midi', 'drums.mid'), join(data, 'more', 'drums.mid'));
  const music = join(root, 'music');
  const m = await recurHere('train', 'music', '--data', data, '--repr', 'pianoroll', '--output', 'made', '--made-hidden', '3', '--fps', '1000',
    '--cell', 'rnn', '--layers', '1', '--hidden', '3', '--batch', '1', '--bptt', '8', '--steps', '2', '--out', music);
  assert.equal(m.status, 0, m.stderr);
  const composed = await recurHere('compose', music, '--frames', '4', '--out', join(root, 'x.mid'));
  assert.equal(composed.status, 0, composed.stderr);
});

test('the parameter counts the checks bound are the models\' own (so no valid run is refused)', once, () => {
  for (const cell of ['lstm', 'gru'] as const) {
    for (const [convLayers, bidirectional, numLayers] of [[0, true, 1], [2, true, 3], [2, false, 2]] as const) {
      const c = { inputSize: 7, convLayers, convChannels: 5, cell, hiddenSize: 4, numLayers, bidirectional, dropout: 0, head: 'ctc' as const, numOutputs: 6, pooling: 'max' as const };
      const held = [...new SpeechRecognizer(c).stateDict().values()].reduce((n, t) => n + t.size, 0);
      assert.equal(speechModelParams(c), held, JSON.stringify(c));
    }
  }
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    for (const output of ['bernoulli', 'made'] as const) {
      const c = { hiddenSize: 5, numLayers: 2, cell, dropout: 0, output, madeHidden: 3 };
      const held = [...new PianoRollModel(c).stateDict().values()].reduce((n, t) => n + t.size, 0);
      assert.equal(rollModelParams(c), held, JSON.stringify(c));
    }
  }
});
