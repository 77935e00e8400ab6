import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RecurError } from '../errors.js';
import { globalRng } from '../tensor/rng.js';
import { clipGradNorm } from '../optim/index.js';
import { reclaimMemory } from '../kernels/index.js';
import { installNodeGc } from './node-gc.js';
import { checkpointPath, hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { checkLoopState, type SavedLoopState } from './validate.js';
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
  scheduler?: SchedulerLike;
  /** 'epoch': scheduler.step() after each epoch; 'eval': scheduler.step(validLoss) after each evaluation (plateau). */
  schedulerOn?: 'epoch' | 'eval';
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

/**
 * The training loop shared by every task: budgets (steps, epochs, minutes), periodic
 * evaluation, early stopping, LR schedules, gradient clipping, best/last checkpoints written
 * atomically, exact resume, JSONL metrics, and a hard stop on a non-finite loss that never
 * overwrites a good checkpoint.
 */
export async function train(task: TrainTask, o: TrainerOptions): Promise<TrainResult> {
  installNodeGc();
  const model = task.model;
  const perEpoch = task.batchesPerEpoch();
  if (perEpoch < 1) throw new RecurError('training data is too small for one batch (0 batches per epoch)');
  if (!o.maxSteps && !o.maxEpochs && !o.maxMinutes) throw new RecurError('set a budget: maxSteps, maxEpochs or maxMinutes');
  const log = (rec: Record<string, unknown>): void => {
    if (o.outDir) appendFileSync(join(o.outDir, 'metrics.jsonl'), JSON.stringify({ ...rec, time: new Date().toISOString() }) + '\n');
  };
  if (o.outDir) mkdirSync(o.outDir, { recursive: true });

  let s: LoopState = {
    step: 0, epoch: 0, index: 0, bestLoss: Infinity, evalsSinceBest: 0, elapsedMs: 0,
    rng: globalRng.getState(), optimizer: null, scheduler: null, task: null,
  };
  let resumed = false;
  if (o.resume) {
    if (!o.outDir) throw new RecurError('resume needs a run directory');
    if (!hasCheckpoint(o.outDir, 'last')) throw new RecurError(`nothing to resume: no last.safetensors in ${o.outDir}`);
    const ck = loadCheckpoint(o.outDir, 'last');
    model.loadStateDict(ck.weights);
    s = checkLoopState(ck.state, checkpointPath(o.outDir, 'last'), perEpoch);
    o.optimizer.loadStateDict(s.optimizer as never);
    if (o.scheduler && s.scheduler) o.scheduler.loadStateDict(s.scheduler as never);
    resumed = true;
  }

  const save = (name: 'last' | 'best'): void => {
    if (!o.outDir) return;
    const state: LoopState = {
      ...s, rng: globalRng.getState(), optimizer: o.optimizer.stateDict(),
      scheduler: o.scheduler?.stateDict() ?? null, task: task.getState(),
    };
    const path = saveCheckpoint(o.outDir, name, { config: o.config ?? null, weights: model.stateDict(), state });
    o.onEvent?.({ type: 'checkpoint', step: s.step, path });
  };

  const evaluate = async (): Promise<EvalResult> => {
    model.eval();
    const r = await task.evaluate('valid');
    model.train();
    const best = r.loss < s.bestLoss;
    if (best) {
      s.bestLoss = r.loss;
      s.evalsSinceBest = 0;
    } else s.evalsSinceBest++;
    log({ type: 'eval', step: s.step, epoch: s.epoch, valid_loss: r.loss, ...r.metrics });
    o.onEvent?.({ type: 'eval', step: s.step, epoch: s.epoch, result: r, best });
    if (best) save('best');
    if (o.scheduler && o.schedulerOn === 'eval') o.scheduler.step(r.loss);
    return r;
  };

  const totalSteps = o.maxSteps ?? (o.maxEpochs ? o.maxEpochs * perEpoch : null);
  o.onEvent?.({ type: 'start', step: s.step, epoch: s.epoch, totalSteps, resumed });
  model.train();
  // Entering an epoch may reset carried state; on resume the saved task state then replaces it.
  task.startEpoch(s.epoch);
  if (resumed) {
    task.setState(s.task);
    globalRng.setState(s.rng);
  }

  const t0 = Date.now() - s.elapsedMs;
  let reason: StopReason | null = null;
  let lastEval: EvalResult | null = null;
  let windowItems = 0, windowStart = Date.now();

  while (reason === null) {
    if (o.maxSteps && s.step >= o.maxSteps) { reason = 'steps'; break; }
    if (o.maxMinutes && Date.now() - t0 >= o.maxMinutes * 60_000) { reason = 'time'; break; }
    if (o.signal?.aborted) { reason = 'interrupted'; break; }

    // Yields to the event loop so storage of the previous step's tensors is reclaimed.
    await reclaimMemory();
    const { loss, count } = task.trainBatch(s.index);
    const lossValue = loss.item();
    if (!Number.isFinite(lossValue)) {
      log({ type: 'error', step: s.step + 1, loss: String(lossValue) });
      throw new RecurError(`loss is ${lossValue} at step ${s.step + 1} (epoch ${s.epoch + 1}, batch ${s.index + 1}); ` +
        `training stopped, the last good checkpoint was kept (try a lower learning rate or gradient clipping)`);
    }
    o.optimizer.zeroGrad();
    loss.backward();
    const gradNorm = o.clipNorm ? clipGradNorm(model.parameters(), o.clipNorm) : NaN;
    o.optimizer.step();
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
      if (o.scheduler && (o.schedulerOn ?? 'epoch') === 'epoch') o.scheduler.step();
      if (o.maxEpochs && s.epoch >= o.maxEpochs) reason ??= 'epochs';
      else task.startEpoch(s.epoch);
    }
    if (o.outDir && o.evalEvery && s.step % o.evalEvery === 0) save('last');
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

