import type { WasmHeap } from './heap.js';

/**
 * Turning a kernel call's arrays into pointers into wasm memory (see backend.ts for the three
 * paths: zero-copy, copy in/out, refuse).
 */

export const IN = false;
export const OUT = true;


/** Array types the marshal can place in wasm memory. */
type Marshalled = Float32Array | Int32Array | Int16Array | Int8Array;

interface Pending {
  arr: Marshalled;
  ptr: number;
  n: number;
}

/** A view of n elements at ptr in buf, of a's element type. */
function viewLike(a: Marshalled, buf: ArrayBufferLike, ptr: number, n: number): Marshalled {
  if (a instanceof Float32Array) return new Float32Array(buf, ptr, n);
  if (a instanceof Int32Array) return new Int32Array(buf, ptr, n);
  if (a instanceof Int16Array) return new Int16Array(buf, ptr, n);
  return new Int8Array(buf, ptr, n);
}

/** Turns arrays into pointers for one kernel call. Not re-entrant. */
export class Marshal {
  /** Set when the call must go to the reference backend instead. */
  failed = false;
  private readonly heap: WasmHeap;
  private scratch = 0;
  private scratchCap = 0;
  private used = 0;
  private highWater = 0;
  private readonly extra: Array<[number, number]> = [];
  private readonly pending: Pending[] = [];

  constructor(heap: WasmHeap) {
    this.heap = heap;
  }

  begin(): void {
    this.failed = false;
    this.used = 0;
    this.pending.length = 0;
  }

  /** Pointer for a Float32Array whose first `need` elements the kernel may touch. */
  f(a: Float32Array, need: number, out: boolean): number {
    if (this.heap.owns(a.buffer)) {
      if (need <= a.length) return a.byteOffset;
      this.failed = true;
      return 0;
    }
    return this.slow(a, need, out);
  }

  /** Like f, for optional arrays: 0 (absent) for null. */
  opt(a: Float32Array | null, need: number, out: boolean): number {
    return a ? this.f(a, need, out) : 0;
  }

  /** Pointer for an Int32Array (indices are always JS arrays: copy). */
  i32(a: Int32Array, need: number, out: boolean): number {
    return this.slow(a, need, out);
  }

  /**
   * Pointer for an int8/int16 array: zero-copy when it is a view into the heap (quantised
   * weights live in blocks from `alloc`, see src/kernels/quantize.ts), else copied in.
   */
  small(a: Int8Array | Int16Array, need: number, out: boolean): number {
    if (this.heap.owns(a.buffer)) {
      // Views of heap blocks are aligned to their element size by construction; check anyway.
      if (need <= a.length && a.byteOffset % a.BYTES_PER_ELEMENT === 0) return a.byteOffset;
      this.failed = true;
      return 0;
    }
    return this.slow(a, need, out);
  }

  private slow(a: Marshalled, need: number, out: boolean): number {
    if (this.failed) return 0;
    const typed = a instanceof Float32Array || a instanceof Int32Array || a instanceof Int16Array || a instanceof Int8Array;
    if (!typed || !(need <= a.length) || !(need >= 0)) {
      this.failed = true;
      return 0;
    }
    const bytes = Math.max(16, Math.ceil((need * a.BYTES_PER_ELEMENT) / 16) * 16);
    const ptr = this.take(bytes);
    if (ptr < 0) {
      this.failed = true;
      return 0;
    }
    // Copy in even for outputs: a kernel may leave gaps (strided C) or accumulate.
    if (need > 0) viewLike(a, this.heap.buf, ptr, need).set(a.subarray(0, need) as never);
    if (out && need > 0) this.pending.push({ arr: a, ptr, n: need });
    return ptr;
  }

  private take(bytes: number): number {
    if (this.used + bytes <= this.scratchCap) {
      const p = this.scratch + this.used;
      this.used += bytes;
      return p;
    }
    // Does not fit: a one-off block for this call; the scratch grows to the high-water mark after.
    this.highWater = Math.max(this.highWater, this.used + bytes);
    const p = this.heap.allocRaw(bytes);
    if (p >= 0) this.extra.push([p, bytes]);
    return p;
  }

  /** Copies outputs back and releases per-call blocks. Call after the kernel ran (or failed). */
  end(): void {
    if (!this.failed) {
      for (const { arr, ptr, n } of this.pending) {
        arr.set(viewLike(arr, this.heap.buf, ptr, n) as never);
      }
    }
    this.pending.length = 0;
    if (this.extra.length) {
      for (const [p, b] of this.extra) this.heap.freeRaw(p, b);
      this.extra.length = 0;
      if (this.highWater > this.scratchCap) {
        if (this.scratchCap) this.heap.freeRaw(this.scratch, this.scratchCap);
        const cap = Math.ceil(this.highWater / 65536) * 65536;
        const p = this.heap.allocRaw(cap);
        this.scratch = p < 0 ? 0 : p;
        this.scratchCap = p < 0 ? 0 : cap;
      }
    }
  }
}

export function isCount(...xs: number[]): boolean {
  for (const x of xs) if (!(Number.isInteger(x) && x >= 0 && x < 2 ** 31)) return false;
  return true;
}

/** Number of elements a (possibly transposed) rows x cols matrix with leading dimension ld spans. */
export function extent(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

/** Every index selects a whole row of width d inside a table of `size` elements. */
export function indicesFit(idx: Int32Array, d: number, size: number): boolean {
  const rows = d === 0 ? Infinity : Math.floor(size / d);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    if (!(r >= 0 && r < rows)) return false;
  }
  return true;
}
