import { RecurError } from '../../errors.js';
import { gradOf, outGrad, record } from '../../autograd/engine.js';
import { allocStorage, kernels } from '../../kernels/index.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor, type Indices } from '../../tensor/tensor.js';

/** Converts indices to Int32Array, naming the position (and its multi-index) of a bad one. */
function embeddingIndices(indices: Indices, numEmbeddings: number, op: string): { idx: Int32Array; shape: number[] } {
  const shape = indices instanceof Tensor ? [...indices.shape] : [indices.length];
  const src: ArrayLike<number> = indices instanceof Tensor ? indices.data : indices;
  const idx = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numEmbeddings) {
      throw new RecurError(`${op}: index ${v} at position ${positionStr(i, shape)} is out of range [0, ${numEmbeddings}) ` +
        `(numEmbeddings=${numEmbeddings}, input shape ${shapeStr(shape)})`);
    }
    idx[i] = v;
  }
  return { idx, shape };
}

/** Flat position i in a shape, written as `[b,t]` for n-d shapes and `i` for 1-d. */
export function positionStr(i: number, shape: readonly number[]): string {
  if (shape.length <= 1) return String(i);
  const out: number[] = [];
  let r = i;
  for (let k = shape.length - 1; k >= 0; k--) {
    out.unshift(r % shape[k]!);
    r = Math.floor(r / shape[k]!);
  }
  return `[${out.join(',')}]`;
}

/**
 * Embedding lookup, as torch.nn.functional.embedding: rows of `weight` [N, D] selected by
 * integer `indices` of any shape [*] -> [*, D]. Backward scatter-adds, so a token that occurs
 * several times receives the sum of its gradients. Positions holding `paddingIdx` contribute
 * no gradient at all (PyTorch semantics: the padding row's gradient is always zero).
 * A negative paddingIdx counts from the end, as in PyTorch.
 */
export function embedding(indices: Indices, weight: Tensor, paddingIdx: number | null = null): Tensor {
  if (weight.ndim !== 2) throw new RecurError(`embedding: weight must be 2-D [numEmbeddings, embeddingDim], got ${shapeStr(weight.shape)}`);
  const [N, D] = weight.shape as [number, number];
  const pad = normPaddingIdx(paddingIdx, N, 'embedding');
  const { idx, shape } = embeddingIndices(indices, N, 'embedding');
  const K = kernels();
  const out = new Tensor(allocStorage(idx.length * D), [...shape, D]);
  K.gatherRows(weight.data, D, idx, out.data);

  // Positions whose gradient reaches the table: all of them, unless padding occurs.
  let keepPos: Int32Array | null = null, keepIdx: Int32Array | null = null;
  if (pad !== null && idx.includes(pad)) {
    let n = 0;
    for (let i = 0; i < idx.length; i++) if (idx[i] !== pad) n++;
    keepPos = new Int32Array(n);
    keepIdx = new Int32Array(n);
    for (let i = 0, j = 0; i < idx.length; i++) {
      if (idx[i] !== pad) { keepPos[j] = i; keepIdx[j++] = idx[i]!; }
    }
  }
  return record(out, 'embedding', [weight], () => {
    const K = kernels();
    const gy = outGrad(out);
    if (!keepPos) { K.scatterAddRows(gy, D, idx, gradOf(weight)); return; }
    const rows = allocStorage(keepPos.length * D);
    K.gatherRows(gy, D, keepPos, rows);
    K.scatterAddRows(rows, D, keepIdx!, gradOf(weight));
  });
}

/** Validates and normalises a padding index like PyTorch (negative counts from the end). */
export function normPaddingIdx(paddingIdx: number | null | undefined, N: number, op: string): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx >= N || paddingIdx < -N) {
    throw new RecurError(`${op}: paddingIdx=${paddingIdx} must be an integer in [-${N}, ${N}) (numEmbeddings=${N})`);
  }
  return paddingIdx < 0 ? paddingIdx + N : paddingIdx;
}
