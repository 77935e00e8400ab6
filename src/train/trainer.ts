import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecurError } from '../errors.js';
import { globalRng } from '../tensor/rng.js';
import { clipGradNorm } from '../optim/index.js';
import { reclaimMemory } from '../kernels/index.js';
import { writeFileAtomic } from '../io/files.js';
import type { Module } from '../nn/module.js';
import { installNodeGc } from './node-gc.js';
import { createRunDir, removeIfNothingSaved } from './run-directory.js';
import { checkpointPath, hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { checkLoopState, type SavedLoopState } from '../io/validate.js';
import type { Tensor } from '../tensor/tensor.js';
import type { EvalResult, TrainTask } from './task.js';

/** The parts of an optimizer and scheduler the loop uses (structural, so any conforming one works). */
export interface OptimizerLike {
  zeroGrad(): void;
  step(): void;
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

export interface SchedulerLike {
  step(metric?: number): void;
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

export interface TrainerOptions {
  optimizer: OptimizerLike;
  /** Current learning rate, for logs. */
  getLr?: () => number;
  /** Sets the rate of every parameter group (for `lrOnResume`). */
  setLr?: (lr: number) => void;
  scheduler?: SchedulerLike;
  /**
   * 'epoch': scheduler.step() after each epoch; 'eval': scheduler.step(validLoss) after each
   * evaluation (plateau); 'step': scheduler.step() after each optimizer step (cosine over the run).
   * Changes made at 'epoch' and 'eval' are logged; a 'step' schedule changes the rate every step.
   */
  schedulerOn?: 'epoch' | 'eval' | 'step';
  /** Clip the global gradient norm to this value (0/undefined = off). */
  clipNorm?: number;
  maxSteps?: number;
  maxEpochs?: number;
  maxMinutes?: number;
  /** Evaluate every N steps; 0 = at the end of each epoch only. */
  evalEvery?: number;
  /** Stop after this many evaluations without a better validation loss. */
  patience?: number;
  /** Log a train line every N steps. */
  logEvery?: number;
  /** Run directory for checkpoints (last, best) and metrics.jsonl. No saving when absent. */
  outDir?: string;
  /** Continue from outDir/last.safetensors. */
  resume?: boolean;
  /** The checkpoint to resume from (default 'last'; 'best' when only that one exists). */
  resumeFrom?: 'last' | 'best';
  /** On resume, set every parameter group's rate to this instead of the saved schedule's current one. */
  lrOnResume?: number;
  /** Also write `last` whenever this many minutes have passed since the previous write. */
  saveEveryMinutes?: number;
  /** Lines logged at the start (metrics.jsonl and a 'note' event), e.g. options changed on resume. */
  notes?: string[];
  /** Saved with checkpoints so a model can be rebuilt from the run directory alone. */
  config?: unknown;
  /** Stops the loop after the current step, saving a checkpoint (Ctrl-C). */
  signal?: AbortSignal;
  onEvent?: (e: TrainEvent) => void;
}

export type TrainEvent =
  | { type: 'start'; step: number; epoch: number; totalSteps: number | null; resumed: boolean }
  | { type: 'step'; step: number; epoch: number; loss: number; lr: number; itemsPerSec: number; gradNorm: number; elapsedSec: number }
  | { type: 'eval'; step: number; epoch: number; result: EvalResult; best: boolean }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'lr'; step: number; lr: number; previous: number }
  | { type: 'note'; step: number; message: string }
  | { type: 'end'; step: number; epoch: number; reason: StopReason; bestLoss: number };

export type StopReason = 'steps' | 'epochs' | 'time' | 'early-stopping' | 'interrupted';

/** Where the loop is; saved in every checkpoint and checked on resume (validate.ts). */
type LoopState = SavedLoopState;

export interface TrainResult {
  step: number;
  epoch: number;
  reason: StopReason;
  bestLoss: number;
  lastEval: EvalResult | null;
}

/** The first parameter holding a NaN or an infinity, by name, or null. */
function nonFiniteParameter(model: Module): string | null {
  for (const [name, p] of model.namedParameters()) {
    const d = p.data;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return name;
  }
  return null;
}

/** Keeps the rows of RUN_DIR/metrics.jsonl up to `step` (a resumed run logs the later ones again); a torn last line goes too. */
function truncateMetrics(dir: string, step: number): void {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) return;
  const kept: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      const row = JSON.parse(line) as { step?: unknown };
      if (typeof row.step === 'number' && row.step <= step) kept.push(line);
    } catch {
      // A line cut short by a kill during the append.
    }
  }
  writeFileAtomic(path, kept.map((l) => l + '\n').join(''));
}

/**
 * The training loop shared by every task: budgets (steps, epochs, minutes), periodic
 * evaluation, early stopping, LR schedules, gradient clipping, best/last checkpoints written
 * atomically, exact resume, JSONL metrics, and a hard stop on a non-finite loss that never
 * overwrites a good checkpoint.
 */
