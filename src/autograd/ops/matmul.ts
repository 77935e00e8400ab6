import { RecurError } from '../../errors.js';
import { emptyStorage, kernels } from '../../kernels/index.js';
import { numel, sameShape, shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradOf, gradSlot, outGrad, record } from '../engine.js';

/**
 * Matrix product. a [..., M, K] · b [K, N] -> [..., M, N] (leading axes of a folded into M),
 * or batched a [..., M, K] · b [..., K, N] with equal leading axes.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2 || b.ndim < 2) {
    throw new RecurError(`matmul: expected tensors with at least 2 dims, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  }
  const K = a.shape[a.ndim - 1]!;
  if (b.shape[b.ndim - 2] !== K) {
    throw new RecurError(`matmul: inner dimensions differ: ${shapeStr(a.shape)} · ${shapeStr(b.shape)} (${K} vs ${b.shape[b.ndim - 2]})`);
  }
  const N = b.shape[b.ndim - 1]!;
  if (b.ndim === 2) {
    const M = a.size / K;
    const out = new Tensor(emptyStorage(M * N), [...a.shape.slice(0, -1), N]);
    kernels().gemm(false, false, M, N, K, 1, a.data, K, b.data, N, 0, out.data, N);
    return record(out, 'matmul', [a, b], () => {
      const gy = outGrad(out);
      // Slots are taken one at a time: in matmul(a, a) the second product adds to the first.
      if (a.requiresGrad) {
        const da = gradSlot(a);
        kernels().gemm(false, true, M, K, N, 1, gy, N, b.data, N, da.fresh ? 0 : 1, da.data, K);
      }
      if (b.requiresGrad) {
        const db = gradSlot(b);
        kernels().gemm(true, false, K, N, M, 1, a.data, K, gy, N, db.fresh ? 0 : 1, db.data, N);
      }
    });
  }
  const lead = a.shape.slice(0, -2);
  if (!sameShape(lead, b.shape.slice(0, -2))) {
    throw new RecurError(`matmul: batch dimensions differ: ${shapeStr(a.shape)} · ${shapeStr(b.shape)}`);
  }
  const M = a.shape[a.ndim - 2]!, batch = numel(lead);
  const out = new Tensor(emptyStorage(batch * M * N), [...lead, M, N]);
  const sa = M * K, sb = K * N, sy = M * N;
  for (let i = 0; i < batch; i++) {
    kernels().gemm(false, false, M, N, K, 1, a.data.subarray(i * sa), K, b.data.subarray(i * sb), N, 0, out.data.subarray(i * sy), N);
  }
  return record(out, 'matmul', [a, b], () => {
    const gy = outGrad(out);
    const ga = a.requiresGrad ? gradOf(a) : null, gb = b.requiresGrad ? gradOf(b) : null;
    for (let i = 0; i < batch; i++) {
      const g = gy.subarray(i * sy);
      if (ga) kernels().gemm(false, true, M, K, N, 1, g, N, b.data.subarray(i * sb), N, 1, ga.subarray(i * sa), K);
      if (gb) kernels().gemm(true, false, K, N, M, 1, a.data.subarray(i * sa), K, g, N, 1, gb.subarray(i * sb), N);
    }
  });
}

/**
 * y = x · Wᵀ + b, as torch.nn.functional.linear. x [..., I], weight [O, I], bias [O].
 * Fused so the transpose of W is never materialised.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (weight.ndim !== 2) throw new RecurError(`linear: weight must be 2-D [out, in], got ${shapeStr(weight.shape)}`);
  const [O, I] = weight.shape as [number, number];
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== I) {
    throw new RecurError(`linear: input has ${x.shape[x.ndim - 1]} features, expected ${I} (input shape ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)})`);
  }
  if (bias && (bias.ndim !== 1 || bias.size !== O)) {
    throw new RecurError(`linear: bias must have shape [${O}], got ${shapeStr(bias.shape)}`);
  }
  const R = x.size / I;
  const K = kernels();
  const out = new Tensor(emptyStorage(R * O), [...x.shape.slice(0, -1), O]);
  K.gemm(false, true, R, O, I, 1, x.data, I, weight.data, I, 0, out.data, O);
  if (bias) K.binary('add', out.data, 1, bias.data, 1, out.data, false);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, 'linear', inputs, () => {
    const K = kernels();
    const gy = outGrad(out);
    if (x.requiresGrad) {
      const dx = gradSlot(x);
      K.gemm(false, false, R, I, O, 1, gy, O, weight.data, I, dx.fresh ? 0 : 1, dx.data, I);
    }
    if (weight.requiresGrad) {
      const dw = gradSlot(weight);
      K.gemm(true, false, O, I, R, 1, gy, O, x.data, I, dw.fresh ? 0 : 1, dw.data, I);
    }
    if (bias?.requiresGrad) K.sumToBroadcast(gy, 1, gradOf(bias), 1);
  });
}
