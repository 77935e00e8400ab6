/**
 * Band-limited resampling by windowed-sinc polyphase filtering, the algorithm of
 * `torchaudio.functional.resample` (same kernel, padding and output length), with the
 * Kaiser-window settings torchaudio documents as its best quality ("kaiser_best") as defaults.
 *
 * With g = gcd(from, to), O = from / g input and N = to / g output samples per block, the
 * output sample y[i*N + p] (block i, phase p) is
 *
 *     y[i*N + p] = sum_k x[i*O - W + k] * h_p[k],   k = 0 .. 2W + O - 1   (x = 0 outside)
 *     h_p[k]     = s * sinc(pi * t) * w(t),          t = f_c * ((k - W) / O - p / N), clamped to [-Z, Z]
 *
 * where f_c = min(O, N) * rolloff is the cutoff in block units, s = f_c / O, Z is
 * `lowpassFilterWidth` (zero crossings on each side), W = ceil(Z * O / f_c), and w is
 * I0(beta * sqrt(1 - (t/Z)^2)) / I0(beta) (Kaiser) or cos^2(pi t / 2Z) (Hann). The output has
 * ceil(N * length / O) samples.
 */
import { RecurError } from '../errors.js';

export interface ResampleOptions {
  /** Zero crossings of the sinc kept on each side. Default 64. */
  lowpassFilterWidth?: number;
  /** Cutoff as a fraction of the lower Nyquist rate. Default 0.9475937167399596. */
  rolloff?: number;
  /** Window of the sinc. Default 'kaiser'. */
  window?: 'kaiser' | 'hann';
  /** Kaiser beta. Default 14.769656459379492. */
  beta?: number;
}

interface Kernel {
  /** [N, K] row-major: one filter per output phase. */
  h: Float32Array;
  K: number;
  width: number;
  /** Per phase, the taps [lo[p], hi[p]) inside the window; the rest are zero to rounding (sin(pi Z) * w(Z)). */
  lo: Int32Array;
  hi: Int32Array;
}

const kernelCache = new Map<string, Kernel>();

/** Resamples `x` from `from` Hz to `to` Hz (positive integers). Returns a new array. */
export function resample(x: Float32Array, from: number, to: number, opts: ResampleOptions = {}): Float32Array {
  if (!Number.isInteger(from) || from <= 0 || !Number.isInteger(to) || to <= 0) {
    throw new RecurError(`resample: rates must be positive integers, got ${from} -> ${to}`);
  }
  if (from === to) return x.slice();
  const g = gcd(from, to);
  const O = from / g, N = to / g;
  const { h, K, width, lo, hi } = sincKernel(O, N, opts);
  const outLen = Math.ceil((N * x.length) / O);
  const y = new Float32Array(outLen);
  const len = x.length;
  for (let j = 0; j < outLen; j++) {
    const i = Math.floor(j / N), p = j - i * N;
    const start = i * O - width;
    const k0 = Math.max(lo[p]!, -start), k1 = Math.min(hi[p]!, len - start);
    const row = p * K;
    let acc = 0;
    for (let k = k0; k < k1; k++) acc += x[start + k]! * h[row + k]!;
    y[j] = acc;
  }
  return y;
}

function sincKernel(O: number, N: number, opts: ResampleOptions): Kernel {
  const Z = opts.lowpassFilterWidth ?? 64;
  const rolloff = opts.rolloff ?? 0.9475937167399596;
  const kind = opts.window ?? 'kaiser';
  const beta = opts.beta ?? 14.769656459379492;
  if (!(Z > 0)) throw new RecurError(`resample: lowpassFilterWidth must be positive, got ${Z}`);
  if (!(rolloff > 0 && rolloff <= 1)) throw new RecurError(`resample: rolloff must be in (0, 1], got ${rolloff}`);
  const key = `${O}/${N}/${Z}/${rolloff}/${kind}/${beta}`;
  const cached = kernelCache.get(key);
  if (cached) return cached;

  const fc = Math.min(O, N) * rolloff;
  const width = Math.ceil((Z * O) / fc);
  const K = 2 * width + O;
  const h = new Float32Array(N * K);
  const scale = fc / O;
  const i0beta = besselI0(beta);
  const lo = new Int32Array(N).fill(K), hi = new Int32Array(N);
  for (let p = 0; p < N; p++) {
    for (let k = 0; k < K; k++) {
      let t = (-p / N + (k - width) / O) * fc;
      if (Math.abs(t) < Z) {
        lo[p] = Math.min(lo[p]!, k);
        hi[p] = k + 1;
      }
      t = Math.min(Z, Math.max(-Z, t));
      const w = kind === 'kaiser'
        ? besselI0(beta * Math.sqrt(1 - (t / Z) ** 2)) / i0beta
        : Math.cos((t * Math.PI) / Z / 2) ** 2;
      const pt = t * Math.PI;
      h[p * K + k] = (pt === 0 ? 1 : Math.sin(pt) / pt) * w * scale;
    }
  }
  const kernel = { h, K, width, lo, hi };
  if (kernelCache.size > 32) kernelCache.clear();
  kernelCache.set(key, kernel);
  return kernel;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges for all x). */
function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1, sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