export async function train(task: TrainTask, o: TrainerOptions): Promise<TrainResult> {
  installNodeGc();
  if (task.batchesPerEpoch() < 1) throw new RecurError('training data is too small for one batch (0 batches per epoch)');
  if (!o.maxSteps && !o.maxEpochs && !o.maxMinutes) throw new RecurError('set a budget: maxSteps, maxEpochs or maxMinutes');
  const log = (rec: Record<string, unknown>): void => {
    if (o.outDir) appendFileSync(join(o.outDir, 'metrics.jsonl'), JSON.stringify({ ...rec, time: new Date().toISOString() }) + '\n');
  };
  const created = o.outDir ? createRunDir(o.outDir) : false;
  try {
    return await trainIn(task, o, log);
  } catch (e) {
    if (created) removeIfNothingSaved(o.outDir!);
    throw e;
  }
}

async function trainIn(task: TrainTask, o: TrainerOptions, log: (rec: Record<string, unknown>) => void): Promise<TrainResult> {
  const model = task.model;
  const perEpoch = task.batchesPerEpoch();
  const note = (step: number, message: string): void => {
    log({ type: 'note', step, message });
    o.onEvent?.({ type: 'note', step, message });
  };

  let s: LoopState = {
    step: 0, epoch: 0, index: 0, bestLoss: Infinity, evalsSinceBest: 0, elapsedMs: 0,
    rng: globalRng.getState(), optimizer: null, scheduler: null, task: null,
  };
  let resumed = false;
  if (o.resume) {
    if (!o.outDir) throw new RecurError('resume needs a run directory');
    const from = o.resumeFrom ?? 'last';
    if (!hasCheckpoint(o.outDir, from)) throw new RecurError(`nothing to resume: no ${from}.safetensors in ${o.outDir}`);
    const ck = loadCheckpoint(o.outDir, from);
    model.loadStateDict(ck.weights);
    s = checkLoopState(ck.state, checkpointPath(o.outDir, from), perEpoch);
    o.optimizer.loadStateDict(s.optimizer as never);
    if (o.scheduler && s.scheduler) o.scheduler.loadStateDict(s.scheduler as never);
    // `best` is written mid-step, before the end of an epoch is counted.
    if (s.index >= perEpoch) {
      s.epoch++;
      s.index = 0;
      s.task = null;
    }
    resumed = true;
    truncateMetrics(o.outDir, s.step);
    if (from === 'best') note(s.step, `no last.safetensors in ${o.outDir}: resuming from best.safetensors (step ${s.step})`);
    if (o.lrOnResume !== undefined && o.getLr && o.setLr && o.getLr() !== o.lrOnResume) {
      const previous = o.getLr();
      o.setLr?.(o.lrOnResume);
      log({ type: 'lr', step: s.step, lr: o.lrOnResume, previous });
      o.onEvent?.({ type: 'lr', step: s.step, lr: o.lrOnResume, previous });
    }
  }

  const kept = (): string => (o.outDir && (hasCheckpoint(o.outDir, 'last') || hasCheckpoint(o.outDir, 'best'))
    ? 'the last good checkpoint was kept' : 'nothing was saved');

  /** Steps an epoch or plateau schedule, logging the rate when it changes. */
  const stepSchedule = (metric?: number): void => {
    if (!o.scheduler) return;
    const previous = o.getLr?.() ?? NaN;
    o.scheduler.step(metric);
    const lr = o.getLr?.() ?? NaN;
    if (lr !== previous && !Number.isNaN(lr)) {
      log({ type: 'lr', step: s.step, lr, previous });
      o.onEvent?.({ type: 'lr', step: s.step, lr, previous });
    }
  };

  /** The error to report when a step or an evaluation failed: non-finite parameters are named with their step. */
  const failure = (e: unknown, during: string): unknown => {
    const bad = nonFiniteParameter(model);
    if (bad === null) return e;
    log({ type: 'error', step: s.step, parameter: bad });
    return new RecurError(`parameter '${bad}' is not finite after the update of step ${s.step}, so ${during} failed; ` +
      `training stopped, ${kept()} (try a lower learning rate or gradient clipping)`);
  };

  let lastSaveAt = Date.now();
  const save = (name: 'last' | 'best'): void => {
    if (!o.outDir) return;
    const bad = nonFiniteParameter(model);
    if (bad !== null) throw failure(new RecurError(bad), `saving ${name}.safetensors`);
    if (name === 'last') lastSaveAt = Date.now();
    const state: LoopState = {
      ...s, rng: globalRng.getState(), optimizer: o.optimizer.stateDict(),
      scheduler: o.scheduler?.stateDict() ?? null, task: task.getState(),
    };
    const path = saveCheckpoint(o.outDir, name, { config: o.config ?? null, weights: model.stateDict(), state });
    o.onEvent?.({ type: 'checkpoint', step: s.step, path });
  };

  const evaluate = async (): Promise<EvalResult> => {
    model.eval();
    let r: EvalResult;
    try {
      r = await task.evaluate('valid');
    } catch (e) {
      throw failure(e, `the evaluation at step ${s.step}`);
    }
    model.train();
    if (!Number.isFinite(r.loss)) {
      log({ type: 'error', step: s.step, valid_loss: String(r.loss) });
      throw failure(new RecurError(`validation loss is ${r.loss} at step ${s.step}; training stopped, ${kept()} ` +
        `(try a lower learning rate or gradient clipping)`), `the evaluation at step ${s.step}`);
    }
    const best = r.loss < s.bestLoss;
    if (best) {
      s.bestLoss = r.loss;
      s.evalsSinceBest = 0;
    } else s.evalsSinceBest++;
    log({ type: 'eval', step: s.step, epoch: s.epoch, valid_loss: r.loss, ...r.metrics });
    o.onEvent?.({ type: 'eval', step: s.step, epoch: s.epoch, result: r, best });
    if (best) save('best');
    if (o.schedulerOn === 'eval') stepSchedule(r.loss);
    return r;
  };

  const totalSteps = o.maxSteps ?? (o.maxEpochs ? o.maxEpochs * perEpoch : null);
  o.onEvent?.({ type: 'start', step: s.step, epoch: s.epoch, totalSteps, resumed });
  for (const n of o.notes ?? []) note(s.step, n);
  model.train();
  // Entering an epoch may reset carried state; on resume the saved task state then replaces it.
  task.startEpoch(s.epoch);
  if (resumed) {
    if (s.task !== null) task.setState(s.task);
    globalRng.setState(s.rng);
  }

  const t0 = Date.now() - s.elapsedMs;
  let reason: StopReason | null = null;
  let lastEval: EvalResult | null = null;
  let windowItems = 0, windowStart = Date.now();

  while (reason === null) {
    if (o.maxSteps && s.step >= o.maxSteps) { reason = 'steps'; break; }
    if (o.maxEpochs && s.epoch >= o.maxEpochs) { reason = 'epochs'; break; }
    if (o.maxMinutes && Date.now() - t0 >= o.maxMinutes * 60_000) { reason = 'time'; break; }
    if (o.signal?.aborted) { reason = 'interrupted'; break; }

    // Yields to the event loop so storage of the previous step's tensors is reclaimed.
    await reclaimMemory();
    let batch: { loss: Tensor; count: number };
    try {
      batch = task.trainBatch(s.index);
    } catch (e) {
      throw failure(e, `the forward pass of step ${s.step + 1}`);
    }
    const { loss, count } = batch;
    const lossValue = loss.item();
    if (!Number.isFinite(lossValue)) {
      log({ type: 'error', step: s.step + 1, loss: String(lossValue) });
      throw new RecurError(`loss is ${lossValue} at step ${s.step + 1} (epoch ${s.epoch + 1}, batch ${s.index + 1}); ` +
        `training stopped, ${kept()} (try a lower learning rate or gradient clipping)`);
    }
    o.optimizer.zeroGrad();
    loss.backward();
    const gradNorm = o.clipNorm ? clipGradNorm(model.parameters(), o.clipNorm) : NaN;
    o.optimizer.step();
    if (o.schedulerOn === 'step') o.scheduler?.step();
    s.step++;
    s.index++;
    windowItems += count;

    const lr = o.getLr?.() ?? NaN;
    const now = Date.now();
    const itemsPerSec = windowItems / Math.max((now - windowStart) / 1000, 1e-9);
    s.elapsedMs = now - t0;
    o.onEvent?.({ type: 'step', step: s.step, epoch: s.epoch, loss: lossValue, lr, itemsPerSec, gradNorm, elapsedSec: s.elapsedMs / 1000 });
    if (o.logEvery && s.step % o.logEvery === 0) {
      log({ type: 'train', step: s.step, epoch: s.epoch, loss: lossValue, lr, items_per_sec: itemsPerSec, grad_norm: gradNorm });
      windowItems = 0;
      windowStart = now;
    }

    const epochDone = s.index >= perEpoch;
    if ((o.evalEvery && s.step % o.evalEvery === 0) || (!o.evalEvery && epochDone)) {
      lastEval = await evaluate();
      if (o.patience && s.evalsSinceBest >= o.patience) reason = 'early-stopping';
    }
    if (epochDone) {
      s.epoch++;
      s.index = 0;
      if ((o.schedulerOn ?? 'epoch') === 'epoch') stepSchedule();
      if (o.maxEpochs && s.epoch >= o.maxEpochs) reason ??= 'epochs';
      else task.startEpoch(s.epoch);
    }
    const saveDue = (o.evalEvery && s.step % o.evalEvery === 0) ||
      (o.saveEveryMinutes && Date.now() - lastSaveAt >= o.saveEveryMinutes * 60_000);
    if (o.outDir && saveDue) save('last');
  }
  save('last');
  o.onEvent?.({ type: 'end', step: s.step, epoch: s.epoch, reason, bestLoss: s.bestLoss });
  log({ type: 'end', step: s.step, reason });
  return { step: s.step, epoch: s.epoch, reason, bestLoss: s.bestLoss, lastEval };
}

/** Mean of a loss over a split computed batch by batch, weighted by item counts. */
export function weightedMean(parts: Array<{ loss: number; count: number }>): number {
  let sum = 0, n = 0;
  for (const p of parts) {
    sum += p.loss * p.count;
    n += p.count;
  }
  return n > 0 ? sum / n : NaN;
}

