/**
 * `npm run eval` (language modelling): the quality figures of the LM issue, measured.
 *  1. Character level, Moby-Dick, 2x256 LSTM, fixed wall time: validation nats/char.
 *  2. The same configuration trained by PyTorch for the same wall time on the same ids.
 *  3. Word level, Brown: test perplexity of a word LSTM vs an interpolated Kneser–Ney
 *     trigram on the same split and vocabulary.
 * Usage: npx tsx scripts/eval/lm.ts [--minutes M (15)] [--word-minutes M (25)] [--seed S (0)] [--skip-torch] [--skip-word]
 *        [--batch B (32)] [--bptt T (64)] [--tag NAME]
 * --batch/--bptt change the character race's shape (a speed check at another size); --tag keeps
 * such a race apart, under `charRaces["S_NAME"]`, without touching `char` and `torch`.
 * --seed picks the shared initial weights and recur's sampling; each seed's race is kept under
 * `charRaces` in eval-results.json, and seed 0 also fills `char` and `torch`.
 * The backend is recur's default unless RECUR_BACKEND is set (figures in eval-results.json say which).
 */
import './errors.js'; // first: a RecurError prints one line
import { RecurError } from '../../src/errors.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendName } from '../../src/kernels/index.js';
import { PYTHON, torchEnv } from '../torch-env.js';
import { evaluateLm } from '../../src/tasks/lm/task.js';
import { KneserNeyTrigram } from '../../src/tasks/lm/ngram.js';
import { prepareLmData } from '../../src/tasks/lm/data.js';
import { loadLmRun } from '../../src/tasks/lm/run.js';
import { trainLm, type LmTrainOptions } from '../../src/tasks/lm/train.js';
import { charLmOptions, prepareTwin } from './char-lm.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const minutes = arg('minutes', 15), wordMinutes = arg('word-minutes', 25), seed = arg('seed', 0);
if (!Number.isInteger(seed) || seed < 0) throw new RecurError(`--seed must be a non-negative integer, got ${String(seed)}`);
const skipTorch = process.argv.includes('--skip-torch'), skipWord = process.argv.includes('--skip-word');
const batch = arg('batch', 32), bptt = arg('bptt', 64);
if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(bptt) || bptt < 2) throw new RecurError(`--batch and --bptt must be whole numbers >= 1 and >= 2, got ${batch} and ${bptt}`);
const tagAt = process.argv.indexOf('--tag'), tag = tagAt >= 0 ? process.argv[tagAt + 1] : undefined;
if (tagAt >= 0 && !tag) throw new RecurError('--tag needs a name');
const root = mkdtempSync(join(tmpdir(), 'recur-eval-'));
const results: Record<string, unknown> = { backend: backendName(), date: new Date().toISOString() };
const log = (s: string): void => console.log(s);

// 1. Character-level Moby-Dick. Both sides start from PyTorch's initial weights for --seed: the
// random draw of the starting point alone moves the 1000-step validation loss by ~0.12 nats
// (seeds 0-2, either library), more than the difference being measured.
const charDir = join(root, 'torch-data');
mkdirSync(charDir, { recursive: true });
const charOpts = charLmOptions(batch, bptt, join(root, 'char'), { minutes, evalEvery: 500, seed });
// The same ids and model as trainLm makes from charOpts, for the twin and the evaluation.
const { prep: charPrep, config: twinConfig } = prepareTwin(charOpts, charDir);
if (!skipTorch) {
  const initFile = join(charDir, 'init.safetensors');
  writeFileSync(join(charDir, 'init-config.json'), twinConfig({ init_out: initFile, init_only: true }));
  const p = spawnSync(PYTHON, ['scripts/eval/torch_lm.py', join(charDir, 'init-config.json'), charDir], { encoding: 'utf8', env: torchEnv(1) });
  if (p.status === 0) charOpts.initWeights = initFile;
  else log(`    (PyTorch could not write its initial weights; recur starts from its own:\n${p.stderr.slice(-300)})`);
}
log(`[1] char LSTM 2x256 on Moby-Dick for ${minutes} min (backend ${backendName()})`);
const t0 = Date.now();
const r1 = await trainLm(charOpts);
const trainSec = (Date.now() - t0) / 1000;
const { model: charModel } = loadLmRun(charOpts.out, 'last');
const charValid = (await evaluateLm(charModel, charPrep.splits.valid, 10, 64)).loss;
results.char = { sharedInit: Boolean(charOpts.initWeights), steps: r1.step, trainSeconds: trainSec, validNatsPerChar: charValid, tokensPerSec: (r1.step * charOpts.batch * charOpts.bptt) / trainSec };
log(`    ${r1.step} steps, validation ${charValid.toFixed(4)} nats/char (target <= 1.55)`);

