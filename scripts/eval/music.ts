/**
 * `npm run eval:music`: the quality figures of the music issue, measured.
 *  1. Piano roll (sixteenth-note grid, 88 keys), LSTM with independent Bernoulli keys, fixed
 *     wall time: held-out NLL per frame (nats, summed over keys) and frame accuracy.
 *  2. Its PyTorch twin (scripts/eval/torch_music.py): same model, rolls, initial weights,
 *     chunking and wall time, OpenMP OpenBLAS: validation and test NLL per frame.
 * Every model is taken as a user would ship it: of its epoch-end evaluations and its final
 * weights, the one with the lowest validation loss (both sides alike); test figures are of that one.
 *  3. The MADE output (autoregressive over keys) on the same data and wall time vs (1).
 *  4. Performance-event LSTM vs an interpolated Kneser-Ney trigram over the same events: test
 *     NLL per event.
 *  5. A 30-second sample of (4) and a (1)-sample against the training set: pitch-class histogram
 *     distance, note density, polyphony, pitch range, repeated-note ratio.
 * Usage: npx tsx scripts/eval/music.ts [--minutes M (10 per model)] [--data DIR|debian] [--skip-torch] [--results FILE] [--seed N (0)]
 *        [--torch-threads N (default RECUR_THREADS, else 2)] [--skip-events]
 *        [--folds N [--fold K]] [--dropout P (0)] [--no-augment]
 * Transposition by -6..6 semitones per piece and epoch (on unless --no-augment, as in `recur train
 * music`) and --dropout regularise (1)-(3) alike.
 * Results go to eval-results-music.json (or --results FILE). The backend is recur's default unless RECUR_BACKEND is set.
 *
 * Cross-validation: the built-in corpus's fixed split holds 4 test files, too few to tell two
 * models apart. `--folds N` runs (1)-(3) once per fold of src/music/corpus.ts foldSplit, fold k
 * with seed S+k, each in its own process (`--fold K` runs one), and pools the test NLL over all
 * files, frame-weighted: every file is tested once, by models that never saw it. It skips (4)-(5).
 */
import './errors.js'; // first: a RecurError prints one line
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { foldSplit, loadMidiFolder } from '../../src/music/corpus.js';
import { backendName } from '../../src/kernels/index.js';
import { KEYS, type PianoRoll } from '../../src/music/pianoroll.js';
import { musicStats, pitchClassDistance, type MusicStats } from '../../src/music/stats.js';
import { timedNotes } from '../../src/music/timed.js';
import { composeEvents, composeRoll } from '../../src/tasks/music/compose.js';
import { concatIds, eventsOf, loadMusicSplits, piecesOf, rollsOf } from '../../src/tasks/music/data.js';
import type { PianoRollModel } from '../../src/tasks/music/model.js';
import { loadMusicRun } from '../../src/tasks/music/run.js';
import { evaluateEvents, evaluateRolls } from '../../src/tasks/music/task.js';
import { frameSpecOf, rollModelConfig, trainMusic, type MusicTrainOptions } from '../../src/tasks/music/train.js';
import { EVENT_VOCAB } from '../../src/music/performance.js';
import type { LanguageModel } from '../../src/tasks/lm/model.js';
import { KneserNeyTrigram } from '../../src/tasks/lm/ngram.js';
import { hasCheckpoint } from '../../src/train/checkpoint.js';
import { PYTHON, torchEnv } from '../torch-env.js';

const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const minutes = Number(argOf('minutes') ?? 10);
const seed = Number(argOf('seed') ?? 0);
const data = argOf('data') ?? 'debian';
const skipTorch = process.argv.includes('--skip-torch');
// The twin gets as many threads as recur uses (RECUR_THREADS, else both cores) unless told.
const torchThreads = Number(argOf('torch-threads') ?? process.env.RECUR_THREADS ?? 2);
const folds = argOf('folds') === undefined ? null : Number(argOf('folds'));
const fold = argOf('fold') === undefined ? null : Number(argOf('fold'));
const skipEvents = process.argv.includes('--skip-events') || folds !== null;
// Regularisation of the piano-roll models (recur's, the twin's and MADE alike).
const rollDropout = Number(argOf('dropout') ?? 0);
const rollAugment = !process.argv.includes('--no-augment'); // on by default, as in `recur train music`
const resultsFile = argOf('results') ?? (folds !== null && fold === null ? `eval-results-music-${folds}fold.json` : 'eval-results-music.json');
const log = (s: string): void => console.log(s);
if (folds !== null && fold === null) {
  crossValidate(folds);
  process.exit(0);
}
const root = mkdtempSync(join(tmpdir(), 'recur-eval-music-'));
const results: Record<string, unknown> = { backend: backendName(), date: new Date().toISOString(), data, minutesPerModel: minutes, seed, dropout: rollDropout, augment: rollAugment };
const sources: { data: string; valid?: string; test?: string } = fold === null ? { data } : foldSources(fold, folds ?? NaN);
if (fold !== null) results.fold = { fold, folds };

