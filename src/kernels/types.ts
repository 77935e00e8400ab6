/**
 * The one interface that holds every hot loop in recur, as one interface per area. Each area
 * has the same file name in every backend: the contract in `<area>-types.ts`, the reference in
 * `js/<area>.ts`, the WebAssembly kernels in `assembly/<area>.ts`, the C kernels in
 * `native/src/<area>.h` (docs/kernels.md lists them and how to add an area).
 *
 * Conventions shared by every backend:
 * - Arrays are `Float32Array` views; a kernel reads/writes from element 0 of the view it is
 *   given (callers pass `subarray`s for offsets). Lengths are taken from the arguments, not
 *   from `.length`, unless documented.
 * - Matrices are row-major. `ld*` is the row stride in elements.
 * - Backward kernels ACCUMULATE into their gradient outputs (`+=`), never overwrite, so a
 *   tensor used twice in a graph receives the sum of both uses.
 * - The reference backend (js.ts) is dtype-generic: it also runs on Float64Array storage,
 *   which the float64 gradient checks rely on. Other backends are float32 only.
 */
import type { BatchedKernels } from './batched-types.js';
import type { CrfKernels } from './crf-types.js';
import type { CtcKernels } from './ctc-types.js';
import type { ElementwiseKernels } from './elementwise-types.js';
import type { GemmKernels } from './gemm-types.js';
import type { MemoryKernels } from './memory-types.js';
import type { NormKernels } from './norm-types.js';
import type { OptimKernels } from './optim-types.js';
import type { QgemvKernels } from './qgemv-types.js';
import type { RandomKernels } from './random-types.js';
import type { ReduceKernels } from './reduce-types.js';
import type { RnnKernels } from './rnn-types.js';
import type { SoftmaxKernels } from './softmax-types.js';

export type { BinaryOp, ReduceOp, UnaryOp } from './op-codes.js';
export type { AdagradParams, AdamParams, RmspropParams } from './optim-types.js';
export type { PackedB } from './gemm-types.js';
export type { RnnActivation } from './rnn-types.js';
export type {
  BatchedKernels, CrfKernels, CtcKernels, ElementwiseKernels, GemmKernels, MemoryKernels, NormKernels, OptimKernels, QgemvKernels,
  RandomKernels, ReduceKernels, RnnKernels, SoftmaxKernels,
};

export interface Kernels extends MemoryKernels, ElementwiseKernels, ReduceKernels, SoftmaxKernels, NormKernels, OptimKernels,
  GemmKernels, RnnKernels, CrfKernels, CtcKernels, BatchedKernels, QgemvKernels, RandomKernels {
  readonly name: string;
}

/** The name of every kernel (every method of Kernels). */
export type KernelName = Exclude<keyof Kernels, 'name'>;

/**
 * How many calls a compiled backend served itself, and how many it refused and handed to the
 * reference (Float64Array storage, arrays shorter than the sizes imply, out-of-range indices,
 * no room in wasm memory), by kernel. Kernels a backend takes from the reference unchanged are
 * not counted.
 */
export type CallCounts = Partial<Record<KernelName, { served: number; refused: number }>>;
