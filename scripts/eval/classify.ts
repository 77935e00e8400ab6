/**
 * Quality figures of the sentiment-classification issue, measured on UCI Sentiment Labelled
 * Sentences (3000 sentences):
 *  1. A fixed stratified 80/10/10 split (seed 0): the BiLSTM classifier (max pooling) with and
 *     without the AFINN lexicon feature, and a bag-of-words logistic regression on the SAME split.
 *  2. 10-fold stratified cross-validation (each round: 1 fold test, the next validates, 8 train):
 *     mean test accuracy of the BiLSTM (with the lexicon) and of the BoW baseline.
 * Early stopping and the BoW λ use the validation split only; test folds are never looked at.
 * Usage: npx tsx scripts/eval/classify.ts [--folds 10] [--epochs 20]
 * Writes eval-results-classify.json.
 */
import './errors.js'; // first: a RecurError prints one line
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendName } from '../../src/kernels/index.js';
import { bowLogisticRegression } from '../../src/tasks/classify/bow-baseline.js';
import { buildClassifyTokenizer, prepareClassifyData } from '../../src/tasks/classify/data.js';
import { trainClassifier, type ClassifyTrainOptions } from '../../src/tasks/classify/train.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const K = arg('folds', 10), epochs = arg('epochs', 20);
const root = mkdtempSync(join(tmpdir(), 'recur-eval-classify-'));
const log = (s: string): void => console.log(s);
const t0 = Date.now();

const base: ClassifyTrainOptions = {
  data: 'uci-sentiment', cell: 'lstm', layers: 1, hidden: 64, embed: 64, bidirectional: true, pooling: 'max', lexicon: 'afinn',
  dropout: 0.5, wordDropout: 0.1, batch: 32, lr: 0.003, weightDecay: 0, optimizer: 'adam', clip: 5, classWeights: 'none',
  minFreq: 1, maxLength: 0, validFraction: 0.1, testFraction: 0.1, epochs, patience: 4, seed: 0, out: '', resume: false,
};

async function bow(split: ClassifyTrainOptions): Promise<{ accuracy: number; macroF1: number; l2: number }> {
  const spec = split.folds !== undefined ? { folds: split.folds, fold: split.fold ?? 0 } : { valid: split.validFraction, test: split.testFraction };
  const d = prepareClassifyData({ source: 'uci-sentiment', split: spec, seed: split.seed });
  const tok = buildClassifyTokenizer(d.split.train.map((i) => d.examples[i]!.text), 1);
  const part = (idx: number[]) => ({ texts: idx.map((i) => d.examples[i]!.text), labels: Int32Array.from(idx, (i) => d.y[i]!) });
  const r = await bowLogisticRegression(tok, d.labels, { train: part(d.split.train), valid: part(d.split.valid), test: part(d.split.test) });
  return { accuracy: r.test.accuracy, macroF1: r.test.macroF1, l2: r.l2 };
}

const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
const sd = (a: number[]): number => Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));

log(`UCI sentiment, backend ${backendName()}; BiLSTM 64+64, max pooling, dropout 0.5, word dropout 0.1, Adam 3e-3, <= ${epochs} epochs, patience 4`);
log('[1] fixed stratified 80/10/10 split (seed 0)');
const fixed: Record<string, unknown> = {};
for (const lexicon of ['afinn', 'none'] as const) {
  const r = await trainClassifier({ ...base, lexicon, out: join(root, `fixed-${lexicon}`) });
  fixed[`bilstm_${lexicon}`] = { accuracy: r.test.accuracy, macroF1: r.test.macroF1, epochs: r.epoch, steps: r.step };
  log(`    BiLSTM (lexicon ${lexicon}): test accuracy ${r.test.accuracy.toFixed(4)}, macro-F1 ${r.test.macroF1.toFixed(4)} (${r.epoch} epochs)`);
}
const fixedBow = await bow(base);
fixed.bow_logreg = fixedBow;
log(`    BoW logistic regression (λ=${fixedBow.l2} by validation): test accuracy ${fixedBow.accuracy.toFixed(4)}, macro-F1 ${fixedBow.macroF1.toFixed(4)}`);

log(`[2] ${K}-fold stratified cross-validation`);
const lstmAcc: number[] = [], bowAcc: number[] = [];
for (let fold = 0; fold < K; fold++) {
  const o = { ...base, folds: K, fold, out: join(root, `fold-${fold}`) };
  const r = await trainClassifier(o);
  const b = await bow(o);
  lstmAcc.push(r.test.accuracy);
  bowAcc.push(b.accuracy);
  log(`    fold ${fold + 1}/${K}: BiLSTM ${r.test.accuracy.toFixed(4)} | BoW ${b.accuracy.toFixed(4)} (${((Date.now() - t0) / 60000).toFixed(1)} min)`);
}
log(`    mean test accuracy: BiLSTM ${mean(lstmAcc).toFixed(4)} (sd ${sd(lstmAcc).toFixed(4)}) | BoW logistic regression ${mean(bowAcc).toFixed(4)} (sd ${sd(bowAcc).toFixed(4)})`);

const results = {
  backend: backendName(), date: new Date().toISOString(), minutes: (Date.now() - t0) / 60000,
  config: { ...base, out: undefined }, command: `npx tsx scripts/eval/classify.ts --folds ${K} --epochs ${epochs}`,
  fixedSplit: fixed,
  crossValidation: { folds: K, bilstm: { mean: mean(lstmAcc), sd: sd(lstmAcc), perFold: lstmAcc }, bowLogreg: { mean: mean(bowAcc), sd: sd(bowAcc), perFold: bowAcc } },
  threshold: 0.8,
};
writeFileSync('eval-results-classify.json', JSON.stringify(results, null, 2) + '\n');
log(`results written to eval-results-classify.json (${results.minutes.toFixed(1)} min)`);
