import type { Command } from 'commander';
import { generateText } from '../tasks/lm/generate.js';
import { loadLmRun } from '../tasks/lm/run.js';
import { trainLm } from '../tasks/lm/train.js';
import { tokenizerFromJSON } from '../text/from-json.js';
import { intArg, numArg } from './args.js';
import { progressReporter } from './progress.js';

/**
 * The README's main job: a character-level LSTM learns Moby-Dick for a few minutes with a
 * progress bar, then writes some Melville of its own.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('train a character LSTM on Moby-Dick for a few minutes, then generate text')
    .option('--minutes <m>', 'training time', numArg('minutes', 0.05), 4)
    .option('--out <dir>', 'run directory', 'runs/demo')
    .option('--seed <n>', 'random seed', intArg('seed', 0), 0)
    .action(async (o: { minutes: number; out: string; seed: number }) => {
      console.log(`Training a 2x256 character LSTM on Moby-Dick for ${o.minutes} minutes (run directory: ${o.out})`);
      await trainLm({
        corpus: 'moby-dick', level: 'char', cell: 'lstm', layers: 2, hidden: 256, embed: 64, dropout: 0.1, tie: false,
        batch: 32, bptt: 64, lr: 0.003, optimizer: 'adam', clip: 5, minutes: o.minutes, evalEvery: 200,
        seed: o.seed, out: o.out, resume: false,
      }, progressReporter({ unit: 'chars', minutes: o.minutes }));
      const { model, config } = loadLmRun(o.out);
      const tok = tokenizerFromJSON(config.tokenizer);
      const prompt = 'Call me Ishmael. ';
      console.log('\n--- generated (temperature 0.5) ---');
      process.stdout.write(prompt);
      for await (const piece of generateText(model, tok, { prompt, length: 600, temperature: 0.5, seed: o.seed })) process.stdout.write(piece);
      process.stdout.write('\n');
    });
}
