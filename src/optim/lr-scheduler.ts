import { RecurError } from '../errors.js';
import type { Optimizer } from './optimizer.js';

/** Serialised scheduler state: JSON-safe (ReduceLROnPlateau's `best` may be ±Infinity). */
export interface SchedulerStateDict {
  type: string;
  [key: string]: unknown;
}

type AnyOptimizer = Optimizer<any>;

/**
 * Base of the epoch-based schedulers, as `torch.optim.lr_scheduler._LRScheduler` (1.13):
 * construction records each group's lr as its base lr and performs step 0 (lastEpoch = 0,
 * lr unchanged); each `step()` advances lastEpoch and writes the new lr into every group.
 * The update rules are PyTorch's recursive ("chainable") forms: each new lr is computed from
 * the group's current lr, so changing lr by hand carries forward as in PyTorch.
 *
 * Call `step()` once per epoch, after `optimizer.step()`.
 */
export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** Index of the current epoch (0 after construction). */
  lastEpoch = -1;
  baseLrs: number[];
  protected lastLr: number[];
  protected stepCount = 0;

  /** Class name stored in the state dict (explicit, so minified builds agree). */
  abstract get name(): string;

  constructor(optimizer: AnyOptimizer) {
    this.optimizer = optimizer;
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.lastLr = [...this.baseLrs];
  }

  /** Call at the end of a subclass constructor (PyTorch's `_initial_step`). */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The new lr of every group at `lastEpoch` (already advanced). */
  protected abstract computeLr(): number[];

  /** Hyperparameters to save (besides the common fields). */
  protected abstract hyper(): Record<string, number>;

  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    const lrs = this.computeLr();
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]!));
    this.lastLr = lrs;
  }

  /** The lr of each group as last set by this scheduler. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SchedulerStateDict {
    return {
      type: this.name,
      ...this.hyper(),
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLr],
    };
  }

  /** Restores the schedule position (the optimizer's lrs come from the optimizer's own state dict). */
  loadStateDict(sd: SchedulerStateDict): void {
    const who = `${this.name}.loadStateDict`;
    if (!sd || sd.type !== this.name) throw new RecurError(`${who}: state dict is for ${sd?.type}, not ${this.name}`);
    const n = this.optimizer.paramGroups.length;
    for (const k of ['baseLrs', 'lastLr'] as const) {
      const v = sd[k];
      if (!Array.isArray(v) || v.length !== n) throw new RecurError(`${who}: '${k}' must be an array of ${n} learning rates`);
    }
    if (typeof sd.lastEpoch !== 'number' || typeof sd.stepCount !== 'number') throw new RecurError(`${who}: missing lastEpoch/stepCount`);
    const own = this.hyper();
    for (const k of Object.keys(own)) {
      if (typeof sd[k] !== 'number') throw new RecurError(`${who}: missing hyperparameter '${k}'`);
    }
    this.lastEpoch = sd.lastEpoch;
    this.stepCount = sd.stepCount;
    this.baseLrs = [...(sd.baseLrs as number[])];
    this.lastLr = [...(sd.lastLr as number[])];
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(own)) self[k] = sd[k];
  }
}

function checkPositiveInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new RecurError(`${what} must be a positive integer, got ${v}`);
}

/**
 * Multiplies the lr by `gamma` every `stepSize` epochs, as `torch.optim.lr_scheduler.StepLR`:
 * lr(e) = base · gamma^⌊e / stepSize⌋.
 */
export class StepLR extends LRScheduler {
  get name(): string {
    return 'StepLR';
  }

  stepSize: number;
  gamma: number;

  constructor(optimizer: AnyOptimizer, opts: { stepSize: number; gamma?: number }) {
    super(optimizer);
    checkPositiveInt('StepLR: stepSize', opts.stepSize);
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }

  protected computeLr(): number[] {
    const lrs = this.groupLrs();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.gamma);
  }

  protected hyper(): Record<string, number> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }
}

/** Multiplies the lr by `gamma` every epoch, as `ExponentialLR`: lr(e) = base · gammaᵉ. */
export class ExponentialLR extends LRScheduler {
  get name(): string {
    return 'ExponentialLR';
  }

  gamma: number;

  constructor(optimizer: AnyOptimizer, opts: { gamma: number }) {
    super(optimizer);
    if (!Number.isFinite(opts.gamma)) throw new RecurError(`ExponentialLR: gamma must be a number, got ${opts.gamma}`);
    this.gamma = opts.gamma;
    this.initialStep();
  }

  protected computeLr(): number[] {
    const lrs = this.groupLrs();
    return this.lastEpoch === 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }

  protected hyper(): Record<string, number> {
    return { gamma: this.gamma };
  }
}

/**
 * Cosine annealing, as `torch.optim.lr_scheduler.CosineAnnealingLR` (1.13), in PyTorch's
 * recursive form. Without outside changes to lr it equals the closed form
 * lr(e) = etaMin + (base − etaMin) · (1 + cos(π e / tMax)) / 2 for every e, including
 * e > tMax, where it rises again (period 2·tMax) — it does not stop at etaMin.
 */
