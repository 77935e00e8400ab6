import type { Command } from 'commander';
import { OPTIMIZERS, type RunOptions } from '../train/run.js';
import type { TrainEvent, TrainResult } from '../train/trainer.js';
import { choiceArg, intArg, numArg } from './args.js';
import { progressReporter } from './progress.js';
import { interruptSignal } from './signals.js';

/** The defaults that differ between tasks. */
export interface TrainFlagDefaults {
  lr: number;
  /** Epochs trained when no budget (--epochs, --minutes, --steps) is given. */
  epochs: number;
  patience?: number;
}

/**
 * Adds the flags every `recur train <task>` shares (optimizer, schedule, budget, evaluation,
 * seed, run directory) after the task's own, and returns the command. The parsed options
 * satisfy `RunOptions` (train/run.ts).
 */
export function addTrainOptions(cmd: Command, d: TrainFlagDefaults): Command {
  return cmd
    .option('--optimizer <name>', OPTIMIZERS.join('|'), choiceArg('optimizer', OPTIMIZERS), 'adam')
    .option('--lr <x>', 'learning rate', numArg('lr', 0), d.lr)
    .option('--weight-decay <x>', 'L2 weight decay', numArg('weight-decay', 0), 0)
    .option('--clip <x>', 'gradient-norm clipping (0 = off)', numArg('clip', 0), 5)
    .option('--epochs <n>', `epoch budget (default ${d.epochs} when no budget is given)`, intArg('epochs', 1))
    .option('--minutes <m>', 'time budget', numArg('minutes', 0))
    .option('--steps <n>', 'step budget', intArg('steps', 1))
    .option('--eval-every <n>', 'evaluate every N steps (default: each epoch)', intArg('eval-every', 1))
    .option('--patience <n>', 'early stopping after N evaluations without improvement', intArg('patience', 1), d.patience)
    .option('--seed <n>', 'random seed (also fixes data splits and batch order)', intArg('seed', 0), 0)
    .requiredOption('--out <dir>', 'run directory (checkpoints, metrics.jsonl)')
    .option('--resume', 'continue from RUN_DIR/last.safetensors', false);
}

/** The options with the task's default epoch budget filled in when no budget was given. */
export function withDefaultBudget<T extends RunOptions>(o: T, d: TrainFlagDefaults): T {
  return o.epochs || o.minutes || o.steps ? o : { ...o, epochs: d.epochs };
}

/** Progress display (counting `unit`s per second) and Ctrl-C handling of a CLI training run. */
export function cliHooks(o: RunOptions, unit: string): { onEvent: (e: TrainEvent) => void; signal: AbortSignal } {
  return { onEvent: progressReporter({ unit, ...(o.minutes ? { minutes: o.minutes } : {}) }), signal: interruptSignal() };
}

export function savedLine(o: RunOptions, r: TrainResult): string {
  return `run saved in ${o.out} (${r.step} steps, best valid loss ${r.bestLoss.toFixed(4)})`;
}
