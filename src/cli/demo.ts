import { existsSync, readdirSync } from 'node:fs';
import type { Command } from 'commander';
import { generateText } from '../tasks/lm/generate.js';
import { loadLmRun } from '../tasks/lm/run.js';
import { trainLm } from '../tasks/lm/train.js';
import { tokenizerFromJSON } from '../text/from-json.js';
import { intArg, numArg } from './args.js';
import { progressReporter } from './progress.js';

/** `base`, or `base-2`, `base-3`, ...: the first that does not exist or is empty, so a second demo keeps the first one's run. */
function freeDir(base: string): string {
  for (let i = 1; ; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    if (!existsSync(dir) || readdirSync(dir).length === 0) return dir;
  }
}

/**
 * The README's main job: a character-level LSTM learns Moby-Dick for a few minutes with a
 * progress bar, then writes some Melville of its own.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('train a character LSTM on Moby-Dick for a few minutes, then generate text')
    .option('--minutes <m>', 'training time', numArg('minutes', 0.05), 4)
    .option('--out <dir>', 'run directory (default: runs/demo, or runs/demo-N when that holds a run)', 'runs/demo')
    .option('--overwrite', 'replace the run in --out', false)
    .option('--seed <n>', 'random seed', intArg('seed', 0), 0)
    .action(async (opts: { minutes: number; out: string; seed: number; overwrite: boolean }, cmd: Command) => {
      const o = cmd.getOptionValueSource('out') === 'cli' ? opts : { ...opts, out: freeDir(opts.out) };
      console.log(`Training a 2x256 character LSTM on Moby-Dick for ${o.minutes} minutes (run directory: ${o.out})`);
      await trainLm({
        corpus: 'moby-dick', level: 'char', cell: 'lstm', layers: 2, hidden: 256, embed: 64, dropout: 0.1, tie: false,
        batch: 32, bptt: 64, lr: 0.003, optimizer: 'adam', clip: 5, minutes: o.minutes, evalEvery: 200,
        seed: o.seed, out: o.out, resume: false, overwrite: o.overwrite,
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
