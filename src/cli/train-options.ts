import type { Command } from 'commander';
import { RecurError } from '../errors.js';
import { runSummary } from '../train/run-directory.js';
import { LR_SCHEDULES, OPTIMIZERS, SAVE_EVERY_MINUTES, type RunOptions } from '../train/run.js';
import type { TrainEvent, TrainResult } from '../train/trainer.js';
import { choiceArg, intArg, numArg } from './args.js';
import { progressReporter } from './progress.js';
import { stopSignal } from './signals.js';

/** The defaults that differ between tasks. */
export interface TrainFlagDefaults {
  lr: number;
  /** Epochs trained when no budget (--epochs, --minutes, --steps) is given. */
  epochs: number;
  patience?: number;
}

function positiveArg(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new RecurError(`--${name} must be a number above 0, got '${v}'`);
    return n;
  };
}

/**
 * Adds the flags every `recur train <task>` shares (optimizer, schedule, budget, evaluation,
 * seed, run directory) after the task's own, and returns the command. The parsed options
 * satisfy `RunOptions` (train/run.ts).
 */
export function addTrainOptions(cmd: Command, d: TrainFlagDefaults): Command {
  return cmd
    .option('--optimizer <name>', OPTIMIZERS.join('|'), choiceArg('optimizer', OPTIMIZERS), 'adam')
    .option('--lr <x>', 'learning rate (on --resume: restart from this rate)', positiveArg('lr'), d.lr)
    .option('--lr-schedule <kind>', 'plateau: halve after evaluations without progress; cosine: anneal over the step budget; none',
      choiceArg('lr-schedule', LR_SCHEDULES), 'plateau')
    .option('--min-lr <x>', 'lowest rate of the schedule (default: lr / 100)', numArg('min-lr', 0))
    .option('--weight-decay <x>', 'L2 weight decay', numArg('weight-decay', 0), 0)
    .option('--clip <x>', 'gradient-norm clipping (0 = off)', numArg('clip', 0), 5)
    .option('--epochs <n>', `epoch budget (default ${d.epochs} when no budget is given)`, intArg('epochs', 1))
    .option('--minutes <m>', 'time budget', positiveArg('minutes'))
    .option('--steps <n>', 'step budget', intArg('steps', 1))
    .option('--eval-every <n>', 'evaluate every N steps (default: each epoch)', intArg('eval-every', 1))
    .option('--patience <n>', 'early stopping after N evaluations without improvement', intArg('patience', 1), d.patience)
    .option('--seed <n>', 'random seed (also fixes data splits and batch order)', intArg('seed', 0), 0)
    .requiredOption('--out <dir>', 'run directory (checkpoints, metrics.jsonl); must be new or empty unless --resume or --overwrite')
    .option('--resume', 'continue the run in --out (from last.safetensors, or best.safetensors when it is the only one)', false)
    .option('--overwrite', 'replace the run in --out (its checkpoints and metrics.jsonl)', false)
    .option('--save-every <minutes>', `also save last.safetensors every N minutes (default ${SAVE_EVERY_MINUTES})`, positiveArg('save-every'), SAVE_EVERY_MINUTES);
}

const BUDGETS = ['epochs', 'minutes', 'steps'] as const;

/**
 * The options of a training command as the run will use them. With --resume, every option not
 * given on this command line is the run's own (its model, data and schedule, and its budget
 * unless a budget is given), and a given --lr restarts the rate. Without, a missing budget is
 * the task's default epochs.
 */
export function trainOptions<T extends RunOptions>(cmd: Command, opts: T, d: TrainFlagDefaults): T {
  const given = (key: string): boolean => cmd.getOptionValueSource(key) === 'cli';
  if (!opts.resume) return opts.epochs || opts.minutes || opts.steps ? opts : { ...opts, epochs: d.epochs };
  const saved = runSummary(opts.out)?.train ?? {};
  const o = { ...opts } as Record<string, unknown>;
  const budgetGiven = BUDGETS.some(given);
  for (const [key, value] of Object.entries(saved)) {
    if (key === 'out' || key === 'resume' || key === 'overwrite' || key === 'setLr' || given(key)) continue;
    if ((BUDGETS as readonly string[]).includes(key) && budgetGiven) continue;
    o[key] = value;
  }
  if (budgetGiven) for (const b of BUDGETS) if (!given(b)) delete o[b];
  if (given('lr')) o.setLr = true;
  return o as T;
}

/** Progress display (counting `unit`s per second) and signal handling (signals.ts) of a CLI training run. */
export function cliHooks(o: RunOptions, unit: string): { onEvent: (e: TrainEvent) => void; signal: AbortSignal } {
  return { onEvent: progressReporter({ unit, ...(o.minutes ? { minutes: o.minutes } : {}) }), signal: stopSignal() };
}

export function savedLine(o: RunOptions, r: TrainResult): string {
  return `run saved in ${o.out} (${r.step} steps, best valid loss ${r.bestLoss.toFixed(4)})`;
}
