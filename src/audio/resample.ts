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
  /** [N, L] row-major: per output phase p, the taps k = lo[p] .. lo[p] + L - 1 of h_p. */
  h: Float32Array;
  L: number;
  width: number;
  /** Per phase, the taps [lo[p], hi[p]) with |t| < Z; the others are sin(pi Z) * w(Z), zero to rounding, and are skipped. */
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
  const { h, L, width, lo, hi } = sincKernel(O, N, opts);
  const outLen = Math.ceil((N * x.length) / O);
  const y = new Float32Array(outLen);
  const len = x.length;
  for (let j = 0; j < outLen; j++) {
    const i = Math.floor(j / N), p = j - i * N;
    const start = i * O - width;
    const k0 = Math.max(lo[p]!, -start), k1 = Math.min(hi[p]!, len - start);
    const row = p * L - lo[p]!;
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
  const t = (p: number, k: number): number => (-p / N + (k - width) / O) * fc;
  // |t| < Z  <=>  |k - width - O p / N| < Z O / fc: at most 2 Z O / fc + 1 <= 2 width + 1 taps
  const L = 2 * width + 1;
  const lo = new Int32Array(N), hi = new Int32Array(N);
  for (let p = 0; p < N; p++) {
    const centre = width + (O * p) / N, reach = (Z * O) / fc;
    let a = Math.max(0, Math.floor(centre - reach)), b = Math.min(K, Math.ceil(centre + reach) + 1);
    while (a < b && !(Math.abs(t(p, a)) < Z)) a++;
    while (b > a && !(Math.abs(t(p, b - 1)) < Z)) b--;
    lo[p] = a;
    hi[p] = b;
  }
  const h = new Float32Array(N * L);
  const scale = fc / O;
  const i0beta = besselI0(beta);
  for (let p = 0; p < N; p++) {
    for (let k = lo[p]!; k < hi[p]!; k++) {
      const tk = t(p, k);
      const w = kind === 'kaiser'
        ? besselI0(beta * Math.sqrt(1 - (tk / Z) ** 2)) / i0beta
        : Math.cos((tk * Math.PI) / Z / 2) ** 2;
      const pt = tk * Math.PI;
      h[p * L + k - lo[p]!] = (pt === 0 ? 1 : Math.sin(pt) / pt) * w * scale;
    }
  }
  const kernel = { h, L, width, lo, hi };
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
