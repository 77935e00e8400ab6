import { RecurError } from '../errors.js';
import { kernels } from './index.js';
import { QGEMV_TINY, roundTiesEven } from './js/qgemv.js';

/**
 * A float matrix stored as int8 with one scale per row, the weight format of `qgemv`:
 * W[n, k] ≈ scale[n] · data[n·cols + k].
 *
 * Storage. `data` is an Int8Array VIEW into a Float32Array block from `kernels().alloc`, so it
 * lives in the backend's own memory (the WebAssembly heap: qgemv reads it in place, no copy per
 * call) without a byte-sized allocator in every backend. The wasm heap reclaims a block when
 * its Float32Array is garbage-collected, so the block is held by this object (`storage`) and,
 * through a WeakMap, by `data` itself: keeping either one alive keeps the bytes valid.
 */
export interface QuantizedMatrix {
  readonly rows: number;
  readonly cols: number;
  /** [rows, cols] row-major int8, entries in [−127, 127]. */
  readonly data: Int8Array;
  /** [rows]: max|W[n, :]| / 127 in float32 (0 for a row whose max|W| is below 2^−96). */
  readonly scale: Float32Array;
  /** The backend block behind `data`; not to be read. */
  readonly storage: Float32Array;
}

const owners = new WeakMap<Int8Array, Float32Array>();

/**
 * Per-row symmetric int8 quantisation of W [rows, cols] (row-major, row stride `ld`, default
 * cols): scale[n] = fl(amax_n / 127), q = clamp(roundTiesEven(fl(W·fl(127 / amax_n))), ±127).
 * Done once per model, in plain TypeScript. Throws on NaN/Infinity weights, which int8 cannot
 * represent.
 */
export function quantizeRows(W: ArrayLike<number>, rows: number, cols: number, ld: number = cols): QuantizedMatrix {
  if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0 && Number.isInteger(ld) && ld >= cols)) {
    throw new RecurError(`quantizeRows: bad shape [${rows}, ${cols}] with row stride ${ld}`);
  }
  if (rows > 0 && cols > 0 && W.length < (rows - 1) * ld + cols) {
    throw new RecurError(`quantizeRows: ${W.length} values cannot hold a [${rows}, ${cols}] matrix with row stride ${ld}`);
  }
  const fr = Math.fround;
  const storage = kernels().alloc(Math.max(1, Math.ceil((rows * cols) / 4)));
  const data = new Int8Array(storage.buffer, storage.byteOffset, rows * cols);
  owners.set(data, storage);
  const scale = kernels().alloc(rows);
  for (let n = 0; n < rows; n++) {
    const o = n * ld;
    let amax = 0;
    for (let k = 0; k < cols; k++) {
      const v = fr(W[o + k]!);
      if (!Number.isFinite(v)) throw new RecurError(`quantizeRows: W[${n}, ${k}] is ${v}; int8 weights must be finite`);
      amax = Math.max(amax, Math.abs(v));
    }
    // Zero rows, and rows so small that 127 / amax would overflow float32, stay zero.
    if (amax < QGEMV_TINY) continue;
    scale[n] = fr(amax / 127);
    const inv = fr(127 / amax);
    for (let k = 0; k < cols; k++) {
      const q = roundTiesEven(fr(fr(W[o + k]!) * inv));
      data[n * cols + k] = q > 127 ? 127 : q < -127 ? -127 : q;
    }
  }
  return { rows, cols, data, scale, storage };
}

/** Dequantised copy of a QuantizedMatrix as float32 [rows, cols] (tests, inspection). */
export function dequantizeRows(q: QuantizedMatrix): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  for (let n = 0; n < q.rows; n++) {
    for (let k = 0; k < q.cols; k++) out[n * q.cols + k] = Math.fround(q.scale[n]! * q.data[n * q.cols + k]!);
  }
  return out;
}
