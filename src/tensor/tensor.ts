import { RecurError } from '../errors.js';
import { allocStorage, kernels } from '../kernels/index.js';
import * as ops from '../autograd/ops/index.js';
import { backward as runBackward, type GradNode } from '../autograd/engine.js';
import { checkShape, numel, shapeStr, type Shape } from './shape.js';
import { globalRng, type Rng } from './rng.js';

export interface TensorOptions {
  requiresGrad?: boolean;
}

/**
 * A float32 n-d array, row-major, with an optional gradient. `data` is a plain Float32Array
 * you may read; write to it only on leaves (parameters, inputs) outside a recorded graph.
 */
export class Tensor {
  data: Float32Array;
  readonly shape: readonly number[];
  grad: Tensor | null = null;
  requiresGrad: boolean;
  /** The op that produced this tensor, when it was recorded for backward. */
  node: GradNode | null = null;
  /** Optional label used in error messages and parameter listings. */
  name?: string;

  constructor(data: Float32Array, shape: Shape, opts: TensorOptions = {}) {
    checkShape(shape, 'tensor');
    if (data.length !== numel(shape)) {
      throw new RecurError(`tensor: data has ${data.length} elements but shape ${shapeStr(shape)} needs ${numel(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = opts.requiresGrad ?? false;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** A leaf: not produced by a recorded op. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  item(): number {
    if (this.size !== 1) throw new RecurError(`item: tensor of shape ${shapeStr(this.shape)} has ${this.size} elements, expected 1`);
    return this.data[0]!;
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  toString(): string {
    return `Tensor(shape=${shapeStr(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  /** Backpropagates from this tensor. A non-scalar needs an explicit upstream gradient. */
  backward(grad?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    runBackward(this, grad, opts.retainGraph ?? false);
  }

  /** A new leaf sharing this tensor's data, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy with its own storage; differentiable, like torch.clone. */
  clone(): Tensor {
    return ops.add(this, 0);
  }

  zeroGrad(): void {
    this.grad = null;
  }

  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  add(other: Tensor | number): Tensor { return ops.add(this, other); }
  sub(other: Tensor | number): Tensor { return ops.sub(this, other); }
  mul(other: Tensor | number): Tensor { return ops.mul(this, other); }
  div(other: Tensor | number): Tensor { return ops.div(this, other); }
  neg(): Tensor { return ops.neg(this); }
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  relu(): Tensor { return ops.relu(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  square(): Tensor { return ops.square(this); }
  abs(): Tensor { return ops.abs(this); }
  sum(axis?: number | number[], keepDim = false): Tensor { return ops.sum(this, axis, keepDim); }
  mean(axis?: number | number[], keepDim = false): Tensor { return ops.mean(this, axis, keepDim); }
  max(axis?: number, keepDim = false): Tensor { return ops.max(this, axis, keepDim); }
  softmax(axis = -1): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return ops.logSoftmax(this, axis); }
  reshape(shape: Shape): Tensor { return ops.reshape(this, shape); }
  view(shape: Shape): Tensor { return ops.reshape(this, shape); }
  flatten(): Tensor { return ops.reshape(this, [this.size]); }
  unsqueeze(axis: number): Tensor { return ops.unsqueeze(this, axis); }
  squeeze(axis: number): Tensor { return ops.squeeze(this, axis); }
  transpose(axis0 = 0, axis1 = 1): Tensor { return ops.transpose(this, axis0, axis1); }
  /** 2-D transpose. */
  t(): Tensor {
    if (this.ndim !== 2) throw new RecurError(`t: expected a 2-D tensor, got shape ${shapeStr(this.shape)}`);
    return ops.transpose(this, 0, 1);
  }
  slice(axis: number, start: number, end?: number): Tensor { return ops.slice(this, axis, start, end); }
  indexSelect(indices: Indices): Tensor { return ops.indexSelect(this, indices); }
}

/** Integer indices: a typed array, a plain array, or a tensor of whole numbers. */
export type Indices = Int32Array | readonly number[] | Tensor;

export type NestedArray = number | NestedArray[];

function inferShape(x: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as NestedArray;
  }
  return shape;
}

function flattenNested(x: NestedArray, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (typeof x !== 'number') throw new RecurError(`tensor: ragged nested array (expected shape ${shapeStr(shape)})`);
    out.push(x);
    return;
  }
  if (!Array.isArray(x) || x.length !== shape[depth]) {
    throw new RecurError(`tensor: ragged nested array at depth ${depth} (expected shape ${shapeStr(shape)})`);
  }
  for (const v of x) flattenNested(v, shape, depth + 1, out);
}

/** Creates a tensor from a flat array/typed array with a shape, or from a nested array. */
export function tensor(data: ArrayLike<number> | NestedArray, shape?: Shape, opts: TensorOptions = {}): Tensor {
  if (typeof data === 'number' || (Array.isArray(data) && shape === undefined)) {
    const s = inferShape(data as NestedArray);
    const flat: number[] = [];
    flattenNested(data as NestedArray, s, 0, flat);
    return fromFlat(flat, s, opts);
  }
  const arr = data as ArrayLike<number>;
  return fromFlat(arr, shape ?? [arr.length], opts);
}

function fromFlat(arr: ArrayLike<number>, shape: Shape, opts: TensorOptions): Tensor {
  checkShape(shape, 'tensor');
  if (arr.length !== numel(shape)) {
    throw new RecurError(`tensor: data has ${arr.length} elements but shape ${shapeStr(shape)} needs ${numel(shape)}`);
  }
  const d = allocStorage(arr.length);
  for (let i = 0; i < arr.length; i++) d[i] = arr[i]!;
  return new Tensor(d, shape, opts);
}

export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  checkShape(shape, 'zeros');
  return new Tensor(allocStorage(numel(shape)), shape, opts);
}

export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  const t = zeros(shape, opts);
  kernels().fill(t.data, value);
  return t;
}

export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  return full(shape, 1, opts);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape);
}

/** [start, end) with a step, like torch.arange. */
export function arange(start: number, end?: number, step = 1): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new RecurError('arange: step must not be zero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const t = zeros([n]);
  for (let i = 0; i < n; i++) t.data[i] = start + i * step;
  return t;
}

export function randn(shape: Shape, opts: TensorOptions & { rng?: Rng } = {}): Tensor {
  const t = zeros(shape, opts);
  (opts.rng ?? globalRng).fillNormal(t.data, 0, 1);
  return t;
}

/** U(low, high). */
export function uniform(shape: Shape, low = 0, high = 1, opts: TensorOptions & { rng?: Rng } = {}): Tensor {
  const t = zeros(shape, opts);
  (opts.rng ?? globalRng).fillUniform(t.data, low, high);
  return t;
}

/** Converts indices to an Int32Array, checking they are whole numbers in [0, limit). */
export function toIndices(idx: Indices, limit: number, what: string): Int32Array {
  const src: ArrayLike<number> = idx instanceof Tensor ? idx.data : idx;
  if (idx instanceof Int32Array) {
    for (let i = 0; i < idx.length; i++) {
      const v = idx[i]!;
      if (v < 0 || v >= limit) throw new RecurError(`${what}: index ${v} at position ${i} is out of range [0, ${limit})`);
    }
    return idx;
  }
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= limit) {
      throw new RecurError(`${what}: index ${v} at position ${i} is out of range [0, ${limit})`);
    }
    out[i] = v;
  }
  return out;
}
