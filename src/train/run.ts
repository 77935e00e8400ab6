/**
 * One run scaffold for every task: the options all training commands share, resuming, the
 * optimizer/scheduler/loop wiring, and rebuilding a trained model from its run directory.
 *
 * How a task plugs in (src/tasks/lm is the smallest example):
 *
 * | file                     | holds                                                              |
 * |--------------------------|--------------------------------------------------------------------|
 * | tasks/X/model.ts         | the Module and its config (the config is saved in every checkpoint) |
 * | tasks/X/data.ts          | loading, splitting and encoding the data                           |
 * | tasks/X/task.ts          | a `TrainTask` (train/task.ts): batches, loss, evaluation           |
 * | tasks/X/run.ts           | `X_RUN: RunKind`, `XRunConfig extends RunConfig`, `loadXRun(dir)`  |
 * |                          | (a one-line `loadRun(dir, X_RUN, build)`), and what uses a run     |
 * | tasks/X/train.ts         | `XTrainOptions extends RunOptions`, `trainX(o, onEvent, signal)`:  |
 * |                          | `resumeConfig(o, X_RUN)` -> data -> model -> `runTraining(...)`    |
 * | cli/X.ts                 | `registerX(program, train)`: `train X` with `addTrainOptions`,     |
 * |                          | `registerEvaluator('X', ...)` for `recur eval`, the task's own     |
 * |                          | commands; listed once in `TASK_COMMANDS` in cli/main.ts            |
 *
 * `trainX` calls `manualSeed(o.seed)` first, builds its model from the saved config when
 * resuming (so the architecture and vocabulary cannot drift), and hands everything else to
 * `runTraining`. `loadRun` is the only place a finished run is loaded, so checks on what a
 * checkpoint holds belong there (and in checkpoint.ts).
 */
import { resolve } from 'node:path';
import { RecurError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { optimizerByName, type OptimizerName } from '../optim/by-name.js';
import { CosineAnnealingLR, ReduceLROnPlateau } from '../optim/index.js';
import { hasCheckpoint, loadCheckpoint, type CheckpointContent } from './checkpoint.js';
import { claimRunDir, runSummary } from './run-directory.js';
import type { TrainTask } from './task.js';
import { train, type SchedulerLike, type TrainEvent, type TrainResult } from './trainer.js';

export { OPTIMIZERS, type OptimizerName } from '../optim/by-name.js';

/** The options every `recur train <task>` takes (cli/train-options.ts adds their flags). */
export interface RunOptions {
  optimizer: OptimizerName;
  lr: number;
  /** L2 weight decay (decoupled for AdamW); default 0. */
  weightDecay?: number;
  /** Gradient-norm clipping (0 = off). */
  clip: number;
  epochs?: number;
  minutes?: number;
  steps?: number;
  /** Evaluate every N steps (default: each epoch). */
  evalEvery?: number;
  /** Early stopping after N evaluations without a better validation loss. */
  patience?: number;
  seed: number;
  /** Run directory: checkpoints (last, best) and metrics.jsonl. */
  out: string;
  /** Continue from RUN_DIR/last.safetensors (or best.safetensors when it is the only one). */
  resume: boolean;
  /** Replace the run in `out` instead of refusing a directory that is not empty. */
  overwrite?: boolean;
  /** Also write `last` every this many minutes (default 5), so a kill loses at most that much. */
  saveEvery?: number;
  /** How the learning rate changes (default 'plateau'). */
  lrSchedule?: LrSchedule;
  /** The lowest rate a schedule goes to (default lr / 100). */
  minLr?: number;
  /** On resume, restart from `lr` even when it equals the starting rate (the schedule may have lowered it). */
  setLr?: boolean;
}

/**
 * - 'plateau': the rate is halved when more than `plateauPatience` evaluations in a row bring
 *   no better validation loss, down to minLr;
 * - 'cosine': lr(t) = minLr + (lr − minLr)·(1 + cos(π t / T)) / 2 over the T steps of the budget;
 * - 'none': constant.
 */
export type LrSchedule = 'plateau' | 'cosine' | 'none';
export const LR_SCHEDULES: readonly LrSchedule[] = ['plateau', 'cosine', 'none'];

/** Default of `saveEvery`, in minutes. */
export const SAVE_EVERY_MINUTES = 5;

/** Which task a run directory belongs to: `task` is stored in the config, `noun` names it in messages. */
export interface RunKind {
  task: string;
  /** "language-model", "classification", ...: "DIR is not a NOUN run". */
  noun: string;
  /**
   * Checks a loaded checkpoint of this task before anything is built from it: every config
   * field's type and range, sizes bounded and in agreement with the weights in the file
   * (src/io/validate.ts). Returns the checked config. Without it only `task` is checked.
   */
  check?: (ck: CheckpointContent, dir: string) => RunConfig;
  /** The task's own options that a resumed run may change (evaluation settings), beside the shared ones. */
  changeable?: readonly string[];
}

/**
 * Options a resumed run may change: they apply from the resumed step on, with a log line.
 * Every other option (model, data, batch, optimizer, schedule) must stay as the run began.
 */
const CHANGEABLE = new Set(['lr', 'minLr', 'clip', 'epochs', 'minutes', 'steps', 'evalEvery', 'patience', 'saveEvery', 'seed']);
/** Options about this invocation, not the run. */
const NOT_COMPARED = new Set(['out', 'resume', 'overwrite', 'setLr', 'initWeights']);

const flag = (key: string): string => `--${key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`;
const shown = (v: unknown): string => (v === undefined ? '(not set)' : JSON.stringify(v));

/** The options that differ between a run's saved training options and `o`: changeable ones, and the others. */
function compareOptions(saved: Record<string, unknown>, o: object, changeable: readonly string[]): { changed: string[]; refused: string[] } {
  // An option left unset means its default.
  const withDefaults = (r: object): Record<string, unknown> =>
    Object.fromEntries(Object.entries({ lrSchedule: 'plateau', ...r }).filter(([, v]) => v !== undefined));
  const before = withDefaults(saved), now = withDefaults(o);
  const changed: string[] = [], refused: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(now)])) {
    const a = before[key], b = now[key];
    if (NOT_COMPARED.has(key) || typeof b === 'function' || JSON.stringify(a) === JSON.stringify(b)) continue;
    const line = `${flag(key)} ${shown(a)} -> ${shown(b)}`;
    if (CHANGEABLE.has(key) || changeable.includes(key)) changed.push(key === 'seed' ? `${line} (no effect: the random state comes from the checkpoint)` : line);
    else refused.push(`${flag(key)} was ${shown(a)}, now ${shown(b)}`);
  }
  return { changed, refused };
}

