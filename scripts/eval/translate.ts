/**
 * `npm run eval:translate`: the quality figures of the translation issue, measured.
 *  1. CMUdict grapheme-to-phoneme, held-out words: word and phoneme error rates (greedy, beam 5).
 *  2. KJV -> Reina-Valera 1909 with attention: test BLEU/chrF, greedy and beam 5.
 *  3. The same without attention (plain encoder-decoder), same budget.
 *  4. The same attention model trained by PyTorch (scripts/eval/torch_translate.py) for the same
 *     wall time on the same prepared ids; its greedy outputs are scored here with the same BLEU.
 * Each training run has a wall-time budget (default 10 minutes) and runs in its own process
 * (`--phase g2p|init|kjv-att|kjv-none|torch`), so no memory state leaks from one run into the next.
 * Unless --skip-torch, the attention model of 2 and the twin of 4 start from the same weights:
 * the twin's initial state_dict for --seed, written first (phase init) and loaded by recur.
 * Results are merged into eval-results-translate.json. `--only race` runs 2 and 4 alone.
 * Usage: npx tsx scripts/eval/translate.ts [--minutes M] [--g2p-minutes M] [--skip-torch] [--only g2p|kjv|race] [--torch-threads N]
 *        [--seed S (0)] [--tag NAME]
 *        [--hidden H] [--embed E] [--bpe-vocab V] [--batch B] [--lr X] [--dropout P]   (KJV model; defaults 256, 128, 3000, 64, 0.002, 0)
 *        [--g2p-lr X] [--g2p-eval-every N]   (G2P; defaults 0.002, 500)
 * Dropout defaults to 0 for KJV: a 10-15 minute budget is 2-3 epochs, too few to overfit, and
 * without dropout the attention decoder trains as one fused op (src/tasks/translate/fused-decoder.ts).
 * The backend is recur's default unless RECUR_BACKEND is set (e.g. RECUR_BACKEND=native RECUR_THREADS=1).
 */
import './errors.js'; // first: a RecurError prints one line
import { RecurError } from '../../src/errors.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendName } from '../../src/kernels/index.js';
import { PYTHON, torchEnv } from '../torch-env.js';
import { scoreExamples, scoreHypotheses } from '../../src/tasks/translate/evaluate.js';
import { BUILTIN_TRANSLATE_DATA, prepareTranslateData } from '../../src/tasks/translate/data.js';
import { loadTranslateRun } from '../../src/tasks/translate/run.js';
import { trainTranslate, translateModelConfig, type TranslateTrainOptions } from '../../src/tasks/translate/train.js';
import { dataPath } from '../../src/train/run.js';
import { tokenizerFromJSON } from '../../src/text/from-json.js';
import { installNodeGc } from '../../src/train/node-gc.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const minutes = arg('minutes', 10), g2pMinutes = arg('g2p-minutes', minutes), torchThreads = arg('torch-threads', 1);
const skipTorch = process.argv.includes('--skip-torch');
const flag = (name: string): string | null => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : null;
};
const only = flag('only'), phase = flag('phase');
const seed = arg('seed', 0);
if (!Number.isInteger(seed) || seed < 0) throw new RecurError(`--seed must be a non-negative integer, got ${String(seed)}`);
/** `--tag NAME` keeps a second configuration's figures apart: keys get a _NAME suffix. */
const tag = flag('tag');
const keyOf = (k: string): string => (tag ? `${k}_${tag}` : k);
const root = flag('root') ?? mkdtempSync(join(tmpdir(), 'recur-eval-translate-'));
const resultsPath = 'eval-results-translate.json';
const log = (s: string): void => console.log(s);
/** Merges one phase's figures into the results file. */
const save = (key: string, value: unknown): void => {
  const all = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, unknown>) : {};
  Object.assign(all, { backend: backendName(), date: new Date().toISOString(), minutesPerRun: minutes, [keyOf(key)]: value });
  writeFileSync(resultsPath, JSON.stringify(all, null, 2) + '\n');
};
installNodeGc();

// The KJV model; --hidden/--embed/--bpe-vocab/--batch/--lr override it (the PyTorch phase uses the same values).
const base: Omit<TranslateTrainOptions, 'data' | 'out' | 'attention'> = {
  reverse: false, cell: 'gru', layers: 1, hidden: arg('hidden', 256), embed: arg('embed', 128), bidirectional: true, inputFeeding: true,
  teacherForcing: 1, dropout: arg('dropout', 0), bridge: 'dense', bpeVocab: arg('bpe-vocab', 3000), maxLen: 64, batch: arg('batch', 64), lr: arg('lr', 0.002),
  optimizer: 'adam', clip: 5, minutes, evalEvery: 400, evalDecode: 0, seed, resume: false,
};

