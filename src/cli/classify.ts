import type { Command } from 'commander';
import { CorpusError } from '../data/corpus-error.js';
import { readTextFile } from '../data/text-file.js';
import { RecurError } from '../errors.js';
import { formatClassificationReport } from '../metrics/classification.js';
import { POOLING_KINDS } from '../nn/pooling.js';
import { LEXICONS } from '../tasks/classify/lexicon.js';
import { CELL_KINDS } from '../nn/index.js';
import { classifyTexts, evaluateClassifierRun, loadClassifierRun } from '../tasks/classify/run.js';
import { trainClassifier, type ClassifyTrainOptions } from '../tasks/classify/train.js';
import { choiceArg, intArg, numArg, positiveNumArg } from './args.js';
import { hasCheckpoint } from '../train/checkpoint.js';
import { registerEvaluator, type EvalOptions } from './eval.js';
import { addTrainOptions, cliHooks, savedLine, trainOptions, type TrainFlagDefaults } from './train-options.js';

/** A column given as a header name or a 0-based index. */
function columnArg(v: string): string | number {
  return /^\d+$/.test(v) ? Number(v) : v;
}

type CliTrainOptions = ClassifyTrainOptions & { cv?: number };

const CLASSIFY_DEFAULTS: TrainFlagDefaults = { lr: 0.003, epochs: 20, patience: 5 };

async function trainCommand(o: CliTrainOptions): Promise<void> {
  const h = cliHooks(o, 'ex');
  if (!o.cv) {
    const r = await trainClassifier(o, h.onEvent, h.signal);
    console.log(formatClassificationReport(r.test));
    console.log(`test accuracy ${r.test.accuracy.toFixed(4)} | macro-F1 ${r.test.macroF1.toFixed(4)} (${hasCheckpoint(o.out, 'best') ? 'best' : 'last'} checkpoint)`);
    console.log(savedLine(o, r));
    return;
  }
  // k-fold cross-validation: one run per fold in RUN_DIR/fold-i, test accuracy of each.
  const acc: number[] = [];
  for (let fold = 0; fold < o.cv; fold++) {
    const r = await trainClassifier({ ...o, folds: o.cv, fold, out: `${o.out}/fold-${fold}` }, h.onEvent, h.signal);
    if (r.reason === 'interrupted') {
      console.log(`interrupted in fold ${fold + 1}/${o.cv}; its run is saved in ${o.out}/fold-${fold}`);
      return;
    }
    acc.push(r.test.accuracy);
    console.log(`fold ${fold + 1}/${o.cv}: test accuracy ${r.test.accuracy.toFixed(4)} | macro-F1 ${r.test.macroF1.toFixed(4)}`);
  }
  const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
  const sd = Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, acc.length - 1));
  console.log(`${o.cv}-fold cross-validation: mean test accuracy ${mean.toFixed(4)} (sd ${sd.toFixed(4)}); runs in ${o.out}/fold-*`);
}