/** What every task saves as a checkpoint's `config`; each task adds its vocabularies and data spec. */
export interface RunConfig {
  task: string;
  model: unknown;
  /** The training options as given (for the record and for resuming). */
  train: Record<string, unknown>;
}

/** How a plateau schedule reacts: the rate is halved when more than `plateauPatience` evaluations in a row bring no progress. */
export interface ScheduleOptions {
  plateauPatience: number;
}

export interface RunHooks {
  onEvent?: (e: TrainEvent) => void;
  /** Stops after the current step, saving a checkpoint. */
  signal?: AbortSignal;
}

/**
 * A data source as stored in a run's config: a built-in name as is, a path made absolute so
 * that `recur eval` works from any directory. Undefined stays undefined.
 */
export function dataPath<T extends string | undefined>(source: T, builtins: readonly string[] = []): T {
  return (source === undefined || builtins.includes(source) ? source : resolve(source)) as T;
}

function checkKind<C extends RunConfig>(ck: CheckpointContent, kind: RunKind, dir: string): C {
  if (kind.check) return kind.check(ck, dir) as C;
  const c = ck.config as Partial<RunConfig> | null;
  if (!c || typeof c !== 'object' || c.task !== kind.task) throw new RecurError(`${dir} is not a ${kind.noun} run`);
  return c as C;
}

/**
 * Opens `o.out` for a run (run-directory.ts): refuses a path that cannot be a run directory and
 * a non-empty one unless resuming or overwriting, and removes stale temp files. When resuming,
 * returns the saved config (from `last`, or `best` when it is the only checkpoint): the task's
 * model, vocabularies and data spec come from it. `check` adds the task's own consistency
 * checks; then any other changed option that a resumed run cannot take is an error naming it.
 */
export function resumeConfig<C extends RunConfig>(o: RunOptions, kind: RunKind, check?: (saved: C) => void): C | null {
  const found = claimRunDir(o);
  if (!o.resume || !found) return null;
  const saved = checkKind<C>(loadCheckpoint(o.out, found.checkpoint), kind, o.out);
  check?.(saved);
  const { refused } = compareOptions(saved.train, o, kind.changeable ?? []);
  if (refused.length > 0) {
    throw new RecurError(`cannot resume ${o.out} with a different ${refused.length === 1 ? 'option' : 'options'}: ${refused.join('; ')} ` +
      `(a resumed run keeps its model, data and optimizer options: leave them out, or start a new run)`);
  }
  return saved;
}

