import type { Command } from 'commander';
import { runCopyDemo } from '../examples/copy-task.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('train a small LSTM on a built-in sequence task and print its loss falling')
    .option('--steps <n>', 'training steps', '300')
    .option('--seed <n>', 'random seed', '0')
    .action((opts: { steps: string; seed: string }) => {
      runCopyDemo({ steps: Number(opts.steps), seed: Number(opts.seed), log: console.log });
    });
}
