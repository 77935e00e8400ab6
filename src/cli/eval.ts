import type { Command } from 'commander';
import { RecurError } from '../errors.js';
import { checkpointPath, hasCheckpoint, readCheckpointConfig } from '../train/checkpoint.js';
import { intArg } from './args.js';

export interface EvalOptions {
  split: 'valid' | 'test';
  /** Evaluate on this file instead of the run's own split. */
  data?: string;
  /** Beam size, for tasks that decode (default: the run's own). */
  beam?: number;
}

/** Each task registers how `recur eval RUN_DIR` evaluates its runs. */
export type Evaluator = (dir: string, o: EvalOptions) => void | Promise<void>;
const evaluators = new Map<string, Evaluator>();

export function registerEvaluator(task: string, fn: Evaluator): void {
  evaluators.set(task, fn);
}

/** The `task` a run directory was trained for, read from its checkpoint's config. */
export function runTask(dir: string): string {
  const name = hasCheckpoint(dir, 'best') ? 'best' : 'last';
  if (!hasCheckpoint(dir, name)) throw new RecurError(`no checkpoint 'last' in ${dir} (expected ${checkpointPath(dir, 'last')})`);
  const config = readCheckpointConfig(dir, name);
  const task = typeof config === 'object' && config !== null ? (config as { task?: unknown }).task : undefined;
  if (typeof task !== 'string') throw new RecurError(`${dir}: checkpoint does not say which task it was trained for`);
  return task;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a trained run on its held-out split (or --data FILE)')
    .argument('<run-dir>')
    .option('--split <split>', 'valid or test', 'test')
    .option('--data <path>', 'evaluate on this file instead')
    .option('--beam <k>', 'tasks that decode (translate): beam size (1 = greedy; default: the run\'s, 5)', intArg('beam', 1))
    .action(async (dir: string, o: EvalOptions) => {
      if (o.split !== 'valid' && o.split !== 'test') throw new RecurError(`--split must be valid or test, got '${String(o.split)}'`);
      const task = runTask(dir);
      const fn = evaluators.get(task);
      if (!fn) throw new RecurError(`${dir}: no evaluator for task '${task}' (known: ${[...evaluators.keys()].join(', ')})`);
      await fn(dir, o);
    });
}
