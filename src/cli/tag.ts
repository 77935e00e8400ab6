import type { Command } from 'commander';
import { CorpusError } from '../data/corpus-error.js';
import { readTextFile } from '../data/text-file.js';
import { RecurError } from '../errors.js';
import { formatConllReport } from '../metrics/conlleval.js';
import { CHAR_ENCODERS } from '../tasks/tag/char-encoder.js';
import { evaluateTaggerRun, loadTaggerRun, tagSentences } from '../tasks/tag/run.js';
import { trainTagger, type TagTrainOptions } from '../tasks/tag/train.js';
import { choiceArg, intArg, numArg } from './args.js';
import { hasCheckpoint } from '../train/checkpoint.js';
import { registerEvaluator, type EvalOptions } from './eval.js';
import { addTrainOptions, cliHooks, savedLine, trainOptions, type TrainFlagDefaults } from './train-options.js';

function columnIndex(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new RecurError(`--tag-column must be a whole number (0-based; negative counts from the end), got '${v}'`);
  return n;
}

const TAG_DEFAULTS: TrainFlagDefaults = { lr: 0.002, epochs: 1 };

function registerTrain(train: Command): void {
  addTrainOptions(train
    .command('tag')
    .description('train a sequence tagger (part of speech, named entities / chunks): BiLSTM with a softmax or CRF output')
    .option('--data <name|path>', 'brown-pos, brown-names, or a CoNLL column file', 'brown-pos')
    .option('--tag-column <n>', 'CoNLL: column holding the tag (0-based, negative from the end)', columnIndex, -1)
    .option('--valid-data <path>', 'CoNLL: validation file (default: 10% of the sentences of --data)')
    .option('--test-data <path>', 'CoNLL: test file (default: 10% of the sentences of --data)')
    .option('--crf', 'linear-chain CRF output layer (default: softmax per token)', false)
    .option('--scheme <s>', 'auto, bio, bioes or none: chunk tags are scored with conlleval and constrain the CRF',
      choiceArg('scheme', ['auto', 'bio', 'bioes', 'none'] as const), 'auto')
    .option('--char <kind>', 'character features: cnn, lstm or none', choiceArg('char', CHAR_ENCODERS), 'cnn')
    .option('--char-embed <n>', 'character embedding size', intArg('char-embed', 1), 25)
    .option('--char-hidden <n>', 'CNN filters / char BiLSTM hidden size per direction', intArg('char-hidden', 1), 50)
    .option('--word-embed <n>', 'word embedding size', intArg('word-embed', 1), 100)
    .option('--hidden <n>', 'BiLSTM hidden size per direction', intArg('hidden', 1), 128)
    .option('--layers <n>', 'BiLSTM layers', intArg('layers', 1), 1)
    .option('--dropout <p>', 'dropout', numArg('dropout', 0, 0.99), 0.5)
    .option('--min-freq <n>', 'words seen fewer times become <unk> (their characters still count)', intArg('min-freq', 1), 2)
    .option('--batch <n>', 'sentences per batch', intArg('batch', 1), 32)
    .option('--valid-limit <n>', 'score about N validation sentences (every k-th) during training: faster evaluations', intArg('valid-limit', 1)), TAG_DEFAULTS)
    .action(async (raw: Omit<TagTrainOptions, 'charEncoder'> & { char: TagTrainOptions['charEncoder'] }, cmd: Command) => {
      const opts = trainOptions(cmd, raw, TAG_DEFAULTS);
      const o: TagTrainOptions = { ...opts, charEncoder: opts.char };
      const h = cliHooks(o, 'tok');
      const r = await trainTagger(o, h.onEvent, h.signal);
      console.log(`test: token accuracy ${r.test.accuracy.toFixed(4)}` +
        (r.test.chunks ? ` | chunks: precision ${r.test.chunks.precision.toFixed(4)} recall ${r.test.chunks.recall.toFixed(4)} F1 ${r.test.chunks.f1.toFixed(4)}` : '') +
        ` (${hasCheckpoint(o.out, 'best') ? 'best' : 'last'} checkpoint)`);
      console.log(savedLine(o, r));
    });
}

async function evalTag(dir: string, o: EvalOptions): Promise<void> {
  const r = await evaluateTaggerRun(loadTaggerRun(dir), o);
  console.log(`${r.where}: ${r.tokens} tokens, loss ${r.loss.toFixed(4)}, token accuracy ${r.accuracy.toFixed(4)}`);
  if (r.chunks) console.log(formatConllReport(r.chunks));
}

/** Whitespace-separated tokens of each non-empty line of a file; an empty line is an error naming it. */
function readSentences(path: string): string[][] {
  const lines = readTextFile(path).split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.map((l, i) => {
    const words = l.trim().split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) throw new CorpusError(`${path}:${i + 1}: empty line (one sentence per line expected)`, path);
    return words;
  });
}

/** `recur train tag`, `recur tag`, and `recur eval` of tagging runs. */
export function registerTag(program: Command, train: Command): void {
  registerTrain(train);
  registerEvaluator('tag', evalTag);
  program
    .command('tag')
    .description('tag a sentence (tokens separated by spaces) with a trained run: token/tag pairs')
    .argument('<run-dir>')
    .argument('[sentence]', 'the sentence, already tokenized: "A sentence to tag ."')
    .option('--file <path>', 'tag each line of a file (one tokenized sentence per line)')
    .option('--conll', 'print CoNLL columns (token TAB tag, blank line between sentences)', false)
    .action(async (dir: string, sentence: string | undefined, o: { file?: string; conll: boolean }) => {
      if ((sentence === undefined) === (o.file === undefined)) throw new RecurError('give either a sentence or --file PATH');
      const sentences = o.file ? readSentences(o.file) : [sentence!.trim().split(/\s+/).filter((w) => w !== '')];
      if (sentences[0]!.length === 0) throw new RecurError('the sentence to tag is empty');
      const run = loadTaggerRun(dir);
      const tags = await tagSentences(run, sentences);
      sentences.forEach((words, i) => {
        if (o.conll) console.log(words.map((w, t) => `${w}\t${tags[i]![t]}`).join('\n') + '\n');
        else console.log(words.map((w, t) => `${w}/${tags[i]![t]}`).join(' '));
      });
    });
}
