/**
 * Checks for what a checkpoint carries. A checkpoint is untrusted input (it may be edited,
 * truncated or crafted), so loading it is data-only, bounded and total: every field is checked
 * for type and range before it is used, every size is bounded, and the model a config
 * describes is compared with the tensors actually in the file before anything is allocated.
 * Every failure is one RecurError naming the file (or run) and the field.
 */
import { RecurError } from '../errors.js';
import type { RngState } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';

/** A model's weights by name (nn/module.ts's StateDict, without importing the layer above). */
type StateDict = ReadonlyMap<string, Tensor>;

/** Largest accepted number of recurrent layers. */
export const MAX_LAYERS = 64;
/** Largest accepted hidden / embedding / feature size. */
export const MAX_WIDTH = 65_536;
/** Largest accepted vocabulary (or number of classes / tags). */
export const MAX_VOCAB = 1 << 24;
/** Largest accepted model, in parameters (1 GiB of float32). */
export const MAX_PARAMETERS = 1 << 28;
/** Gates per hidden unit of each recurrent cell (the rows of weight_hh are gates × hidden), for parameter counts. */
export const RNN_GATES = { lstm: 4, gru: 3, rnn: 1 } as const;
/** Largest accepted truncated-BPTT window or chunk, in steps. */
export const MAX_BPTT = 1 << 20;

/**
 * A training option checked against the bounds its saved config field is loaded with, so that
 * every run that trains can be loaded again. `label` names the option (e.g. `--hidden`).
 */
export function checkIntOption(label: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RecurError(`${label} must be a whole number in [${min}, ${max}], got ${describe(v)}`);
  return v;
}

/** A JSON object read from a checkpoint, with the path of its fields for messages. */
export class Fields {
  constructor(readonly o: Record<string, unknown>, readonly where: string) {}

  /** `value` as an object, or an error naming `where`. */
  static of(value: unknown, where: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new RecurError(`${where} must be a JSON object, got ${describe(value)}`);
    }
    return new Fields(value as Record<string, unknown>, where);
  }

  private get(key: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.o, key) ? this.o[key] : undefined;
  }

  private fail(key: string, expected: string): never {
    const v = this.get(key);
    throw new RecurError(`${this.where}.${key} must be ${expected}, got ${describe(v)}`);
  }

  /** A whole number in [min, max]. */
  int(key: string, min: number, max: number): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(key, `a whole number in [${min}, ${max}]`);
    return v as number;
  }

  /** A number in [min, max] (±Infinity allowed only when the range includes it). */
  num(key: string, min = -Infinity, max = Infinity): number {
    const v = this.get(key);
    if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) this.fail(key, `a number in [${min}, ${max}]`);
    return v as number;
  }

  bool(key: string): boolean {
    const v = this.get(key);
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v as boolean;
  }

  str(key: string): string {
    const v = this.get(key);
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v as string;
  }

  oneOf<T extends string>(key: string, choices: readonly T[]): T {
    const v = this.get(key);
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) this.fail(key, `one of ${choices.join(', ')}`);
    return v as T;
  }

  /** An optional field: absent (undefined) or checked by `read`. */
  optional<T>(key: string, read: (key: string) => T): T | undefined {
    return this.get(key) === undefined ? undefined : read(key);
  }

  /** A nested object. */
  obj(key: string): Fields {
    return Fields.of(this.get(key), `${this.where}.${key}`);
  }

  /** An array of strings, at most `max` long. */
  strings(key: string, max = MAX_VOCAB): string[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.length > max || !v.every((x) => typeof x === 'string')) this.fail(key, `an array of at most ${max} strings`);
    return v as string[];
  }

  /** Anything present. */
  present(key: string): unknown {
    const v = this.get(key);
    if (v === undefined) this.fail(key, 'present');
    return v;
  }
}