// 2. PyTorch, same ids, same config, same wall time.
if (!skipTorch) {
  writeFileSync(join(charDir, 'config.json'), twinConfig({}));
  log(`[2] PyTorch, same config, ids and initial weights, ${minutes} min`);
  const p = spawnSync(PYTHON, ['scripts/eval/torch_lm.py', join(charDir, 'config.json'), charDir], { encoding: 'utf8', env: torchEnv(2) });
  if (p.status === 0) {
    const t = JSON.parse(p.stdout.trim().split('\n').pop()!) as { valid_loss: number; steps: number; tokens_per_sec: number };
    results.torch = t;
    log(`    PyTorch: ${t.steps} steps, ${Math.round(t.tokens_per_sec)} tok/s, validation ${t.valid_loss.toFixed(4)} nats/char; recur ${charValid.toFixed(4)}`);
  } else {
    results.torch = { error: p.stderr.slice(-500) };
    log(`    PyTorch run failed (is python3-torch installed for /usr/bin/python3?):\n${p.stderr.slice(-500)}`);
  }
}

// 3. Word-level Brown vs Kneser–Ney trigram.
if (!skipWord) {
const wordOpts: LmTrainOptions = {
  corpus: 'brown', level: 'word', lowercase: true, maxVocab: 10000, cell: 'lstm', layers: 1, hidden: 256, embed: 256,
  dropout: 0.3, tie: true, batch: 32, bptt: 35, lr: 0.002, optimizer: 'adam', clip: 1, minutes: wordMinutes, evalEvery: 500,
  seed: 0, out: join(root, 'word'), resume: false,
};
log(`[3] word LSTM 1x256 (tied, vocab 10k) on Brown for ${wordMinutes} min vs Kneser-Ney trigram`);
const r3 = await trainLm(wordOpts);
const { model: wordModel, config: wordCfg } = loadLmRun(wordOpts.out);
const wordData = prepareLmData({ corpus: 'brown' }, wordOpts, wordCfg.tokenizer);
const lstmTest = (await evaluateLm(wordModel, wordData.splits.test, 10, 35)).loss;
const kn = new KneserNeyTrigram(wordData.splits.train, wordCfg.model.vocabSize);
const knTest = kn.crossEntropy(wordData.splits.test);
results.word = { steps: r3.step, lstmTestPpl: Math.exp(lstmTest), trigramTestPpl: Math.exp(knTest), reduction: 1 - Math.exp(lstmTest) / Math.exp(knTest) };
log(`    test perplexity: LSTM ${Math.exp(lstmTest).toFixed(1)} vs KN trigram ${Math.exp(knTest).toFixed(1)} ` +
  `(${((1 - Math.exp(lstmTest) / Math.exp(knTest)) * 100).toFixed(1)}% lower; target >= 20%)`);
}

// A partial run (--skip-*) keeps the figures it did not measure from the previous results.
const previous = existsSync('eval-results.json') ? (JSON.parse(readFileSync('eval-results.json', 'utf8')) as Record<string, unknown>) : {};
const race = { backend: results.backend, date: results.date, batch, bptt, recur: results.char, torch: results.torch };
const charRaces = { ...(previous.charRaces as Record<string, unknown> | undefined), [tag ? `${seed}_${tag}` : String(seed)]: race };
if (seed !== 0 || tag) { delete results.char; delete results.torch; }
writeFileSync('eval-results.json', JSON.stringify({ ...previous, ...results, charRaces }, null, 2) + '\n');
log('results written to eval-results.json');
