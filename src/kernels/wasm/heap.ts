/**
 * Tensor storage inside WebAssembly linear memory.
 *
 * Why: a kernel call that had to copy its operands into wasm memory and the result back out
 * would spend more time copying than computing for every elementwise op. So `alloc(n)` hands
 * out Float32Array VIEWS into the module's memory; a view's `byteOffset` is the pointer the
 * kernels take, and calls are zero-copy.
 *
 * Memory growth. Growing a non-shared WebAssembly.Memory detaches its ArrayBuffer, which would
 * kill every live tensor view. So:
 * - Preferred: a SHARED memory (SharedArrayBuffer; always in Node, in browsers only when
 *   cross-origin isolated). Growing it never detaches: old views keep working on the old
 *   SharedArrayBuffer object, which aliases the same memory. It starts small and grows on
 *   demand up to `maxBytes`. (It is also what worker threads need.)
 * - Fallback: a non-shared memory created at its full size up front and NEVER grown. Untouched
 *   pages cost only address space, not RAM.
 * Either way, when the budget is exhausted `alloc` returns an ordinary Float32Array, which the
 * backend handles by copying through scratch (slower, still correct).
 *
 * Allocator. Size classes in steps of x1.5 / x1.33 (64, 96, 128, 192, ... bytes), one free list
 * per class, bump allocation for new blocks, no coalescing: a training loop allocates the same
 * shapes every step, so blocks are reused exactly and fragmentation stays bounded (at most
 * 50% internal waste, ~20% on average). Blocks are 64-byte aligned (cache lines; SIMD).
 *
 * Reclaiming. Each returned view is registered with a FinalizationRegistry; when the view is
 * garbage-collected its block goes back to its free list. Caveats, documented for users:
 * - Finalizers run only when the event loop turns. A fully synchronous loop that never yields
 *   reclaims nothing until it ends; it keeps allocating fresh wasm memory up to the budget and
 *   then falls back to JS arrays. Long training loops should `await` between steps now and then
 *   (the train loop does) to keep everything in wasm memory.
 * - A `subarray` of a storage view does not keep the block alive; hold the tensor (or its
 *   `data`) while using a sub-view. recur's own ops only make transient sub-views.
 */

/** Allocation counters, for diagnostics and tests. */
export interface HeapStats {
  /** Bytes of linear memory currently reserved by the module. */
  memoryBytes: number;
  /** Highest address handed out so far (bump pointer). */
  topBytes: number;
  /** Bytes in live (not yet reclaimed) blocks. */
  liveBytes: number;
  /** Bytes handed out over the heap's lifetime (block sizes; never decreases). */
  allocatedBytes: number;
  /** Blocks handed out / reclaimed over the heap's lifetime. */
  allocs: number;
  frees: number;
  /** Allocations that did not fit the budget and got a plain JS array. */
  fallbacks: number;
  /** Whether the memory is shared (growable without detaching). */
  shared: boolean;
}

const PAGE = 65536;
const MIN_CLASS_BYTES = 64;

