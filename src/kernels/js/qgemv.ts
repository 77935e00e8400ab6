import type { QgemvKernels } from '../qgemv-types.js';

/**
 * Reference of the int8 matrix-vector product (contract: qgemv-types.ts). Every float
 * step is an explicit Math.fround so the result is float32-exact whatever the storage, and the
 * wasm and native kernels can be compared with it bit for bit.
 */

/** k's per int32 accumulation chunk: 512·127·32767 < 2^31 (see qgemv-types.ts). */
export const QGEMV_CHUNK = 512;
/** Below this max|x| the activations count as zero: keeps 32767/amax finite in float32. */
export const QGEMV_TINY = 2 ** -96;

const fr = Math.fround;

/** Round to nearest, ties to even (wasm f32.nearest, C rintf); v is a float32 value. */
export function roundTiesEven(v: number): number {
  // v + 0.5 is exact in float64 for a float32 v, so Math.round is floor(v + 0.5) exactly.
  let r = Math.round(v);
  if (r - v === 0.5 && (r & 1) !== 0) r -= 1;
  return r;
}

// Quantised activations of the current call. Grown, never shrunk: no allocation per call.
let xq = new Int16Array(0);

export const qgemvJs: QgemvKernels = {
  qgemv(N, K, W, scale, x, beta, y) {
    let amax = 0;
    for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(x[k]!));
    if (!Number.isFinite(amax)) {
      for (let n = 0; n < N; n++) y[n] = NaN;
      return;
    }
    const b = fr(beta);
    if (amax < QGEMV_TINY) {
      for (let n = 0; n < N; n++) y[n] = b === 0 ? 0 : fr(b * y[n]!);
      return;
    }
    const sx = fr(amax / 32767), inv = fr(32767 / amax);
    if (xq.length < K) xq = new Int16Array(K);
    for (let k = 0; k < K; k++) {
      const q = roundTiesEven(fr(x[k]! * inv));
      xq[k] = q > 32767 ? 32767 : q < -32767 ? -32767 : q;
    }
    for (let n = 0; n < N; n++) {
      const row = n * K;
      let s = 0;
      for (let c = 0; c < K; c += QGEMV_CHUNK) {
        const end = Math.min(K, c + QGEMV_CHUNK);
        let acc = 0; // an exact integer: |acc| < 2^31 < 2^53
        for (let k = c; k < end; k++) acc += W[row + k]! * xq[k]!;
        s = fr(s + fr(acc));
      }
      const v = fr(fr(sx * scale[n]!) * s);
      y[n] = b === 0 ? v : fr(fr(b * y[n]!) + v);
    }
  },
};
