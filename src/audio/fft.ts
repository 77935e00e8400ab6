/**
 * Power spectrum |X_k|^2, k = 0 .. n/2, of real frames of a fixed length n. Power-of-two
 * lengths use the `fft.js` package (radix-4); other lengths (Kaldi features with
 * `roundToPowerOfTwo: false`) use a direct DFT over a precomputed twiddle table.
 */
import FFT from 'fft.js';

export class PowerSpectrum {
  readonly n: number;
  private readonly fft: FFT | null;
  private readonly out: Float64Array;
  private readonly cos: Float64Array | null;
  private readonly sin: Float64Array | null;

  constructor(n: number) {
    this.n = n;
    const pow2 = n >= 2 && (n & (n - 1)) === 0;
    this.fft = pow2 ? new FFT(n) : null;
    this.out = new Float64Array(2 * n);
    if (pow2) {
      this.cos = this.sin = null;
    } else {
      this.cos = new Float64Array(n);
      this.sin = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        this.cos[j] = Math.cos((2 * Math.PI * j) / n);
        this.sin[j] = Math.sin((2 * Math.PI * j) / n);
      }
    }
  }

  /** Writes |X_k|^2 for k = 0 .. n/2 into `power` (length floor(n/2) + 1). `frame` has length n. */
  compute(frame: Float64Array, power: Float64Array): void {
    const half = this.n >> 1;
    if (this.fft) {
      const out = this.out;
      this.fft.realTransform(out, frame);
      for (let k = 0; k <= half; k++) power[k] = out[2 * k]! * out[2 * k]! + out[2 * k + 1]! * out[2 * k + 1]!;
      return;
    }
    const n = this.n, cos = this.cos!, sin = this.sin!;
    for (let k = 0; k <= half; k++) {
      let re = 0, im = 0, idx = 0;
      for (let j = 0; j < n; j++) {
        const v = frame[j]!;
        re += v * cos[idx]!;
        im -= v * sin[idx]!;
        idx += k;
        if (idx >= n) idx -= n;
      }
      power[k] = re * re + im * im;
    }
  }
}
