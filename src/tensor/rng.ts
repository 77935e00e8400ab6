/**
 * Seeded random numbers: xoshiro128** seeded through splitmix32. Small, fast, and its whole
 * state is five numbers, so a checkpoint can save and restore it exactly.
 */
import { kernels } from '../kernels/index.js';

export interface RngState {
  s: [number, number, number, number];
  /** Second Box–Muller normal, kept so that resume continues the same stream. */
  spare: number | null;
}

export class Rng {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    let x = (Math.floor(seed) >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
    this.spare = null;
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  random(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  getState(): RngState {
    return { s: [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!], spare: this.spare };
  }

  setState(state: RngState): void {
    this.s.set(state.s);
    this.spare = state.spare;
  }

  fillUniform(out: Float32Array, lo: number, hi: number): void {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.random();
  }

  /** mean + std * normal(), element by element: the same stream as calling normal() in a loop. */
  fillNormal(out: Float32Array, mean: number, std: number): void {
    const n = out.length;
    let i = 0;
    if (n > 0 && this.spare !== null) {
      out[i++] = mean + std * this.spare;
      this.spare = null;
    }
    // nextU32 and normal() inlined with the state in locals: this fills millions of values
    // for a large orthogonal init, and the calls and typed-array state cost as much as the math.
    let s0 = this.s[0]! | 0, s1 = this.s[1]! | 0, s2 = this.s[2]! | 0, s3 = this.s[3]! | 0;
    const TWO_PI = 2 * Math.PI;
    while (i < n) {
      let u = 0, v = 0;
      do {
        u = (Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0) / 4294967296;
        const t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      } while (u === 0);
      v = (Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0) / 4294967296;
      const t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      const r = Math.sqrt(-2 * Math.log(u));
      out[i++] = mean + std * (r * Math.cos(TWO_PI * v));
      const second = r * Math.sin(TWO_PI * v);
      if (i < n) out[i++] = mean + std * second;
      else this.spare = second;
    }
    this.s[0] = s0; this.s[1] = s1; this.s[2] = s2; this.s[3] = s3;
  }

  /**
   * Dropout mask: 1/keep with probability keep, else 0 (inverted dropout, as PyTorch). The same
   * draws as `this.random() < keep` one by one, made by the active backend's kernel.
   */
  fillBernoulliScaled(out: Float32Array, keep: number): void {
    kernels().bernoulliScaled(this.s, keep, out);
  }

  /** Fisher–Yates permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The global generator that creation functions, dropout and init draw from. */
export const globalRng = new Rng(0);

/** Seeds the global generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  globalRng.seed(seed);
}
