import { kernels, quantizeRows, type QuantizedMatrix } from '../../kernels/index.js';

/** How a RecurrentStepper stores its weight matrices. */
export type StepperWeights = 'float32' | 'int8';

/**
 * A weight matrix W [rows, cols] packed once for batch-1 products y = W·x (+ y), in float32
 * (a private copy in backend memory, multiplied by the backend's M = 1 GEMM, i.e. its gemv) or
 * int8 with per-row scales (multiplied by `qgemv`).
 */
export class PackedMatrix {
  readonly rows: number;
  readonly cols: number;
  private readonly f32: Float32Array | null;
  private readonly q: QuantizedMatrix | null;

  /** W is read from src[offset + r·cols + c]: a row block of a larger matrix needs no copy first. */
  constructor(src: Float32Array, rows: number, cols: number, weights: StepperWeights, offset = 0) {
    this.rows = rows;
    this.cols = cols;
    const view = src.subarray(offset, offset + rows * cols);
    if (weights === 'int8') {
      this.q = quantizeRows(view, rows, cols);
      this.f32 = null;
    } else {
      this.f32 = kernels().alloc(rows * cols);
      kernels().copy(view, this.f32);
      this.q = null;
    }
  }

  /** y = W·x, or y += W·x with accumulate (y then holds the bias). */
  apply(x: Float32Array, y: Float32Array, accumulate: boolean): void {
    const K = kernels(), beta = accumulate ? 1 : 0;
    if (this.q) K.qgemv(this.rows, this.cols, this.q.data, this.q.scale, x, beta, y);
    else K.gemm(false, true, 1, this.rows, this.cols, 1, x, this.cols, this.f32!, this.cols, beta, y, this.rows);
  }

  /** Bytes of weight storage (int8 data + scales, or float32). */
  get bytes(): number {
    return this.q ? this.rows * this.cols + 4 * this.rows : 4 * this.rows * this.cols;
  }
}
