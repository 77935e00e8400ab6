import { RecurError } from '../../errors.js';
import { gradOf, outGrad, record } from '../../autograd/engine.js';
import { allocStorage, kernels } from '../../kernels/index.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

function check(op: string, A: Tensor, x: Tensor, along: 1 | 2): [number, number, number] {
  if (A.ndim !== 3) throw new RecurError(`${op}: matrix must be 3-D [B, M, N], got ${shapeStr(A.shape)}`);
  const [B, M, N] = A.shape as [number, number, number];
  const want = along === 2 ? N : M;
  if (x.ndim !== 2 || x.shape[0] !== B || x.shape[1] !== want) {
    throw new RecurError(`${op}: vector must be [${B}, ${want}] for matrix ${shapeStr(A.shape)}, got ${shapeStr(x.shape)}`);
  }
  return [B, M, N];
}

/**
 * Batched matrix-vector product y[b] = A[b] · x[b]: A [B, M, N], x [B, N] -> y [B, M].
 * Attention scores of a query against every memory position.
 */
export function bmv(A: Tensor, x: Tensor): Tensor {
  const [B, M, N] = check('bmv', A, x, 2);
  const out = new Tensor(allocStorage(B * M), [B, M]);
  kernels().bmv(false, B, M, N, A.data, x.data, out.data, false);
  return record(out, 'bmv', [A, x], () => {
    const gy = outGrad(out);
    if (A.requiresGrad) kernels().bger(B, M, N, gy, x.data, gradOf(A));
    if (x.requiresGrad) kernels().bmv(true, B, M, N, A.data, gy, gradOf(x), true);
  });
}

/**
 * Batched transposed product y[b] = A[b]ᵀ · x[b]: A [B, M, N], x [B, M] -> y [B, N].
 * The attention context: memory rows averaged by the weights.
 */
export function bmvT(A: Tensor, x: Tensor): Tensor {
  const [B, M, N] = check('bmvT', A, x, 1);
  const out = new Tensor(allocStorage(B * N), [B, N]);
  kernels().bmv(true, B, M, N, A.data, x.data, out.data, false);
  return record(out, 'bmvT', [A, x], () => {
    const gy = outGrad(out);
    if (A.requiresGrad) kernels().bger(B, M, N, x.data, gy, gradOf(A));
    if (x.requiresGrad) kernels().bmv(false, B, M, N, A.data, gy, gradOf(x), true);
  });
}
