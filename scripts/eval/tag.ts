/**
 * Quality figures of the sequence-tagging issue, on the Brown corpus split by file (test: files
 * numbered ≡ 0 mod 10, development: ≡ 5 mod 10, see src/tasks/tag/brown.ts):
 *  1. Part of speech (87 base tags): BiLSTM + char CNN + softmax, token accuracy on the test files.
 *  2. Name chunks (NAME / TITLE, BIO): the same tagger with a softmax and with a constrained CRF,
 *     entity-level F1 (conlleval semantics) on the test files. Same budget for both.
 * Each training run has a wall-time budget; the best checkpoint by loss on 1500 development
 * sentences (every k-th) (evaluated every 500 steps) is scored on the full test files.
 * The two name-chunk runs get the same budget: --names-steps N (equal updates, independent of
 * machine load) or else --names-minutes M (equal wall time).
 * Usage: npx tsx scripts/eval/tag.ts [--pos-minutes 10] [--names-steps 1500 | --names-minutes 6] [--only pos|names]
 * Writes eval-results-tag.json.
 */
import './errors.js'; // first: a RecurError prints one line
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendName } from '../../src/kernels/index.js';
import { trainTagger, type TagTrainOptions, type TagTrainResult } from '../../src/tasks/tag/train.js';
import type { TrainEvent } from '../../src/train/trainer.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const onlyIdx = process.argv.indexOf('--only');
const only = onlyIdx >= 0 ? process.argv[onlyIdx + 1] : null;
const posMinutes = arg('pos-minutes', 10), namesMinutes = arg('names-minutes', 6), namesSteps = arg('names-steps', 0);
const root = mkdtempSync(join(tmpdir(), 'recur-eval-tag-'));
const log = (s: string): void => console.log(s);
const t0 = Date.now();

const base: TagTrainOptions = {
  data: 'brown-pos', crf: false, scheme: 'auto', charEncoder: 'cnn', charEmbed: 25, charHidden: 30, wordEmbed: 100, hidden: 100,
  layers: 1, dropout: 0.5, minFreq: 2, batch: 32, lr: 0.005, weightDecay: 0, optimizer: 'adam', clip: 5, evalEvery: 500,
  validLimit: 1500, seed: 0, out: '', resume: false,
};

function progress(name: string): (e: TrainEvent) => void {
  let tokPerSec = 0;
  return (e) => {
    if (e.type === 'step') tokPerSec = e.itemsPerSec;
    if (e.type === 'eval') {
      const m = e.result.metrics;
      log(`    [${name}] step ${e.step} (epoch ${e.epoch + 1}): dev loss ${e.result.loss.toFixed(4)} | accuracy ${m.accuracy!.toFixed(4)}` +
        `${m.f1 !== undefined ? ` | F1 ${m.f1.toFixed(4)}` : ''} | ${Math.round(tokPerSec)} tok/s${e.best ? ' (best)' : ''}`);
    }
  };
}

const summary = (r: TagTrainResult, minutes: number): Record<string, unknown> => ({
  testAccuracy: r.test.accuracy, ...(r.test.chunks ? { testPrecision: r.test.chunks.precision, testRecall: r.test.chunks.recall, testF1: r.test.chunks.f1, perType: r.test.chunks.perType } : {}),
  steps: r.step, epochs: r.epoch, stoppedBy: r.reason, minutes,
});

const results: Record<string, unknown> = { backend: backendName(), date: new Date().toISOString(), config: { ...base, out: undefined } };
log(`Brown tagging, backend ${backendName()}; word 100 + char CNN (25-dim chars, 30 filters, width 3) -> BiLSTM 2x100, dropout 0.5, Adam 5e-3, batch 32; 1500 dev sentences (every k-th) for model selection`);

if (only !== 'names') {
  log(`[1] part of speech (87 tags), softmax, ${posMinutes} min`);
  const t1 = Date.now();
  const r = await trainTagger({ ...base, data: 'brown-pos', minutes: posMinutes, out: join(root, 'pos') }, progress('pos'));
  results.pos = summary(r, (Date.now() - t1) / 60000);
  log(`    POS test token accuracy ${r.test.accuracy.toFixed(4)} (target >= 0.95), ${r.step} steps`);
}

if (only !== 'pos') {
  const names: Record<string, unknown> = {};
  for (const crf of [false, true]) {
    const name = crf ? 'crf' : 'softmax';
    const budget = namesSteps > 0 ? { steps: namesSteps } : { minutes: namesMinutes };
    log(`[2] name chunks (NAME/TITLE, BIO), ${name}, ${namesSteps > 0 ? `${namesSteps} steps` : `${namesMinutes} min`}`);
    const t1 = Date.now();
    const r = await trainTagger({ ...base, data: 'brown-names', crf, ...budget, out: join(root, `names-${name}`) }, progress(name));
    names[name] = summary(r, (Date.now() - t1) / 60000);
    const c = r.test.chunks!;
    log(`    ${name}: test entity P ${c.precision.toFixed(4)} R ${c.recall.toFixed(4)} F1 ${c.f1.toFixed(4)} | token accuracy ${r.test.accuracy.toFixed(4)}`);
  }
  results.names = names;
}

results.minutes = (Date.now() - t0) / 60000;
results.command = `npx tsx scripts/eval/tag.ts --pos-minutes ${posMinutes} ${namesSteps > 0 ? `--names-steps ${namesSteps}` : `--names-minutes ${namesMinutes}`}${only ? ` --only ${only}` : ''}`;
const path = only ? `eval-results-tag-${only}.json` : 'eval-results-tag.json';
writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
log(`results written to ${path} (${(results.minutes as number).toFixed(1)} min)`);
