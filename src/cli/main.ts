#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { RecurError } from '../errors.js';
import { registerInfo } from './info.js';
import { stopExitCode } from './signals.js';
import { registerDemo } from './demo.js';
import { registerLm } from './lm.js';
import { registerReport } from './report.js';
import { registerEval } from './eval.js';
import { registerClassify } from './classify.js';
import { registerTag } from './tag.js';
import { registerTranslate } from './translate.js';
import { registerInterop } from './interop.js';
import { registerServe } from './serve.js';
import { registerVisualize } from './visualize.js';

/**
 * Each task adds `recur train <task>`, its own commands, its `recur eval` evaluator and any
 * report section; the order does not matter (see src/train/run.ts for how a task plugs in).
 */
const TASK_COMMANDS: ReadonlyArray<(program: Command, train: Command) => void> = [registerLm, registerClassify, registerTag, registerTranslate];

/**
 * `recur <command>`. Each command lives in its own file and registers itself here. Bad input
 * (a RecurError) prints one line and exits 1; anything else is a bug and keeps its stack.
 */
export function buildCli(): Command {
  const program = new Command('recur')
    .description('Recurrent sequence models (RNN, LSTM, GRU): train, generate, evaluate')
    .version('0.1.0')
    .showHelpAfterError('(run `recur --help` for usage)');
  registerInfo(program);
  registerDemo(program);
  const train = program.command('train').description('train a model: recur train <task> ...');
  for (const register of TASK_COMMANDS) register(program, train);
  registerEval(program);
  registerReport(program);
  registerInterop(program);
  registerServe(program);
  registerVisualize(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildCli().exitOverride();
  try {
    await program.parseAsync(argv);
    return stopExitCode();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof RecurError) {
      process.stderr.write(`recur: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

// Run when started as the program (not when imported, e.g. by tests calling main()).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
