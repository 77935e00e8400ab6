/**
 * `npm run eval:speech`: the quality figures of the speech issue, measured.
 *  1. recur trains a SpeechRecognizer (fbank 40, conv subsampling, 3×256 BiLSTM, CTC) on
 *     espeak-digits for --minutes; WER / CER / utterance accuracy on the held-out voices of the
 *     test split, greedy and with beam 8 constrained to digit words.
 *  2. The same model on the real asterisk-digits recordings (trained on synthetic speech only):
 *     isolated-digit accuracy, greedy and constrained to digit words.
 *  3. The PyTorch twin (scripts/eval/torch_speech.py): the same features (written by this
 *     script), model, data, batch size and wall time, in Debian's torch with the OpenMP
 *     OpenBLAS and OMP_NUM_THREADS only; its greedy outputs are scored here with the same WER.
 * Results go to eval-results-speech.json.
 * Usage: npx tsx scripts/eval/speech.ts [--minutes M] [--train-count N] [--eval-count N] [--skip-torch] [--torch-threads N]
 *        [--hidden H] [--layers L] [--batch B] [--lr X] [--root DIR]   (defaults 20, 2000, 300, -, 1, 256, 3, 16, 0.001)
 * The backend is recur's default unless RECUR_BACKEND is set (e.g. RECUR_BACKEND=native RECUR_THREADS=1).
 */
import './errors.js'; // first: a RecurError prints one line
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureConfig } from '../../src/audio/features.js';
import { backendName } from '../../src/kernels/index.js';
import { wordErrorRate } from '../../src/metrics/wer.js';
import { loadFeatureSet, loadSpeechSplits, type FeatureUtterance, type SpeechDataSpec } from '../../src/tasks/speech/data.js';
import type { DecodeOptions } from '../../src/tasks/speech/decode.js';
import { loadSpeechRun } from '../../src/tasks/speech/run.js';
import { evaluateSpeech, type SpeechEvaluation } from '../../src/tasks/speech/task.js';
import { SPEC_AUGMENT, trainSpeech, type SpeechTrainOptions } from '../../src/tasks/speech/train.js';
import { DEFAULT_UNITS, UnitSet } from '../../src/tasks/speech/units.js';
import { readVocab, wordConstraint } from '../../src/tasks/speech/vocab.js';
import { installNodeGc } from '../../src/train/node-gc.js';
import { PYTHON, torchEnv } from '../torch-env.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const flag = (name: string): string | null => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : null;
};
const minutes = arg('minutes', 20), torchThreads = arg('torch-threads', 1);
const skipTorch = process.argv.includes('--skip-torch');
const root = flag('root') ?? mkdtempSync(join(tmpdir(), 'recur-eval-speech-'));
const resultsPath = 'eval-results-speech.json';
const log = (s: string): void => console.log(s);
installNodeGc();

const features: FeatureConfig = { kind: 'fbank', numMelBins: 40, deltas: 0, cmvn: true };
const spec: SpeechDataSpec = { source: 'espeak-digits', seed: 0, trainCount: arg('train-count', 2000), evalCount: arg('eval-count', 300) };
const options: SpeechTrainOptions = {
  data: 'espeak-digits', trainCount: spec.trainCount!, features: 'fbank', melBins: 40, deltas: 0, cell: 'lstm',
  layers: arg('layers', 3), hidden: arg('hidden', 256), conv: true, convChannels: 128, dropout: 0.2, batch: arg('batch', 16),
  head: 'ctc', units: DEFAULT_UNITS, pooling: 'mean', specAugment: true,
  optimizer: 'adam', lr: arg('lr', 0.001), clip: 5, minutes, seed: 0, out: join(root, 'recur-run'), resume: false,
};

function summary(e: SpeechEvaluation): Record<string, number> {
  return { wer: e.wer, cer: e.cer, utteranceAccuracy: e.accuracy, utterances: e.utterances };
}

const save = (value: Record<string, unknown>): void => {
  const all = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, unknown>) : {};
  Object.assign(all, { backend: backendName(), date: new Date().toISOString(), minutes, ...value });
  writeFileSync(resultsPath, JSON.stringify(all, null, 2) + '\n');
};

