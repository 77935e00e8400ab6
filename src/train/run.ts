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
import { RecurError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { optimizerByName, type OptimizerName } from '../optim/by-name.js';
import { ReduceLROnPlateau } from '../optim/index.js';
import { hasCheckpoint, loadCheckpoint } from './checkpoint.js';
import type { TrainTask } from './task.js';
import { train, type TrainEvent, type TrainResult } from './trainer.js';

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
  /** Continue from RUN_DIR/last.safetensors. */
  resume: boolean;
}

/** Which task a run directory belongs to: `task` is stored in the config, `noun` names it in messages. */
export interface RunKind {
  task: string;
  /** "language-model", "classification", ...: "DIR is not a NOUN run". */
  noun: string;
}

/** What every task saves as a checkpoint's `config`; each task adds its vocabularies and data spec. */
export interface RunConfig {
  task: string;
  model: unknown;
  /** The training options as given (for the record and for resuming). */
  train: Record<string, unknown>;
}

/** How the learning rate reacts to the validation loss: halved after `plateauPatience` evaluations without progress. */
export interface ScheduleOptions {
  plateauPatience: number;
}

export interface RunHooks {
  onEvent?: (e: TrainEvent) => void;
  /** Stops after the current step, saving a checkpoint. */
  signal?: AbortSignal;
}

function checkKind<C extends RunConfig>(config: unknown, kind: RunKind, dir: string): C {
  const c = config as Partial<RunConfig> | null;
  if (!c || typeof c !== 'object' || c.task !== kind.task) throw new RecurError(`${dir} is not a ${kind.noun} run`);
  return c as C;
}

/**
 * The saved config of the run in `o.out` when `o.resume` is set (null otherwise): the task's
 * model, vocabularies and data spec come from it, not from the options.
 */
export function resumeConfig<C extends RunConfig>(o: Pick<RunOptions, 'out' | 'resume'>, kind: RunKind): C | null {
  if (!o.resume) return null;
  if (!hasCheckpoint(o.out, 'last')) throw new RecurError(`nothing to resume: no last.safetensors in ${o.out}`);
  return checkKind<C>(loadCheckpoint(o.out, 'last').config, kind, o.out);
}

/**
 * The shared training run of a task: the named optimizer over the model's parameters, the LR
 * halved on a validation plateau, then the loop of trainer.ts with checkpoints in `o.out`.
 */
export function runTraining(task: TrainTask, o: RunOptions, config: RunConfig, hooks: RunHooks = {},
  schedule: ScheduleOptions = { plateauPatience: 1 }): Promise<TrainResult> {
  const optimizer = optimizerByName(o.optimizer, task.model.parameters(), o.lr, o.weightDecay ?? 0);
  const scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: schedule.plateauPatience });
  return train(task, {
    optimizer, getLr: () => optimizer.paramGroups[0]!.lr, scheduler, schedulerOn: 'eval',
    clipNorm: o.clip, maxSteps: o.steps, maxEpochs: o.epochs, maxMinutes: o.minutes,
    evalEvery: o.evalEvery, patience: o.patience, logEvery: 10, outDir: o.out, resume: o.resume,
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
  const config = checkKind<C>(ck.config, kind, dir);
  const run = build(config);
  run.model.loadStateDict(ck.weights);
  run.model.eval();
  return { ...run, config };
}