/** The config of a checkpoint as an object whose `task` is `kind.task`, or an error saying what the run is. */
export function runConfig(config: unknown, kind: { task: string; noun: string }, dir: string): Fields {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new RecurError(`${dir}: checkpoint config must be a JSON object, got ${describe(config)}`);
  }
  const found = (config as { task?: unknown }).task;
  if (found !== kind.task) throw new RecurError(`${dir} is not a ${kind.noun} run (its checkpoint says task ${describe(found)})`);
  return new Fields(config as Record<string, unknown>, `${dir}: config`);
}

/**
 * Bounds a model before it is built: `params` is the number of parameters its config implies
 * (a lower bound is enough). With `weights` (a loaded checkpoint), the file must hold at least
 * that many values, so a config that claims more than the file carries is refused before the
 * model is allocated.
 */
export function checkModelSize(who: string, params: number, weights?: StateDict): void {
  if (!(params <= MAX_PARAMETERS)) {
    throw new RecurError(`${who}: the configured model has ${formatCount(params)} parameters, more than the limit of ${formatCount(MAX_PARAMETERS)} (1 GiB of float32); use smaller sizes`);
  }
  if (weights) {
    let held = 0;
    for (const t of weights.values()) held += t.size;
    if (params > held) {
      throw new RecurError(`${who}: the config describes a model of at least ${formatCount(params)} parameters but the checkpoint holds ${formatCount(held)} weight values; config and weights disagree`);
    }
  }
}

/** Where the training loop was, as a checkpoint saves it (src/train/trainer.ts). */
export interface SavedLoopState {
  step: number;
  epoch: number;
  /** Next batch index within the epoch. */
  index: number;
  bestLoss: number;
  evalsSinceBest: number;
  elapsedMs: number;
  rng: RngState;
  optimizer: unknown;
  scheduler: unknown;
  task: unknown;
}

/**
 * The loop state of a checkpoint, every field checked: counters are whole numbers in range
 * (`index` at most the `batchesPerEpoch` of the data), the RNG state is four 32-bit words and
 * an optional spare normal. Optimizer, scheduler and task state are checked by their owners.
 */
export function checkLoopState(value: unknown, where: string, batchesPerEpoch: number): SavedLoopState {
  const f = Fields.of(value, `${where}: state`);
  const index = f.int('index', 0, Number.MAX_SAFE_INTEGER);
  // index == batchesPerEpoch: `best` saved at the last batch, before the epoch's end was counted.
  if (index > batchesPerEpoch) {
    throw new RecurError(`${where}: state.index ${index} is past the ${batchesPerEpoch} batches of an epoch of this data (was the data changed?)`);
  }
  const rng = f.obj('rng');
  const s = rng.present('s');
  if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w) && (w as number) >= 0 && (w as number) <= 0xffffffff)) {
    throw new RecurError(`${rng.where}.s must be four whole numbers in [0, 4294967295], got ${describe(s)}`);
  }
  const spare = rng.present('spare');
  if (spare !== null && !(typeof spare === 'number' && Number.isFinite(spare))) {
    throw new RecurError(`${rng.where}.spare must be a finite number or null, got ${describe(spare)}`);
  }
  return {
    step: f.int('step', 0, Number.MAX_SAFE_INTEGER), epoch: f.int('epoch', 0, Number.MAX_SAFE_INTEGER), index,
    bestLoss: f.num('bestLoss'), evalsSinceBest: f.int('evalsSinceBest', 0, Number.MAX_SAFE_INTEGER),
    elapsedMs: f.num('elapsedMs', 0, Number.MAX_VALUE),
    rng: { s: [...s] as RngState['s'], spare: spare as number | null },
    optimizer: f.present('optimizer'), scheduler: f.o.scheduler ?? null, task: f.o.task ?? null,
  };
}

/** A short description of an untrusted JSON value for messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing (missing)';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(clip(v, 60));
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function clip(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function formatCount(n: number): string {
  return Number.isFinite(n) && n < 1e15 ? Math.round(n).toLocaleString('en-US') : n.toExponential(2);
}