const splits = loadMusicSplits(sources, (p, why) => log(`    skipped ${p}: ${why}`));
log(`data '${data}': ${splits.train.length} train, ${splits.valid.length} valid, ${splits.test.length} test files (${splits.skipped} skipped)`);
const trainStats = musicStats(piecesOf(splits.train));

const rollOpts = (output: 'bernoulli' | 'made', out: string): MusicTrainOptions => ({
  ...sources, repr: 'pianoroll', grid: 'sixteenth', output, madeHidden: 100, cell: 'lstm', layers: 1, hidden: 256, embed: 64,
  dropout: rollDropout, augment: rollAugment, batch: 16, bptt: 64, lr: 0.002, optimizer: 'adam', clip: 5, minutes, seed, out, resume: false,
});
const frames = frameSpecOf({ grid: 'sixteenth' });
const rolls = { train: rollsOf(splits.train, frames), valid: rollsOf(splits.valid, frames), test: rollsOf(splits.test, frames) };

function sampleStats(stats: MusicStats): Record<string, number> {
  return {
    pitchClassDistance: pitchClassDistance(stats, trainStats), noteDensity: stats.noteDensity, polyphony: stats.polyphony,
    pitchRange: stats.pitchRange, repeatedNotes: stats.repeatedNotes,
  };
}

// Both sides start from the twin's initial weights (as scripts/eval/lm.ts does): the draw of the
// starting point is not what is being compared.
const torchDir = join(root, 'torch');
mkdirSync(torchDir, { recursive: true });
const writeRolls = (name: string, rs: PianoRoll[]): void => {
  writeFileSync(join(torchDir, `${name}.u8`), Buffer.concat(rs.map((r) => Buffer.from(r.data.buffer, r.data.byteOffset, r.frames * KEYS))));
  writeFileSync(join(torchDir, `${name}.frames.i32`), Buffer.from(Int32Array.from(rs.map((r) => r.frames)).buffer));
};
writeRolls('train', rolls.train);
writeRolls('valid', rolls.valid);
writeRolls('test', rolls.test);

/** Of a run's `best` (lowest epoch-end validation loss) and `last` weights, the lower on validation. */
async function selected<M>(out: string, load: (which: 'best' | 'last') => M, valid: (m: M) => Promise<number>): Promise<{ model: M; which: 'best' | 'last'; valid: number }> {
  const last = load('last'), vLast = await valid(last);
  if (!hasCheckpoint(out, 'best')) return { model: last, which: 'last', valid: vLast };
  const best = load('best'), vBest = await valid(best);
  return vBest <= vLast ? { model: best, which: 'best', valid: vBest } : { model: last, which: 'last', valid: vLast };
}
const rollRun = (out: string) => (which: 'best' | 'last'): PianoRollModel => loadMusicRun(out, which).model as PianoRollModel;
const rollValid = async (m: PianoRollModel): Promise<number> => (await evaluateRolls(m, rolls.valid)).loss;
const bern = rollOpts('bernoulli', join(root, 'roll-bernoulli'));
const twinConfig = (extra: Record<string, unknown>): string => JSON.stringify({
  model: rollModelConfig(bern), lr: bern.lr, batch: bern.batch, bptt: bern.bptt, clip: bern.clip, augment: bern.augment, minutes, seed, threads: torchThreads, ...extra,
});
// OMP_NUM_THREADS only: OPENBLAS_NUM_THREADS next to it slows PyTorch here (shared/DESIGN.md).
const env = (threads: number): NodeJS.ProcessEnv => {
  const e = torchEnv(threads);
  delete e.OPENBLAS_NUM_THREADS;
  return e;
};
if (!skipTorch) {
  const initFile = join(torchDir, 'init.safetensors');
  writeFileSync(join(torchDir, 'init-config.json'), twinConfig({ init_out: initFile, init_only: true }));
  const p = spawnSync(PYTHON, ['scripts/eval/torch_music.py', join(torchDir, 'init-config.json'), torchDir], { encoding: 'utf8', env: env(1) });
  if (p.status === 0) bern.initWeights = initFile;
  else log(`    (PyTorch could not write its initial weights; recur starts from its own:\n${p.stderr.slice(-300)})`);
}

