import { gradSlot, outGrad, record } from '../../autograd/engine.js';
import { allocStorage, emptyStorage, freeStorage, kernels, storageView } from '../../kernels/index.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * The packed layout of a batch of variable-length sequences, as PyTorch's PackedSequence:
 * sequences sorted by length (descending, stable), time-major, and at step t only the first
 * b_t sorted sequences (those still running) take part. Row (t, j) of packed data sits at
 * offsets[t] + j, so every step works on a contiguous block of b_t rows and the rows a step
 * needs from the previous step are a prefix of it.
 */
export interface Packing {
  /** Batch size. */
  B: number;
  /** Steps actually run: the longest length (≤ the input's sequence length). */
  T: number;
  /** Total packed rows, Σ b_t. */
  N: number;
  /** b_t, non-increasing, length T. */
  batchSizes: Int32Array;
  /** offsets[t] = Σ_{s<t} b_s, length T + 1. */
  offsets: Int32Array;
  /** order[j] = original batch index of the j-th longest sequence. */
  order: Int32Array;
  /** True when order is the identity (no permutation of h0 / h_n needed). */
  sorted: boolean;
}

/** Packing for lengths (already validated: integers in [1, T]). Null lengths = all full. */
export function makePacking(B: number, T: number, lengths: readonly number[] | null): Packing {
  const len = lengths ?? new Array<number>(B).fill(T);
  const idx = Array.from({ length: B }, (_, i) => i);
  // Stable sort keeps equal lengths in batch order, so a full batch is the identity.
  idx.sort((a, b) => len[b]! - len[a]! || a - b);
  const order = Int32Array.from(idx);
  const Tmax = B > 0 ? len[order[0]!]! : 0;
  const batchSizes = new Int32Array(Tmax);
  const offsets = new Int32Array(Tmax + 1);
  let j = B;
  for (let t = 0; t < Tmax; t++) {
    while (j > 0 && len[order[j - 1]!]! <= t) j--;
    batchSizes[t] = j;
    offsets[t + 1] = offsets[t]! + j;
  }
  const sorted = order.every((v, i) => v === i);
  return { B, T: Tmax, N: offsets[Tmax]!, batchSizes, offsets, order, sorted };
}

/**
 * For each packed row, the row of the padded input viewed as [rows, features]: time-first
 * [T, B, ·] puts (t, b) at t*B + b, batch-first [B, T, ·] at b*T + t.
 */
export function packedRowIndex(p: Packing, seqLen: number, batchFirst: boolean): Int32Array {
  const idx = new Int32Array(p.N);
  for (let t = 0; t < p.T; t++) {
    const o = p.offsets[t]!;
    for (let j = 0; j < p.batchSizes[t]!; j++) {
      const b = p.order[j]!;
      idx[o + j] = batchFirst ? b * seqLen + t : t * p.B + b;
    }
  }
  return idx;
}

/** True when packed rows are exactly the padded rows in order (time-first, full, sorted). */
export function isIdentityIndex(idx: Int32Array, rows: number): boolean {
  return idx.length === rows && idx.every((v, i) => v === i);
}

/**
 * out [rows, d] with out[idx[r]] = src[r] and zeros elsewhere: unpacks packed rows into the
 * padded layout (pad_packed_sequence). idx must not repeat.
 */
export function scatterRows(src: Tensor, idx: Int32Array, rows: number): Tensor {
  const d = src.shape[1]!;
  const out = new Tensor(allocStorage(rows * d), [rows, d]);
  kernels().scatterAddRows(src.data, d, idx, out.data);
  return record(out, 'scatterRows', [src], () => {
    const K = kernels();
    const ds = gradSlot(src); // idx.length rows of d: gatherRows writes them all
    if (ds.fresh) {
      K.gatherRows(outGrad(out), d, idx, ds.data);
      return;
    }
    const g = emptyStorage(idx.length * d);
    K.gatherRows(outGrad(out), d, idx, g);
    K.axpy(1, g, ds.data);
    freeStorage(g);
  });
}

/**
 * A zero-copy view of `size` elements of x starting at `offset`, with the given shape. Used to
 * hand out the pieces (output, h_n, c_n) of a fused op that records one combined output.
 */
export function part(x: Tensor, offset: number, shape: readonly number[]): Tensor {
  let size = 1;
  for (const s of shape) size *= s;
  const out = new Tensor(storageView(x.data, offset, offset + size), shape);
  return record(out, 'part', [x], () => {
    const K = kernels();
    const dx = gradSlot(x);
    const mine = dx.data.subarray(offset, offset + size);
    if (!dx.fresh) {
      K.axpy(1, outGrad(out), mine);
      return;
    }
    // The other pieces may get no gradient (a detached h_n): zeros there, this piece copied in,
    // rather than zeroing the whole output's gradient (6.5 MB a layer in the CLI's char LM).
    if (offset > 0) K.fill(dx.data.subarray(0, offset), 0);
    K.copy(outGrad(out), mine);
    if (offset + size < x.size) K.fill(dx.data.subarray(offset + size), 0);
  });
}
