import type { Command } from 'commander';
import { RecurError } from '../errors.js';
import { loadTextCorpus } from '../data/corpora.js';
import { evaluateLm } from '../tasks/lm/task.js';
import { beamContinue, generateText, nextTokens } from '../tasks/lm/generate.js';
import { CELL_KINDS } from '../nn/index.js';
import { prepareLmData } from '../tasks/lm/data.js';
import { loadLmRun } from '../tasks/lm/run.js';
import { trainLm, type LmTrainOptions } from '../tasks/lm/train.js';
import { tokenizerFromJSON } from '../text/from-json.js';
import { choiceArg, intArg, numArg, positiveNumArg } from './args.js';
import { registerEvaluator, type EvalOptions } from './eval.js';
import { addTrainOptions, cliHooks, savedLine, trainOptions, type TrainFlagDefaults } from './train-options.js';

const LM_DEFAULTS: TrainFlagDefaults = { lr: 0.002, epochs: 1 };

function registerTrain(train: Command): void {
  addTrainOptions(train
    .command('lm')
    .description('train a language model (next character / word / BPE token)')
    .option('--corpus <name|path>', 'moby-dick, sotu, brown, or a text file / folder', 'moby-dick')
    .option('--valid <path>', 'validation text file: the whole --corpus then trains (default: 5% of the corpus)')
    .option('--test <path>', 'test text file (default: 5% of the corpus, or none when --valid is given)')
    .option('--level <level>', 'char, word or bpe', choiceArg('level', ['char', 'word', 'bpe'] as const), 'char')
    .option('--cell <cell>', CELL_KINDS.join(', '), choiceArg('cell', CELL_KINDS), 'lstm')
    .option('--layers <n>', 'recurrent layers', intArg('layers', 1), 2)
    .option('--hidden <n>', 'hidden size', intArg('hidden', 1), 256)
    .option('--embed <n>', 'embedding size', intArg('embed', 1), 64)
    .option('--dropout <p>', 'dropout', numArg('dropout', 0, 0.99), 0.1)
    .option('--tie', 'tie embedding and decoder weights (embed must equal hidden)', false)
    .option('--batch <n>', 'parallel streams', intArg('batch', 1), 32)
    .option('--bptt <n>', 'truncated-BPTT window', intArg('bptt', 1), 64)
    .option('--max-vocab <n>', 'word level: vocabulary size', intArg('max-vocab', 2))
    .option('--min-freq <n>', 'word level: minimum count', intArg('min-freq', 1))
    .option('--lowercase', 'word level: lower-case the text', false)
    .option('--bpe-vocab <n>', 'bpe level: vocabulary size', intArg('bpe-vocab', 257), 2000), LM_DEFAULTS)
    .action(async (opts: LmTrainOptions, cmd: Command) => {
      const o = trainOptions(cmd, opts, LM_DEFAULTS);
      const h = cliHooks(o, 'tok');
      console.log(savedLine(o, await trainLm(o, h.onEvent, h.signal)));
    });
}

/** `recur eval` for language-model runs: loss, perplexity and bits per character/token. */
async function evalLm(dir: string, o: EvalOptions): Promise<void> {
  const { model, config } = loadLmRun(dir);
  const tok = tokenizerFromJSON(config.tokenizer);
  if (!o.data && o.split === 'test' && config.valid && !config.test) {
    throw new RecurError(`${dir} was trained with --valid and no --test, so it has no test text: pass --data FILE or --split valid`);
  }
  const ids = o.data ? tok.encode(loadTextCorpus(o.data)) : prepareLmData(config, config, config.tokenizer).splits[o.split];
  if (ids.length < 2) throw new RecurError(`too little text to evaluate (${ids.length} tokens)`);
  const bptt = Number((config.train as { bptt?: number }).bptt ?? 64);
  const r = await evaluateLm(model, ids, 10, bptt);
  const unit = config.level === 'char' ? 'character' : 'token';
  console.log(`${o.data ?? config[o.split] ?? `${config.corpus} ${o.split}`}: ${r.metrics.tokens} ${unit}s`);
  console.log(`loss ${r.loss.toFixed(4)} nats/${unit} | perplexity ${r.metrics.perplexity!.toFixed(3)} | bits per ${unit} ${r.metrics.bits_per_token!.toFixed(4)}`);
}

/** `recur train lm`, `recur generate`, `recur next-word`, and `recur eval` of language-model runs. */
export function registerLm(program: Command, train: Command): void {
  registerTrain(train);
  registerEvaluator('lm', evalLm);
  program
    .command('generate')
    .description('generate text from a trained language model')
    .argument('<run-dir>')
    .option('--prompt <text>', 'text to start from', '')
    .option('--length <n>', 'tokens to generate', intArg('length', 0), 500)
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', numArg('temperature', 0), 0.8)
    .option('--top-k <k>', 'sample among the k most likely (0 = all)', intArg('top-k', 0), 0)
    .option('--top-p <p>', 'nucleus sampling mass', positiveNumArg('top-p', 1), 1)
    .option('--beam <k>', 'beam search with k beams instead of sampling', intArg('beam', 1))
    .option('--seed <n>', 'random seed', intArg('seed', 0), 0)
    .option('--int8', 'sample with int8 weights (a quarter of the weight bytes per token; perplexity within ~1% of float32)', false)
    .action(async (dir: string, o: { prompt: string; length: number; temperature: number; topK: number; topP: number; beam?: number; seed: number; int8: boolean }) => {
      if (o.int8 && o.beam) throw new RecurError('--int8 applies to sampling; beam search (--beam) runs in float32');
      const { model, config } = loadLmRun(dir);
      const tok = tokenizerFromJSON(config.tokenizer);
      process.stdout.write(o.prompt);
      if (o.beam) {
        const best = beamContinue(model, tok, o.prompt, o.length, o.beam)[0]!;
        process.stdout.write(tok.decode(best.tokens, { skipSpecials: true }) + '\n');
        return;
      }
      const weights = o.int8 ? 'int8' : 'float32';
      for await (const piece of generateText(model, tok, { prompt: o.prompt, length: o.length, temperature: o.temperature, topK: o.topK, topP: o.topP, seed: o.seed, weights })) {
        process.stdout.write(piece);
      }
      process.stdout.write('\n');
    });

  program
    .command('next-word')
    .description('print the most likely next tokens after a prompt')
    .argument('<run-dir>')
    .argument('<prompt>')
    .option('--top-k <k>', 'how many', intArg('top-k', 1), 10)
    .action((dir: string, prompt: string, o: { topK: number }) => {
      const { model, config } = loadLmRun(dir);
      const tok = tokenizerFromJSON(config.tokenizer);
      for (const e of nextTokens(model, tok, prompt, o.topK)) console.log(`${(e.prob * 100).toFixed(2).padStart(6)}%  ${JSON.stringify(e.token)}`);
    });
}
