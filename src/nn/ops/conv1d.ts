import { linear, reshape, transpose } from '../../autograd/ops/index.js';
import { gradOf, outGrad, record } from '../../autograd/engine.js';
import { RecurError } from '../../errors.js';
import { allocStorage, kernels } from '../../kernels/index.js';
import { shapeStr } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

export interface Conv1dOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** Zeros added at both ends of the time axis (default 0). */
  padding?: number;
}

/** Output length of a 1-D convolution, as torch: ⌊(T + 2p − K) / s⌋ + 1. */
export function conv1dLength(T: number, kernelSize: number, stride = 1, padding = 0): number {
  return Math.floor((T + 2 * padding - kernelSize) / stride) + 1;
}

function checkConvArgs(op: string, K: number, stride: number, padding: number): void {
  if (!Number.isInteger(K) || K < 1) throw new RecurError(`${op}: kernel size must be a whole number >= 1, got ${K}`);
  if (!Number.isInteger(stride) || stride < 1) throw new RecurError(`${op}: stride must be a whole number >= 1, got ${stride}`);
  if (!Number.isInteger(padding) || padding < 0) throw new RecurError(`${op}: padding must be a whole number >= 0, got ${padding}`);
}

/**
 * Sliding windows over the time axis of a channels-last sequence (im2col), zero-padded:
 *
 *     out[b, t, k·C + c] = x[b, t·s + k − p, c]     (0 where t·s + k − p is outside [0, T))
 *
 * | tensor | shape |
 * |---|---|
 * | `x` | `[B, T, C]` |
 * | output | `[B, T', K·C]`, T' = ⌊(T + 2p − K)/s⌋ + 1 |
 *
 * A convolution is then one product with the weight as [Cout, K·C] (see {@link conv1dChannelsLast}).
 * Backward adds each window's gradient back to the steps it read.
 */
export function unfold1d(x: Tensor, K: number, opts: Conv1dOptions = {}): Tensor {
  const op = 'unfold1d';
  const s = opts.stride ?? 1, p = opts.padding ?? 0;
  checkConvArgs(op, K, s, p);
  if (x.ndim !== 3) throw new RecurError(`${op}: input must be [B, T, C] (batch, steps, channels), got shape ${shapeStr(x.shape)}`);
  const [B, T, C] = x.shape as [number, number, number];
  const To = conv1dLength(T, K, s, p);
  if (To < 1) throw new RecurError(`${op}: ${T} steps are too few for a window of ${K} with padding ${p} (input shape ${shapeStr(x.shape)})`);
  const out = new Tensor(allocStorage(B * To * K * C), [B, To, K * C]);
  // For window offset k, step t reads x step t·s + k − p: the valid t form one range.
  const ranges: Array<[number, number]> = [];
  for (let k = 0; k < K; k++) {
    const t0 = Math.max(0, Math.ceil((p - k) / s)), t1 = Math.min(To - 1, Math.floor((T - 1 + p - k) / s));
    ranges.push([t0, t1]);
  }
  const copy = (src: Float32Array, dst: Float32Array, back: boolean): void => {
    const Kd = kernels();
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) {
        const [t0, t1] = ranges[k]!;
        if (t1 < t0) continue;
        const xOff = (b * T + t0 * s + k - p) * C, cOff = (b * To + t0) * K * C + k * C, n = t1 - t0 + 1;
        if (back) Kd.copyBlocks(src, cOff, K * C, dst, xOff, s * C, C, n, true);
        else Kd.copyBlocks(src, xOff, s * C, dst, cOff, K * C, C, n, false);
      }
    }
  };
  copy(x.data, out.data, false);
  return record(out, op, [x], () => copy(outGrad(out), gradOf(x), true));
}

/**
 * 1-D convolution (cross-correlation, as torch) on a channels-last sequence:
 *
 *     y[b, t, o] = bias[o] + Σ_{c, k} weight[o, c, k] · x[b, t·s + k − p, c]
 *
 * | tensor | shape |
 * |---|---|
 * | `x` | `[B, T, Cin]` |
 * | `weight` | `[Cout, Cin, K]` (torch's Conv1d layout) |
 * | `bias` | `[Cout]` or null |
 * | output | `[B, T', Cout]` |
 */
export function conv1dChannelsLast(x: Tensor, weight: Tensor, bias: Tensor | null, opts: Conv1dOptions = {}): Tensor {
  if (weight.ndim !== 3) throw new RecurError(`conv1d: weight must be [Cout, Cin, K], got shape ${shapeStr(weight.shape)}`);
  const [Co, Ci, K] = weight.shape as [number, number, number];
  if (x.ndim !== 3 || x.shape[2] !== Ci) {
    throw new RecurError(`conv1d: input must be [B, T, ${Ci}] channels-last for weight ${shapeStr(weight.shape)}, got shape ${shapeStr(x.shape)}`);
  }
  const cols = unfold1d(x, K, opts);
  // [Cout, Cin, K] -> [Cout, K, Cin] -> [Cout, K·Cin], the order unfold1d lays windows out in.
  const w = reshape(transpose(weight, 1, 2), [Co, K * Ci]);
  return linear(cols, w, bias);
}

/**
 * 1-D convolution as `torch.nn.functional.conv1d` (channels first): x [B, Cin, T] ->
 * [B, Cout, T']. Same arithmetic as {@link conv1dChannelsLast}, between two transposes.
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv1dOptions = {}): Tensor {
  if (x.ndim !== 3) throw new RecurError(`conv1d: input must be [B, Cin, T], got shape ${shapeStr(x.shape)}`);
  return transpose(conv1dChannelsLast(transpose(x, 1, 2), weight, bias, opts), 1, 2);
}
