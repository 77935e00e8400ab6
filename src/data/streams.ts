import { RecurError } from '../errors.js';

/**
 * Truncated-BPTT batching as in PyTorch's examples/word_language_model: the corpus is
 * cut into `batchSize` contiguous streams side by side, and training walks down all of
 * them together in windows of `bptt` steps, carrying the hidden state across windows.
 * Stream b is ids[b*steps .. (b+1)*steps); the remainder that does not fill a row is dropped.
 */
export interface Batched {
  /** Shape [steps, batchSize], time-major, row-major: data[t*batchSize + b] = ids[b*steps + t]. */
  data: Int32Array;
  steps: number;
  batchSize: number;
}

export interface Window {
  /** Time-major [steps, batchSize] or, with batchFirst, [batchSize, steps]. */
  input: Int32Array;
  /** Same layout as input; each entry is the next token of the same stream. */
  target: Int32Array;
  steps: number;
  batchSize: number;
  batchFirst: boolean;
  /** [steps, batchSize] time-major, [batchSize, steps] batch-first. */
  shape: [number, number];
}

export interface WindowOptions {
  /** Lay input/target out as [batchSize, steps] (copies) instead of [steps, batchSize] (views). */
  batchFirst?: boolean;
}

export function batchify(ids: ArrayLike<number>, batchSize: number): Batched {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RecurError(`batchify: batchSize must be a positive integer, got ${batchSize}`);
  }
  const steps = Math.floor(ids.length / batchSize);
  if (steps < 2) {
    throw new RecurError(
      `batchify: ${ids.length} tokens give ${steps} steps per stream with batchSize=${batchSize}; need at least 2 (one input, one target)`,
    );
  }
  const data = new Int32Array(steps * batchSize);
  for (let b = 0; b < batchSize; b++) {
    const base = b * steps;
    for (let t = 0; t < steps; t++) data[t * batchSize + b] = ids[base + t]!;
  }
  return { data, steps, batchSize };
}

/** Number of windows `bpttWindows` yields: starts 0, bptt, 2*bptt, ... below steps - 1. */
export function windowCount(batched: Batched, bptt: number): number {
  checkBptt(bptt, 'windowCount');
  return Math.ceil((batched.steps - 1) / bptt);
}

/**
 * The window starting at step `start` (PyTorch's get_batch(source, i)): up to `bptt`
 * steps of input and the same steps shifted by one as target. The last window of an
 * epoch is shorter when steps - 1 is not a multiple of bptt.
 *
 * Time-major windows are zero-copy views into `batched.data` (the rows are contiguous);
 * do not write into them.
 */
export function getWindow(batched: Batched, start: number, bptt: number, options: WindowOptions = {}): Window {
  checkBptt(bptt, 'getWindow');
  const { data, steps: total, batchSize: B } = batched;
  if (!Number.isInteger(start) || start < 0 || start >= total - 1) {
    throw new RecurError(`getWindow: start=${start} is out of range; a batch of ${total} steps has windows starting in [0, ${total - 2}]`);
  }
  const T = Math.min(bptt, total - 1 - start);
  const input = data.subarray(start * B, (start + T) * B);
  const target = data.subarray((start + 1) * B, (start + 1 + T) * B);
  if (options.batchFirst === true) {
    return { input: transpose(input, T, B), target: transpose(target, T, B), steps: T, batchSize: B, batchFirst: true, shape: [B, T] };
  }
  return { input, target, steps: T, batchSize: B, batchFirst: false, shape: [T, B] };
}

/** Every window of one epoch, in order. */
export function* bpttWindows(batched: Batched, bptt: number, options: WindowOptions = {}): Generator<Window> {
  checkBptt(bptt, 'bpttWindows');
  for (let start = 0; start < batched.steps - 1; start += bptt) yield getWindow(batched, start, bptt, options);
}

export interface SplitFractions {
  /** Fraction of the sequence for validation. Default 0.05. */
  valid?: number;
  /** Fraction for test. Default 0.05. */
  test?: number;
}

export interface Split<T> {
  train: T;
  valid: T;
  test: T;
}

/**
 * Contiguous train / valid / test, in that order, so no text leaks across the boundary
 * through overlapping context. Sizes floor(n*valid) and floor(n*test); train gets the rest.
 * Strings split by UTF-16 index but never inside a surrogate pair; id arrays become
 * Int32Array views (use `.slice()` for copies).
 */
export function splitContiguous(ids: string, fractions?: SplitFractions): Split<string>;
export function splitContiguous(ids: ArrayLike<number>, fractions?: SplitFractions): Split<Int32Array>;
export function splitContiguous(
  ids: string | ArrayLike<number>,
  fractions: SplitFractions = {},
): Split<string> | Split<Int32Array> {
  const valid = fractions.valid ?? 0.05;
  const test = fractions.test ?? 0.05;
  for (const [name, f] of [['valid', valid], ['test', test]] as const) {
    if (!(f >= 0 && f < 1)) throw new RecurError(`splitContiguous: ${name} fraction must be in [0, 1), got ${f}`);
  }
  if (valid + test >= 1) throw new RecurError(`splitContiguous: valid + test = ${valid + test} leaves nothing to train on`);
  const n = ids.length;
  const nTest = Math.floor(n * test);
  const nValid = Math.floor(n * valid);
  let a = n - nTest - nValid;
  let b = n - nTest;
  if (typeof ids === 'string') {
    a = avoidSurrogateSplit(ids, a);
    b = Math.max(a, avoidSurrogateSplit(ids, b));
    return { train: ids.slice(0, a), valid: ids.slice(a, b), test: ids.slice(b) };
  }
  const all = ids instanceof Int32Array ? ids : Int32Array.from(ids);
  return { train: all.subarray(0, a), valid: all.subarray(a, b), test: all.subarray(b) };
}

/** Moves a cut that falls between the halves of a surrogate pair to just before the pair. */
function avoidSurrogateSplit(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return i > 0 && i < s.length && c >= 0xdc00 && c <= 0xdfff ? i - 1 : i;
}

function transpose(src: Int32Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

function checkBptt(bptt: number, where: string): void {
  if (!Number.isInteger(bptt) || bptt < 1) throw new RecurError(`${where}: bptt must be a positive integer, got ${bptt}`);
}