// 1. Piano roll, independent Bernoulli keys.
log(`[1] piano roll (sixteenths), LSTM 1x256, Bernoulli output, ${minutes} min (backend ${backendName()})`);
const r1 = await trainMusic(bern);
const c1 = await selected(bern.out, rollRun(bern.out), rollValid);
const m1 = c1.model, v1 = { loss: c1.valid }, t1 = await evaluateRolls(m1, rolls.test);
const s1 = composeRoll(m1, frames, { frames: 256, temperature: 1, seed: 0 });
results.pianoroll = {
  testFrames: rolls.test.reduce((a, r) => a + r.frames, 0), steps: r1.step, checkpoint: c1.which, validNllPerFrame: v1.loss, testNllPerFrame: t1.loss, testFrameAccuracy: t1.metrics.frame_accuracy,
  sample: sampleStats(musicStats([timedNotes(s1.score)])),
};
log(`    ${r1.step} steps (${c1.which}); NLL/frame valid ${v1.loss.toFixed(3)}, test ${t1.loss.toFixed(3)}; frame accuracy ${t1.metrics.frame_accuracy!.toFixed(3)}`);

// 2. PyTorch twin.
if (!skipTorch) {
  writeFileSync(join(torchDir, 'config.json'), twinConfig({}));
  log(`[2] PyTorch twin, same model, rolls, initial weights and ${minutes} min`);
  const p = spawnSync(PYTHON, ['scripts/eval/torch_music.py', join(torchDir, 'config.json'), torchDir], { encoding: 'utf8', env: env(torchThreads) });
  if (p.status === 0) {
    const t = JSON.parse(p.stdout.trim().split('\n').pop()!) as { steps: number; valid_nll_per_frame: number; test_nll_per_frame: number; checkpoint: string };
    results.torch = t;
    log(`    PyTorch: ${t.steps} steps (${t.checkpoint}), NLL/frame valid ${t.valid_nll_per_frame.toFixed(3)}, test ${t.test_nll_per_frame.toFixed(3)}; ` +
      `recur valid ${v1.loss.toFixed(3)}, test ${t1.loss.toFixed(3)} (target: recur <= PyTorch)`);
  } else {
    results.torch = { error: p.stderr.slice(-500) };
    log(`    PyTorch run failed:\n${p.stderr.slice(-500)}`);
  }
}

// 3. MADE output.
log(`[3] the same with the MADE output (autoregressive over keys), ${minutes} min`);
const made = rollOpts('made', join(root, 'roll-made'));
const r3 = await trainMusic(made);
const c3 = await selected(made.out, rollRun(made.out), rollValid);
const v3 = { loss: c3.valid }, t3 = await evaluateRolls(c3.model, rolls.test);
results.made = { steps: r3.step, checkpoint: c3.which, validNllPerFrame: v3.loss, testNllPerFrame: t3.loss, testFrameAccuracy: t3.metrics.frame_accuracy };
log(`    ${r3.step} steps (${c3.which}); NLL/frame valid ${v3.loss.toFixed(3)}, test ${t3.loss.toFixed(3)} vs Bernoulli ${t1.loss.toFixed(3)} (target: lower)`);

if (skipEvents) {
  writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
  log(`results written to ${resultsFile}`);
  process.exit(0);
}

// 4. Performance events vs a Kneser-Ney trigram over the same events.
log(`[4] performance-event LSTM 2x256, ${minutes} min, vs Kneser-Ney event trigram`);
const evOpts: MusicTrainOptions = { ...rollOpts('bernoulli', join(root, 'events')), repr: 'events', layers: 2, dropout: 0.1, augment: true, batch: 32, bptt: 128 };
const r4 = await trainMusic(evOpts);
const validIds = concatIds(eventsOf(splits.valid)), testIds = concatIds(eventsOf(splits.test));
const c4 = await selected(evOpts.out, (which) => loadMusicRun(evOpts.out, which).model as LanguageModel,
  async (m) => (await evaluateEvents(m, validIds, evOpts.bptt)).loss);
const m4 = c4.model;
const t4 = await evaluateEvents(m4, testIds, evOpts.bptt);
const kn = new KneserNeyTrigram(concatIds(eventsOf(splits.train)), EVENT_VOCAB).crossEntropy(testIds);
const s4 = composeEvents(m4, { seconds: 30, temperature: 1, topP: 0.95, seed: 0 });
results.events = { steps: r4.step, checkpoint: c4.which, validNllPerEvent: c4.valid, testNllPerEvent: t4.loss, trigramTestNllPerEvent: kn, sample: sampleStats(musicStats([timedNotes(s4.score)])) };
log(`    ${r4.step} steps (${c4.which}); test NLL/event LSTM ${t4.loss.toFixed(3)} vs KN trigram ${kn.toFixed(3)} (target: lower)`);

