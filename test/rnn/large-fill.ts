/**
 * The TypeScript twin of fill() in scripts/fixtures/gen_rnn_large.py: n float32 uniforms in
 * [-scale, scale) from the lowbias32 hash of i + seed·0x9E3779B9 (mod 2^32). Each value is
 * (2k − 2^24)/2^24 · scale for a 24-bit k, exact in float32 when scale is a power of two, so
 * both sides build bit-identical inputs and parameters without storing them.
 */
export function fill(seed: number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  const base = Math.imul(seed, 0x9e3779b9) >>> 0;
  for (let i = 0; i < n; i++) {
    let x = (base + i) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x ^= x >>> 16;
    const k = x >>> 8;
    out[i] = ((2 * k - 2 ** 24) / 2 ** 24) * scale;
  }
  return out;
}

/** Row sums (over the last dim), column sums (over all others) and every stride-th element, in float64. */
export function digest(data: ArrayLike<number>, lastDim: number, stride: number, offset: number): Record<'rowsum' | 'colsum' | 'sample', Float64Array> {
  const rows = data.length / lastDim;
  const rowsum = new Float64Array(rows), colsum = new Float64Array(lastDim);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < lastDim; c++) {
      const v = data[r * lastDim + c]!;
      s += v;
      colsum[c] += v;
    }
    rowsum[r] = s;
  }
  const sample = new Float64Array(Math.max(0, Math.ceil((data.length - offset) / stride)));
  for (let j = 0; j < sample.length; j++) sample[j] = data[offset + j * stride]!;
  return { rowsum, colsum, sample };
}