async function trainAndScore(name: string, o: TranslateTrainOptions): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  let rateSum = 0, rateN = 0;
  const r = await trainTranslate(o, (e) => {
    if (e.type === 'step' && e.step % 200 === 0) log(`    step ${e.step} loss ${e.loss.toFixed(3)} ${Math.round(e.itemsPerSec)} tok/s ${e.elapsedSec.toFixed(0)} s`);
    if (e.type === 'step' && e.step > 10) {
      rateSum += e.itemsPerSec;
      rateN++;
    }
    if (e.type === 'eval') log(`    eval @ ${e.step}: valid loss ${e.result.loss.toFixed(3)}`);
  });
  const trainSeconds = (Date.now() - t0) / 1000;
  const { model, config } = loadTranslateRun(o.out, 'last');
  const src = tokenizerFromJSON(config.srcTokenizer), tgt = tokenizerFromJSON(config.tgtTokenizer);
  const data = prepareTranslateData(config.data, config.reverse, {}, config);
  const decode = { lengthPenalty: 1, maxLenA: config.decode.maxLenA, maxLenB: config.decode.maxLenB };
  const t1 = Date.now();
  const greedy = await scoreExamples(model, src, tgt, data.testExamples, config.metric, { ...decode, beam: 1 });
  const greedySec = (Date.now() - t1) / 1000;
  const t2 = Date.now();
  const beam = await scoreExamples(model, src, tgt, data.testExamples, config.metric, { ...decode, beam: 5 });
  const beamSec = (Date.now() - t2) / 1000;
  log(`  ${name}: ${r.step} steps in ${trainSeconds.toFixed(0)} s (~${Math.round(rateSum / Math.max(rateN, 1))} target tok/s)`);
  log(`    greedy: ${greedy.summary}`);
  log(`    beam 5: ${beam.summary}`);
  return {
    steps: r.step, epochs: r.epoch, trainSeconds, tokensPerSec: rateSum / Math.max(rateN, 1), config: { ...o, onData: undefined }, test: data.testExamples.length,
    greedy: greedy.metrics, beam5: beam.metrics, decodeSeconds: { greedy: greedySec, beam5: beamSec },
    samples: data.testExamples.slice(0, 3).map((e, i) => ({ source: e.source, reference: e.targets[0], greedy: greedy.hypotheses[i], beam5: beam.hypotheses[i] })),
  };
}

const attOut = join(root, 'kjv-att');
const initFile = join(root, 'init', 'init.safetensors');