// 5. Sample statistics.
results.trainingSet = sampleStats(trainStats);
log('[5] sample statistics (training set | piano-roll sample | event sample):');
for (const k of ['noteDensity', 'polyphony', 'pitchRange', 'repeatedNotes'] as const) {
  log(`    ${k.padEnd(14)} ${(results.trainingSet as Record<string, number>)[k]!.toFixed(3)} | ` +
    `${(results.pianoroll as { sample: Record<string, number> }).sample[k]!.toFixed(3)} | ${(results.events as { sample: Record<string, number> }).sample[k]!.toFixed(3)}`);
}
log(`    pitch-class distance to the training set: piano roll ${(results.pianoroll as { sample: Record<string, number> }).sample.pitchClassDistance!.toFixed(3)}, ` +
  `events ${(results.events as { sample: Record<string, number> }).sample.pitchClassDistance!.toFixed(3)}`);
writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
log(`results written to ${resultsFile}`);

/** The files of fold k, copied into train/, valid/ and test/ folders (the --valid/--test sources of a run). */
function foldSources(k: number, n: number): { data: string; valid: string; test: string } {
  const split = foldSplit(loadMidiFolder(data).files, k, n, `'${data}'`);
  const dir = join(root, `fold-${k}`);
  const out: Record<string, string> = {};
  for (const part of ['train', 'valid', 'test'] as const) {
    out[part] = join(dir, part);
    mkdirSync(out[part]!, { recursive: true });
    // Numbered: files of the two built-in folders may share a name.
    split[part].forEach((f, i) => copyFileSync(f.path, join(out[part]!, `${String(i).padStart(3, '0')}-${basename(f.path)}`)));
  }
  log(`fold ${k} of ${n}: test ${split.test.map((f) => f.name).join(', ')}`);
  return { data: out.train!, valid: out.valid!, test: out.test! };
}

interface FoldResult {
  pianoroll: { testFrames: number; steps: number; validNllPerFrame: number; testNllPerFrame: number };
  torch?: { steps: number; valid_nll_per_frame: number; test_nll_per_frame: number };
  made: { steps: number; validNllPerFrame: number; testNllPerFrame: number };
}

/** Runs every fold in its own process (one after the other), then pools the test NLL over all files. */
function crossValidate(n: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'recur-eval-music-cv-'));
  const rest = process.argv.slice(2).filter((a, i, all) => !['--results', '--seed', '--fold'].includes(a) && !['--results', '--seed', '--fold'].includes(all[i - 1]!));
  const per: FoldResult[] = [];
  for (let k = 0; k < n; k++) {
    const file = join(dir, `fold-${k}.json`);
    log(`=== fold ${k} of ${n}, seed ${seed + k}`);
    const p = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...rest, '--fold', String(k), '--seed', String(seed + k), '--results', file], { stdio: 'inherit' });
    if (p.status !== 0) throw new Error(`fold ${k} failed (exit ${p.status})`);
    per.push(JSON.parse(readFileSync(file, 'utf8')) as FoldResult);
  }
  const frames = per.reduce((a, r) => a + r.pianoroll.testFrames, 0);
  const pooled = (nll: (r: FoldResult) => number | undefined): number | null =>
    per.every((r) => nll(r) !== undefined) ? per.reduce((a, r) => a + nll(r)! * r.pianoroll.testFrames, 0) / frames : null;
  const summary = {
    backend: backendName(), date: new Date().toISOString(), data, folds: n, minutesPerModel: minutes, dropout: rollDropout, augment: rollAugment, seeds: per.map((_, k) => seed + k), testFrames: frames,
    pooledTestNllPerFrame: { recur: pooled((r) => r.pianoroll.testNllPerFrame), torch: pooled((r) => r.torch?.test_nll_per_frame), made: pooled((r) => r.made.testNllPerFrame) },
    perFold: per,
  };
  writeFileSync(resultsFile, JSON.stringify(summary, null, 2) + '\n');
  log('fold | test frames | recur test (valid) | PyTorch test (valid) | MADE test (valid)');
  per.forEach((r, k) => log(`${k} | ${r.pianoroll.testFrames} | ${r.pianoroll.testNllPerFrame.toFixed(3)} (${r.pianoroll.validNllPerFrame.toFixed(3)}) | ` +
    `${r.torch?.test_nll_per_frame !== undefined ? `${r.torch.test_nll_per_frame.toFixed(3)} (${r.torch.valid_nll_per_frame.toFixed(3)})` : '-'} | ${r.made.testNllPerFrame.toFixed(3)} (${r.made.validNllPerFrame.toFixed(3)})`));
  const p = summary.pooledTestNllPerFrame, f = (x: number | null): string => (x === null ? '-' : x.toFixed(3));
  log(`pooled over ${frames} test frames: recur ${f(p.recur)}, PyTorch ${f(p.torch)}, MADE ${f(p.made)} (targets: recur <= PyTorch, MADE < recur)`);
  log(`results written to ${resultsFile}`);
}
