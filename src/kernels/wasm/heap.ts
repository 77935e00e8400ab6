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
 * Allocator. Two kinds of blocks, both 64-byte aligned (cache lines; SIMD):
 * - Small (< 1 MiB): size classes in steps of x1.5 / x1.33 (64, 96, 128, 192, ... bytes), one
 *   free list per class, bump allocation for new blocks, no coalescing. The same shapes recur
 *   every step, so blocks are reused exactly.
 * - Large (>= 1 MiB): exact sizes (rounded to 4 KiB) from an address-ordered list of free
 *   extents, best fit, split on allocation, merged with free neighbours on release; an extent
 *   that reaches the top of the heap lowers the top instead. Size classes fail here: with
 *   variable-length batches every length lands in its own class, each keeping its own free
 *   blocks, and the budget runs out well below it (docs/kernels.md).
 *
 * Reclaiming. Each returned view is registered with a FinalizationRegistry; when the view is
 * garbage-collected its block goes back to its free list. Code that knows a view is dead
 * (autograd's consumed gradients, an op's scratch) gives it back sooner with `free`: a block
 * freed in a step is reused in the same step, and memory does not wait for the collector.
 * Caveats, documented for users:
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
  /** Of those, bytes given back by `free` rather than by the garbage collector. */
  freedBytes: number;
  /** Blocks handed out / reclaimed over the heap's lifetime. */
  allocs: number;
  frees: number;
  /** Allocations that did not fit the budget and got a plain JS array. */
  fallbacks: number;
  /** The budget: the most linear memory the heap may use. */
  budgetBytes: number;
  /** Whether the memory is shared (growable without detaching). */
  shared: boolean;
}

const PAGE = 65536;
const MIN_CLASS_BYTES = 64;
/** Blocks of at least this many bytes are large (see the allocator note above). */
export const LARGE_BYTES = 1 << 20;
const LARGE_GRAIN = 4096;
/** The class tag of large blocks in the finalizer's packed value (small classes stay below 50). */
const LARGE_TAG = 63;