/** Writes a set for the twin: NAME.f32 / NAME.frames (features) and NAME.i32 / NAME.off (unit ids). */
function writeSet(dir: string, name: string, utts: readonly FeatureUtterance[], units: UnitSet): void {
  const frames = Int32Array.from(utts, (u) => u.frames);
  const feats = new Float32Array(utts.reduce((s, u) => s + u.features.length, 0));
  let o = 0;
  for (const u of utts) { feats.set(u.features, o); o += u.features.length; }
  const ids = utts.map((u) => units.encode(u.transcript).ids);
  const off = new Int32Array(ids.length + 1);
  ids.forEach((x, i) => { off[i + 1] = off[i]! + x.length; });
  writeFileSync(join(dir, `${name}.f32`), Buffer.from(feats.buffer));
  writeFileSync(join(dir, `${name}.frames`), Buffer.from(frames.buffer));
  writeFileSync(join(dir, `${name}.i32`), Buffer.from(Int32Array.from(ids.flat()).buffer));
  writeFileSync(join(dir, `${name}.off`), Buffer.from(off.buffer));
}

async function main(): Promise<void> {
  log(`eval:speech: ${minutes} min per run, backend ${backendName()}, work folder ${root}`);
  const splits = await loadSpeechSplits(spec, features);
  splits.summary.forEach((l) => log(l));
  const asterisk = await loadFeatureSet('asterisk-digits', features);
  log(asterisk.summary);

  // 1-2. recur
  const t0 = Date.now();
  const r = await trainSpeech(options, (e) => { if (e.type === 'eval') log(`  recur step ${e.step}: valid loss ${e.result.loss.toFixed(4)}`); });
  const seconds = (Date.now() - t0) / 1000;
  const run = loadSpeechRun(options.out);
  if (run.targets.kind !== 'ctc') throw new Error('expected a CTC run');
  const units = run.targets.units;
  const digits: DecodeOptions = { beam: 8, constraint: wordConstraint(readVocab('digits'), units) };
  const test = await evaluateSpeech(run.model, run.targets, splits.test, { beam: 1 });
  const testDigits = await evaluateSpeech(run.model, run.targets, splits.test, digits);
  const ast = await evaluateSpeech(run.model, run.targets, asterisk.utterances, { beam: 1 });
  const astDigits = await evaluateSpeech(run.model, run.targets, asterisk.utterances, digits);
  const recur = {
    steps: r.step, seconds, test: summary(test), testDigitsBeam8: summary(testDigits),
    asteriskIsolatedAccuracy: ast.accuracy, asteriskIsolatedAccuracyDigitsBeam8: astDigits.accuracy, asteriskUtterances: ast.utterances,
  };
  log(`recur: test WER ${(100 * test.wer).toFixed(2)}% (digits, beam 8: ${(100 * testDigits.wer).toFixed(2)}%); ` +
    `asterisk isolated-digit accuracy ${(100 * ast.accuracy).toFixed(1)}% (digits, beam 8: ${(100 * astDigits.accuracy).toFixed(1)}%)`);
  save({ recur, model: run.config.model, features });

  // 3. The PyTorch twin on the same features.
  if (skipTorch) return;
  const dir = join(root, 'torch-data');
  mkdirSync(dir, { recursive: true });
  writeSet(dir, 'train', splits.train, units);
  writeSet(dir, 'valid', splits.valid, units);
  writeSet(dir, 'test', splits.test, units);
  writeSet(dir, 'asterisk', asterisk.utterances, units);
  const config = { model: run.config.model, lr: options.lr, batch: options.batch, minutes: seconds / 60, seed: 0, specAugment: SPEC_AUGMENT, evalSets: ['test', 'asterisk'] };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const env = torchEnv(torchThreads); // OMP_NUM_THREADS only, OpenMP OpenBLAS (scripts/torch-env.ts)
  const p = spawnSync(PYTHON, ['scripts/eval/torch_speech.py', join(dir, 'config.json'), dir], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
  if (p.status !== 0) throw new Error(`torch_speech.py failed (exit ${p.status})`);
  const info = JSON.parse(p.stdout.trim().split('\n').pop()!) as Record<string, number>;
  const score = (name: string, utts: readonly FeatureUtterance[]): { wer: number; accuracy: number } => {
    const hyps = (JSON.parse(readFileSync(join(dir, `hyp_${name}.json`), 'utf8')) as number[][]).map((ids) => units.decode(ids));
    const refs = utts.map((u) => units.normalize(u.transcript));
    return { wer: wordErrorRate(hyps, refs).rate, accuracy: hyps.filter((h, i) => h === refs[i]).length / Math.max(refs.length, 1) };
  };
  const tt = score('test', splits.test), ta = score('asterisk', asterisk.utterances);
  const torch = { ...info, testWer: tt.wer, testUtteranceAccuracy: tt.accuracy, asteriskIsolatedAccuracy: ta.accuracy };
  log(`torch (${info.threads} threads, ${info.steps} steps): test WER ${(100 * tt.wer).toFixed(2)}%; asterisk isolated-digit accuracy ${(100 * ta.accuracy).toFixed(1)}%`);
  save({ torch });
}

await main();