/**
 * The shared training run of a task: the named optimizer over the model's parameters, the LR
 * halved on a validation plateau, then the loop of trainer.ts with checkpoints in `o.out`.
 */
export async function runTraining(task: TrainTask, o: RunOptions, config: RunConfig, hooks: RunHooks = {},
  schedule: ScheduleOptions = { plateauPatience: 1 }): Promise<TrainResult> {
  if (o.minutes !== undefined && !(o.minutes > 0)) throw new RecurError(`--minutes must be more than 0, got ${o.minutes}`);
  const optimizer = optimizerByName(o.optimizer, task.model.parameters(), o.lr, o.weightDecay ?? 0);
  const minLr = o.minLr ?? o.lr / 100;
  const kind = o.lrSchedule ?? 'plateau';
  let scheduler: SchedulerLike | undefined, schedulerOn: 'eval' | 'step' | undefined;
  if (kind === 'plateau') {
    scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: schedule.plateauPatience, minLr });
    schedulerOn = 'eval';
  } else if (kind === 'cosine') {
    const total = o.steps ?? (o.epochs ? o.epochs * task.batchesPerEpoch() : 0);
    if (!total) throw new RecurError('--lr-schedule cosine anneals over the step budget: give --steps or --epochs');
    scheduler = new CosineAnnealingLR(optimizer, { tMax: total, etaMin: minLr });
    schedulerOn = 'step';
  }
  let lrOnResume: number | undefined;
  const notes: string[] = o.resume ? [] : [{
    plateau: `learning rate ${o.lr}, halved after ${schedule.plateauPatience + 1} evaluations in a row without a better validation loss, down to ${minLr} (--lr-schedule, --min-lr)`,
    cosine: `learning rate ${o.lr}, annealed to ${minLr} along a cosine over the step budget (--lr-schedule, --min-lr)`,
    none: `learning rate ${o.lr}, constant (--lr-schedule)`,
  }[kind]];
  if (o.resume) {
    const saved = runSummary(o.out);
    const { changed } = compareOptions(saved?.train ?? {}, o, Object.keys(o));
    const lrChanged = o.setLr || (saved?.train.lr !== undefined && saved.train.lr !== o.lr);
    if (kind === 'cosine') {
      const fixed = changed.filter((c) => /^--(lr|min-lr|steps|epochs) /.test(c));
      if (lrChanged || fixed.length > 0) {
        throw new RecurError(`--lr-schedule cosine fixes its curve when the run starts, so a resumed run keeps --lr, --min-lr, --steps and --epochs` +
          `${fixed.length > 0 ? ` (got ${fixed.join(', ')})` : ' (got --lr)'}`);
      }
    }
    notes.push(...changed.filter((c) => !c.startsWith('--lr ')).map((c) => `resumed with ${c}`));
    if (lrChanged) lrOnResume = o.lr;
  }
  return train(task, {
    optimizer, getLr: () => optimizer.paramGroups[0]!.lr, setLr: (lr) => optimizer.paramGroups.forEach((g) => (g.lr = lr)),
    ...(scheduler ? { scheduler, schedulerOn } : {}),
    clipNorm: o.clip, maxSteps: o.steps, maxEpochs: o.epochs, maxMinutes: o.minutes,
    evalEvery: o.evalEvery, patience: o.patience, logEvery: 10, outDir: o.out, resume: o.resume,
    resumeFrom: o.resume && !hasCheckpoint(o.out, 'last') ? 'best' : 'last', notes,
    saveEveryMinutes: o.saveEvery ?? SAVE_EVERY_MINUTES, ...(lrOnResume !== undefined ? { lrOnResume } : {}),
    config, signal: hooks.signal, onEvent: hooks.onEvent,
  });
}

/**
 * Rebuilds a trained run from its directory: `which` checkpoint (falling back to `last` when
 * there is no `best`), checked to belong to `kind`; `build` makes the model (and whatever the
 * task needs beside it) from the saved config, then the weights are loaded and the model is put
 * in eval mode.
 */
export function loadRun<C extends RunConfig, R extends { model: Module }>(dir: string, kind: RunKind,
  build: (config: C) => R, which: 'best' | 'last' = 'best'): R & { config: C } {
  const name = hasCheckpoint(dir, which) ? which : 'last';
  const ck = loadCheckpoint(dir, name);
  const config = checkKind<C>(ck, kind, dir);
  const run = build(config);
  run.model.loadStateDict(ck.weights);
  run.model.eval();
  return { ...run, config };
}