const largeSize = (bytes: number): number => Math.ceil(bytes / LARGE_GRAIN) * LARGE_GRAIN;

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
  /** Free large extents, sorted by address, never adjacent to each other or to the top. */
  private readonly extStart: number[] = [];
  private readonly extEnd: number[] = [];
  /** Sizes of live large blocks by pointer. */
  private readonly largeLive = new Map<number, number>();
  /** Everything below this address has been handed out before, so may hold old data. */
  private dirtyTop: number;
  private readonly registry: FinalizationRegistry<number>;
  private liveBytes = 0;
  private allocatedBytes = 0;
  private freedBytes = 0;
  private allocs = 0;
  private frees = 0;
  private fallbacks = 0;
  /** Zeroes n floats at a byte address: the module's memset (fillF32), not TypedArray.fill. */
  private readonly zero: (ptr: number, n: number) => void;

  constructor(memory: WebAssembly.Memory, shared: boolean, heapBase: number, maxBytes: number,
    zero: (ptr: number, n: number) => void) {
    this.memory = memory;
    this.zero = zero;
    this.shared = shared;
    this.buf = memory.buffer;
    this.generations = [this.buf];
    // Never hand out address 0: kernels use 0 for "absent" (e.g. layer norm without gamma).
    this.top = Math.max(1024, Math.ceil(heapBase / 64) * 64);
    this.dirtyTop = this.top;
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

  /**
   * Tensor storage, zero-filled unless `zero` is false (`empty`: a reused block keeps what it
   * held); a plain Float32Array when the wasm budget is exhausted.
   */
  alloc(n: number, zero = true): Float32Array {
    if (n === 0) return new Float32Array(0);
    const b = this.take(n * 4);
    if (b.ptr < 0) {
      this.fallbacks++;
      return new Float32Array(n);
    }
    const view = new Float32Array(this.buf, b.ptr, n);
    if (zero && b.dirty) this.zero(b.ptr, n);
    // The view is also its own unregister token: `free` finds its block by it.
    this.registry.register(view, b.ptr + b.tag, view);
    return view;
  }

  /**
   * Gives an `alloc` view's block back at once. Views the heap did not hand out, or has
   * already taken back, are not registered, so they are ignored (subarrays and fallback arrays
   * included).
   */
  free(view: Float32Array): void {
    if (!this.registry.unregister(view)) return;
    const bytes = view.byteLength, live = this.liveBytes;
    this.release(view.byteOffset, bytes >= LARGE_BYTES ? LARGE_TAG : sizeClass(bytes));
    this.freedBytes += live - this.liveBytes;
  }

  /**
   * A block for internal use (scratch, GEMM packing), not tracked by the GC: the caller frees
   * it with `freeRaw(ptr, bytes)`. Returns -1 when the budget is exhausted. Not zero-filled.
   */
  allocRaw(bytes: number): number {
    return this.take(Math.max(bytes, 1)).ptr;
  }

  freeRaw(ptr: number, bytes: number): void {
    this.release(ptr, Math.max(bytes, 1) >= LARGE_BYTES ? LARGE_TAG : sizeClass(Math.max(bytes, 1)));
  }

  /** A block of at least `bytes`: its pointer (-1 over budget), its tag, and whether it may hold old data. */
  private take(bytes: number): { ptr: number; tag: number; dirty: boolean } {
    let ptr: number, size: number, tag: number;
    if (bytes >= LARGE_BYTES) {
      size = largeSize(bytes);
      tag = LARGE_TAG;
      ptr = this.takeExtent(size);
      if (ptr < 0) ptr = this.bump(size);
      if (ptr >= 0) this.largeLive.set(ptr, size);
    } else {
      tag = sizeClass(bytes);
      size = classBytes(tag);
      ptr = this.freeLists[tag]?.pop() ?? this.bump(size);
    }
    if (ptr < 0) return { ptr, tag, dirty: false };
    this.allocs++;
    this.liveBytes += size;
    this.allocatedBytes += size;
    const dirty = ptr < this.dirtyTop;
    this.dirtyTop = Math.max(this.dirtyTop, ptr + size);
    return { ptr, tag, dirty };
  }

  /** Best fit among the free extents; -1 when none is big enough. */
  private takeExtent(size: number): number {
    let best = -1;
    for (let i = 0; i < this.extStart.length; i++) {
      const len = this.extEnd[i]! - this.extStart[i]!;
      if (len >= size && (best < 0 || len < this.extEnd[best]! - this.extStart[best]!)) best = i;
    }
    if (best < 0) return -1;
    const ptr = this.extStart[best]!;
    if (this.extEnd[best]! - ptr === size) {
      this.extStart.splice(best, 1);
      this.extEnd.splice(best, 1);
    } else {
      this.extStart[best] = ptr + size;
    }
    return ptr;
  }

  /** Returns [ptr, end) to the free extents, merging with its neighbours or lowering the top. */
  private freeExtent(ptr: number, end: number): void {
    let i = 0;
    while (i < this.extStart.length && this.extStart[i]! < ptr) i++;
    if (i > 0 && this.extEnd[i - 1] === ptr) {
      i--;
      ptr = this.extStart[i]!;
      this.extStart.splice(i, 1);
      this.extEnd.splice(i, 1);
    }
    if (i < this.extStart.length && this.extStart[i] === end) {
      end = this.extEnd[i]!;
      this.extStart.splice(i, 1);
      this.extEnd.splice(i, 1);
    }
    if (end === this.top) this.top = ptr;
    else {
      this.extStart.splice(i, 0, ptr);
      this.extEnd.splice(i, 0, end);
    }
  }

  stats(): HeapStats {
    return {
      memoryBytes: this.memory.buffer.byteLength, topBytes: this.top, liveBytes: this.liveBytes,
      allocatedBytes: this.allocatedBytes, freedBytes: this.freedBytes, allocs: this.allocs, frees: this.frees, fallbacks: this.fallbacks, budgetBytes: this.maxBytes, shared: this.shared,
    };
  }

  private release(ptr: number, tag: number): void {
    this.frees++;
    if (tag === LARGE_TAG) {
      const size = this.largeLive.get(ptr);
      if (size === undefined) throw new Error(`wasm heap: large block at ${ptr} released twice or never allocated`);
      this.largeLive.delete(ptr);
      this.liveBytes -= size;
      this.freeExtent(ptr, ptr + size);
      return;
    }
    this.liveBytes -= classBytes(tag);
    (this.freeLists[tag] ??= []).push(ptr);
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