/** Size class index of a byte count, and the class's block size. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_CLASS_BYTES) return 0;
  // 2^p < bytes <= 2^(p+1); the classes between are 1.5 * 2^p and 2^(p+1).
  const p = 31 - Math.clz32(bytes - 1);
  return bytes <= 1.5 * 2 ** p ? 2 * (p - 6) + 1 : 2 * (p + 1 - 6);
}

export function classBytes(c: number): number {
  return c % 2 === 0 ? MIN_CLASS_BYTES * 2 ** (c / 2) : 96 * 2 ** ((c - 1) / 2);
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  /** The current buffer of `memory`; replaced on growth (shared memory only). */
  buf: ArrayBufferLike;
  /** Every buffer object this memory has had: views made before a growth carry an older one. */
  private readonly generations: ArrayBufferLike[];
  private top: number;
  private readonly maxBytes: number;
  private readonly freeLists: number[][] = [];
  private readonly registry: FinalizationRegistry<number>;
  private liveBytes = 0;
  private allocatedBytes = 0;
  private allocs = 0;
  private frees = 0;
  private fallbacks = 0;

  constructor(memory: WebAssembly.Memory, shared: boolean, heapBase: number, maxBytes: number) {
    this.memory = memory;
    this.shared = shared;
    this.buf = memory.buffer;
    this.generations = [this.buf];
    // Never hand out address 0: kernels use 0 for "absent" (e.g. layer norm without gamma).
    this.top = Math.max(1024, Math.ceil(heapBase / 64) * 64);
    this.maxBytes = shared ? maxBytes : this.buf.byteLength;
    // The held value packs pointer and class: pointers are 64-aligned and classes < 64.
    this.registry = new FinalizationRegistry<number>((held) => this.release(held - (held & 63), held & 63));
  }

  /** Whether a buffer is (a generation of) this heap's memory. */
  owns(buffer: ArrayBufferLike): boolean {
    if (buffer === this.buf) return true;
    for (let i = this.generations.length - 2; i >= 0; i--) if (this.generations[i] === buffer) return true;
    return false;
  }

  /** Zero-filled tensor storage; a plain Float32Array when the wasm budget is exhausted. */
  alloc(n: number): Float32Array {
    if (n === 0) return new Float32Array(0);
    const c = sizeClass(n * 4);
    const reused = this.freeLists[c]?.pop();
    const ptr = reused ?? this.bump(classBytes(c));
    if (ptr < 0) {
      this.fallbacks++;
      return new Float32Array(n);
    }
    this.allocs++;
    this.liveBytes += classBytes(c);
    this.allocatedBytes += classBytes(c);
    const view = new Float32Array(this.buf, ptr, n);
    if (reused !== undefined) view.fill(0);
    this.registry.register(view, ptr + c);
    return view;
  }

  /**
   * A block for internal use (scratch, GEMM packing), not tracked by the GC: the caller frees
   * it with `freeRaw(ptr, bytes)`. Returns -1 when the budget is exhausted.
   */
  allocRaw(bytes: number): number {
    const c = sizeClass(Math.max(bytes, 1));
    const ptr = this.freeLists[c]?.pop() ?? this.bump(classBytes(c));
    if (ptr >= 0) {
      this.allocs++;
      this.liveBytes += classBytes(c);
      this.allocatedBytes += classBytes(c);
    }
    return ptr;
  }

  freeRaw(ptr: number, bytes: number): void {
    this.release(ptr, sizeClass(Math.max(bytes, 1)));
  }

  stats(): HeapStats {
    return {
      memoryBytes: this.memory.buffer.byteLength, topBytes: this.top, liveBytes: this.liveBytes,
      allocatedBytes: this.allocatedBytes, allocs: this.allocs, frees: this.frees, fallbacks: this.fallbacks, shared: this.shared,
    };
  }

  private release(ptr: number, c: number): void {
    this.frees++;
    this.liveBytes -= classBytes(c);
    (this.freeLists[c] ??= []).push(ptr);
  }

  /** New block at the top of the heap, growing the (shared) memory if needed; -1 if over budget. */
  private bump(size: number): number {
    const ptr = this.top;
    // Keep every block 64-byte aligned (the 96-byte class is not a multiple of 64): the
    // finalizer's held value packs the class into the pointer's low 6 bits.
    const end = ptr + Math.ceil(size / 64) * 64;
    if (end > this.maxBytes) return -1;
    if (end > this.buf.byteLength) {
      const cur = this.buf.byteLength;
      // Grow by at least a quarter of the current size so growth steps stay few.
      const want = Math.min(this.maxBytes, Math.max(end, cur + cur / 4));
      try {
        this.memory.grow(Math.ceil((want - cur) / PAGE));
      } catch {
        return -1;
      }
      this.buf = this.memory.buffer;
      this.generations.push(this.buf);
    }
    this.top = end;
    return ptr;
  }
}