function registerTrain(train: Command): void {
  addTrainOptions(train
    .command('classify')
    .description('train a sequence classifier (e.g. sentiment) on labelled texts')
    .option('--data <name|path>', 'uci-sentiment, or a CSV/TSV/JSONL file with text and label columns', 'uci-sentiment')
    .option('--text-column <name|index>', 'text column: header name / JSON key, or 0-based index (default: text, or the first column)', columnArg)
    .option('--label-column <name|index>', 'label column: header name / JSON key, or 0-based index (default: label, or the last column)', columnArg)
    .option('--cell <cell>', CELL_KINDS.join(', '), choiceArg('cell', CELL_KINDS), 'lstm')
    .option('--layers <n>', 'recurrent layers', intArg('layers', 1), 1)
    .option('--hidden <n>', 'hidden size per direction', intArg('hidden', 1), 64)
    .option('--embed <n>', 'word embedding size', intArg('embed', 1), 64)
    .option('--unidirectional', 'one direction only (default: bidirectional)')
    .option('--pooling <kind>', POOLING_KINDS.join('|'), choiceArg('pooling', POOLING_KINDS), 'max')
    .option('--lexicon <name>', 'none, or afinn: append each word\'s AFINN sentiment valence (English sentiment only)', choiceArg('lexicon', LEXICONS), 'none')
    .option('--dropout <p>', 'dropout on embeddings and the pooled vector', numArg('dropout', 0, 0.99), 0.5)
    .option('--word-dropout <p>', 'replace training tokens by <unk> with this probability', numArg('word-dropout', 0, 0.99), 0.1)
    .option('--class-weights <w>', 'none, or balanced (n / (C * n_c)) for imbalanced labels', choiceArg('class-weights', ['none', 'balanced'] as const), 'none')
    .option('--min-freq <n>', 'vocabulary: minimum count in the training texts', intArg('min-freq', 1), 1)
    .option('--max-vocab <n>', 'vocabulary: largest size', intArg('max-vocab', 3))
    .option('--max-length <n>', 'cut texts to this many tokens (0 = no limit)', intArg('max-length', 0), 0)
    .option('--valid <fraction>', 'validation fraction of the stratified split', positiveNumArg('valid', 0.9), 0.1)
    .option('--test <fraction>', 'test fraction of the stratified split', positiveNumArg('test', 0.9), 0.1)
    .option('--cv <k>', 'k-fold cross-validation instead: k runs in RUN_DIR/fold-i, mean test accuracy', intArg('cv', 3))
    .option('--batch <n>', 'batch size', intArg('batch', 1), 32), CLASSIFY_DEFAULTS)
    .action(async (raw: CliTrainOptions & { unidirectional?: boolean; valid: number; test: number }, cmd: Command) => {
      const opts = trainOptions(cmd, raw, CLASSIFY_DEFAULTS);
      if (opts.cv && opts.resume) throw new RecurError('--cv and --resume cannot be combined (resume a single fold with --out RUN_DIR/fold-i)');
      await trainCommand({ ...opts, bidirectional: !opts.unidirectional, validFraction: opts.valid, testFraction: opts.test });
    });
}

/** Lines of a text file for `recur classify --file`: every line must have text. */
function readLines(path: string): string[] {
  const lines = readTextFile(path).split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  lines.forEach((l, i) => {
    if (l.trim() === '') throw new CorpusError(`${path}:${i + 1}: empty line (one text per line expected)`, path);
  });
  return lines;
}

async function evalClassify(dir: string, o: EvalOptions): Promise<void> {
  const run = loadClassifierRun(dir);
  const r = await evaluateClassifierRun(run, o);
  console.log(`${r.where}: ${r.report.total} examples, loss ${r.loss.toFixed(4)}`);
  console.log(formatClassificationReport(r.report));
}

/** `recur train classify`, `recur classify`, and `recur eval` of classification runs. */
export function registerClassify(program: Command, train: Command): void {
  registerTrain(train);
  registerEvaluator('classify', evalClassify);
  program
    .command('classify')
    .description('classify texts with a trained run: the label and the class probabilities')
    .argument('<run-dir>')
    .argument('[text]', 'the text to classify')
    .option('--file <path>', 'classify each line of a file (one prediction per line: label, tab, probabilities)')
    .option('--json', 'print JSON (one object per line)', false)
    .action(async (dir: string, text: string | undefined, o: { file?: string; json: boolean }) => {
      if ((text === undefined) === (o.file === undefined)) throw new RecurError('give either a text or --file PATH');
      const texts = o.file ? readLines(o.file) : [text!];
      if (!o.file && text!.trim() === '') throw new RecurError('the text to classify is empty');
      const run = loadClassifierRun(dir);
      for (const p of await classifyTexts(run, texts)) {
        if (o.json) console.log(JSON.stringify(p));
        else console.log(`${p.label}\t${Object.entries(p.probs).map(([l, v]) => `${l}=${v.toFixed(4)}`).join(' ')}`);
      }
    });
}