if (phase === 'g2p') {
  log(`[1] CMUdict G2P, ${g2pMinutes} min (backend ${backendName()})`);
  save('g2p', await trainAndScore('G2P luong-general', {
    ...base, data: 'cmudict', attention: 'luong-general', hidden: 256, embed: 64, batch: 128, lr: arg('g2p-lr', 0.002), dropout: 0, maxLen: 40,
    minutes: g2pMinutes, evalEvery: arg('g2p-eval-every', 500), out: join(root, 'g2p'),
  }));
} else if (phase === 'init') {
  // The twin's initial weights for the model trainTranslate builds from these options and data.
  const att = { ...base, attention: 'luong-general' as const };
  const data = prepareTranslateData(dataPath('kjv-es', BUILTIN_TRANSLATE_DATA), false, att);
  mkdirSync(join(root, 'init'), { recursive: true });
  const cfgPath = join(root, 'init', 'config.json');
  writeFileSync(cfgPath, JSON.stringify({ model: translateModelConfig(att, data), seed, threads: 1, init_out: initFile, init_only: true }));
  const p = spawnSync(PYTHON, ['scripts/eval/torch_translate.py', cfgPath, join(root, 'init')], { encoding: 'utf8', env: torchEnv(1) });
  if (p.status !== 0) log(`    PyTorch could not write its initial weights; recur starts from its own:\n${p.stderr.slice(-500)}`);
} else if (phase === 'kjv-att') {
  const sharedInit = existsSync(initFile);
  log(`[2] KJV -> RV1909 with attention (luong-general), ${minutes} min (backend ${backendName()}, seed ${seed}, ${sharedInit ? "the twin's" : 'its own'} initial weights)`);
  const r = await trainAndScore('attention', { ...base, data: 'kjv-es', attention: 'luong-general', out: attOut, ...(sharedInit ? { initWeights: initFile } : {}) });
  save('kjvAttention', { ...r, seed, sharedInit });
} else if (phase === 'kjv-none') {
  log(`[3] KJV -> RV1909 without attention, ${minutes} min (backend ${backendName()})`);
  save('kjvNoAttention', await trainAndScore('no attention', { ...base, data: 'kjv-es', attention: 'none', out: join(root, 'kjv-none') }));
} else if (phase === 'torch') {
  log(`[4] PyTorch twin of the attention model, same ids, ${minutes} min, ${torchThreads} thread(s)`);
  const { config } = loadTranslateRun(attOut, 'last');
  const data = prepareTranslateData(config.data, config.reverse, { maxLen: base.maxLen }, config);
  const dir = join(root, 'torch');
  mkdirSync(dir, { recursive: true });
  const writeSeqs = (name: string, seqs: Int32Array[]): void => {
    const off = new Int32Array(seqs.length + 1);
    seqs.forEach((s, i) => (off[i + 1] = off[i]! + s.length));
    const flat = new Int32Array(off[seqs.length]!);
    seqs.forEach((s, i) => flat.set(s, off[i]!));
    writeFileSync(join(dir, `${name}.i32`), Buffer.from(flat.buffer));
    writeFileSync(join(dir, `${name}.off`), Buffer.from(off.buffer));
  };
  writeSeqs('train_src', data.train.map((p) => p.src));
  writeSeqs('train_tgt', data.train.map((p) => p.tgt));
  writeSeqs('valid_src', data.valid.map((p) => p.src));
  writeSeqs('valid_tgt', data.valid.map((p) => p.tgt));
  writeSeqs('test_src', data.testExamples.map((e) => data.src.encode(e.source)));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    model: config.model, specials: data.specials, batch: base.batch, lr: base.lr, clip: base.clip, minutes,
    evalEvery: base.evalEvery, seed, threads: torchThreads, maxLenA: config.decode.maxLenA, maxLenB: config.decode.maxLenB,
  }));
  const p = spawnSync(PYTHON, ['scripts/eval/torch_translate.py', join(dir, 'config.json'), dir], { encoding: 'utf8', maxBuffer: 64 << 20, env: torchEnv(torchThreads) });
  if (p.status === 0) {
    const t = JSON.parse(p.stdout.trim().split('\n').pop()!) as { steps: number; train_seconds: number; tokens_per_sec: number; valid_loss: number };
    const hypIds = JSON.parse(readFileSync(join(dir, 'test_hyp.json'), 'utf8')) as number[][];
    const hyps = hypIds.map((ids) => data.tgt.decode(ids, { skipSpecials: true }).trim());
    const s = scoreHypotheses(hyps, data.testExamples, 'bleu');
    const all = JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, { greedy?: { bleu: number } } | undefined>;
    const recurGreedy = all[keyOf('kjvAttention')]?.greedy?.bleu ?? NaN;
    save('torch', { ...t, seed, sharedInit: existsSync(initFile), greedy: s.metrics, recurGreedyBleu: recurGreedy, difference: recurGreedy - s.metrics.bleu! });
    log(`    PyTorch: ${t.steps} steps, ${Math.round(t.tokens_per_sec)} tok/s; greedy ${s.summary}`);
    log(`    recur greedy BLEU ${recurGreedy.toFixed(2)} vs PyTorch ${s.metrics.bleu!.toFixed(2)} (difference ${(recurGreedy - s.metrics.bleu!).toFixed(2)})`);
  } else {
    save('torch', { error: p.stderr.slice(-1500) });
    log(`    PyTorch run failed (is python3-torch installed for /usr/bin/python3?):\n${p.stderr.slice(-1500)}`);
  }
} else {
  // The driver: one child process per phase.
  const kjv = only === 'race' ? ['kjv-att'] : ['kjv-att', 'kjv-none'];
  const phases = [...(!only || only === 'g2p' ? ['g2p'] : []), ...(!only || only === 'kjv' || only === 'race' ? [...(skipTorch ? [] : ['init']), ...kjv, ...(skipTorch ? [] : ['torch'])] : [])];
  const passOn = process.argv.slice(2).filter((a, i, all) => a !== '--only' && all[i - 1] !== '--only');
  for (const ph of phases) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/eval/translate.ts', ...passOn, '--phase', ph, '--root', root], { stdio: 'inherit' });
    if (r.status !== 0) log(`phase ${ph} failed with exit code ${r.status}`);
  }
  log(`results written to ${resultsPath}`);
}