export class CosineAnnealingLR extends LRScheduler {
  get name(): string {
    return 'CosineAnnealingLR';
  }

  tMax: number;
  etaMin: number;

  constructor(optimizer: AnyOptimizer, opts: { tMax: number; etaMin?: number }) {
    super(optimizer);
    checkPositiveInt('CosineAnnealingLR: tMax', opts.tMax);
    this.tMax = opts.tMax;
    this.etaMin = opts.etaMin ?? 0;
    this.initialStep();
  }

  protected computeLr(): number[] {
    const e = this.lastEpoch, T = this.tMax, etaMin = this.etaMin;
    const lrs = this.groupLrs();
    if (e === 0) return lrs;
    if ((e - 1 - T) % (2 * T) === 0) {
      return lrs.map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return lrs.map((lr) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - etaMin) + etaMin);
  }

  protected hyper(): Record<string, number> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min': lower metric is better (losses); 'max': higher is better (accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** new lr = lr · factor (default 0.1; must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Minimum change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel': better than best·(1 ∓ threshold); 'abs': better than best ∓ threshold (default 'rel'). */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr: one number or one per param group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the lr when a metric stops improving, as `torch.optim.lr_scheduler.ReduceLROnPlateau`.
 * Per `step(metric)`:
 *
 *     if better(metric, best): best = metric, bad = 0   else bad += 1
 *     if cooldownCounter > 0:  cooldownCounter −= 1, bad = 0
 *     if bad > patience:       lr = max(lr·factor, minLr) per group (only if it changes by > eps),
 *                              cooldownCounter = cooldown, bad = 0
 */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: AnyOptimizer, opts: ReduceLROnPlateauOptions = {}) {
    this.optimizer = optimizer;
    this.mode = opts.mode ?? 'min';
    this.factor = opts.factor ?? 0.1;
    this.patience = opts.patience ?? 10;
    this.threshold = opts.threshold ?? 1e-4;
    this.thresholdMode = opts.thresholdMode ?? 'rel';
    this.cooldown = opts.cooldown ?? 0;
    this.eps = opts.eps ?? 1e-8;
    const who = 'ReduceLROnPlateau';
    if (this.mode !== 'min' && this.mode !== 'max') throw new RecurError(`${who}: mode must be 'min' or 'max', got ${JSON.stringify(this.mode)}`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new RecurError(`${who}: thresholdMode must be 'rel' or 'abs', got ${JSON.stringify(this.thresholdMode)}`);
    if (!(this.factor < 1 && this.factor >= 0)) throw new RecurError(`${who}: factor must be in [0, 1), got ${this.factor}`);
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new RecurError(`${who}: patience must be a non-negative integer, got ${this.patience}`);
    if (!Number.isInteger(this.cooldown) || this.cooldown < 0) throw new RecurError(`${who}: cooldown must be a non-negative integer, got ${this.cooldown}`);
    const n = optimizer.paramGroups.length;
    const minLr = opts.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new RecurError(`${who}: expected ${n} minLr values (one per param group), got ${minLr.length}`);
      this.minLrs = [...minLr];
    } else {
      this.minLrs = new Array<number>(n).fill(minLr as number);
    }
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  isBetter(a: number, best: number): boolean {
    const t = this.threshold;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - t) : a < best - t;
    return this.thresholdMode === 'rel' ? a > best * (t + 1) : a > best + t;
  }

  step(metric: number): void {
    if (typeof metric !== 'number') throw new RecurError(`ReduceLROnPlateau.step: expected a number, got ${typeof metric}`);
    this.lastEpoch++;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerStateDict {
    return {
      type: 'ReduceLROnPlateau',
      mode: this.mode, factor: this.factor, patience: this.patience, threshold: this.threshold,
      thresholdMode: this.thresholdMode, cooldown: this.cooldown, minLrs: [...this.minLrs], eps: this.eps,
      best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch, lastLr: [...this.lastLr],
    };
  }

  /** Restores the counters and best value (hyperparameters stay those of the constructor). */
  loadStateDict(sd: SchedulerStateDict): void {
    const who = 'ReduceLROnPlateau.loadStateDict';
    if (!sd || sd.type !== 'ReduceLROnPlateau') throw new RecurError(`${who}: state dict is for ${sd?.type}, not ReduceLROnPlateau`);
    for (const k of ['best', 'numBadEpochs', 'cooldownCounter', 'lastEpoch'] as const) {
      if (typeof sd[k] !== 'number') throw new RecurError(`${who}: missing numeric '${k}'`);
    }
    this.best = sd.best as number;
    this.numBadEpochs = sd.numBadEpochs as number;
    this.cooldownCounter = sd.cooldownCounter as number;
    this.lastEpoch = sd.lastEpoch as number;
    if (Array.isArray(sd.lastLr)) this.lastLr = [...(sd.lastLr as number[])];
  }
}
