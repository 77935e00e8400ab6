/**
 * Worker threads for big GEMMs and the recurrent gate kernels (two cores: the calling thread
 * plus one worker).
 *
 * Each worker instantiates the SAME compiled module on the SAME shared memory, so a job is a
 * handful of integers: the worker computes a slab of C (rows, or columns), or a range of rows
 * of a gate kernel (ROW_KERNELS), while the calling thread computes the rest. Splitting C never
 * changes a result bit: every element sees the same K blocking and the same arithmetic (see
 * mergeTile in assembly/gemm.ts); gate kernels treat every row alike.
 *
 * Synchronisation is a small Int32 control block per worker in wasm memory: the caller writes
 * the job and bumps `seq` (Atomics.notify); the worker spins briefly, then sleeps in
 * Atomics.wait; when done it stores `done = seq` and notifies. The caller, after its own part,
 * spins a bounded number of times and then blocks in Atomics.wait (browsers' main thread may not
 * block: there it only spins). A job is claimed with a compare-exchange before it runs: if the
 * caller finishes its own part while the worker has not started (descheduled on a busy
 * machine), it takes the job back and runs it itself, so splitting never waits on a sleeping
 * thread. A round trip costs tens of microseconds, so only products of more than PAR_MIN_FLOPS
 * are split (docs/architecture.md, "Worker threads"; the measurements behind the thresholds
 * are in docs/kernels.md).
 *
 * Needs shared memory. Workers start asynchronously; until one reports ready, GEMMs
 * run on the calling thread alone. Node: workers are unref'd, so they never keep a process
 * alive. Disable with RECUR_THREADS=1.
 */
import type { WasmExports } from './exports.js';
import type { WasmHeap } from './heap.js';

/** Below this many flops (2MNK) a product runs on the calling thread. */
export const PAR_MIN_FLOPS = 8e6;
/**
 * Matrix-vector products (M = 1 or N = 1) are split from this many matrix elements (1 MiB) on:
 * they are bound by memory, and each thread reading half the matrix through its own core's
 * caches is what pays.
 */
export const PAR_MIN_GEMV_ELEMS = 1 << 18;

// Control block layout (Int32 slots; alpha and beta as float32 bits).
const SEQ = 0, DONE = 1, READY = 2, FAILED = 3, CLAIM = 4;
/** CLAIM = seq: job seq is open; seq | CLAIMED: a worker runs it; 0: the caller took it back. Seqs are 1..2^30-1. */
const CLAIMED = 0x40000000;
const P = 8; // job parameters start here
/** Slot of the job kind: 0 gemm, i + 1 ROW_KERNELS[i]. */
const KIND = P + 15;
const CTRL_BYTES = 128;

/** Exports a worker can run over a range of rows: at most 9 integer arguments (counts, pointers). */
export const ROW_KERNELS = ['lstmGatesForward', 'lstmGatesBackward', 'gruGatesForward', 'gruGatesBackward'] as const;
export type RowKernel = (typeof ROW_KERNELS)[number];
/** Row kernels are split from this many elements per gate (rows x H) on. */
export const PAR_MIN_ROW_ELEMS = 4096;

/** Worker body, as source text so it needs no separate file (Node eval workers and browser Blob workers). */
const WORKER_SRC = `
const isNode = typeof process !== 'undefined' && !!(process.versions && process.versions.node);
const port = isNode ? require('worker_threads').parentPort : self;
const onMsg = (fn) => isNode ? port.once('message', fn) : (self.onmessage = (e) => fn(e.data));
onMsg(({ module, memory, ctrl }) => {
  const w = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const c = new Int32Array(memory.buffer, ctrl, ${CTRL_BYTES / 4});
  const f = new Float32Array(memory.buffer, ctrl, ${CTRL_BYTES / 4});
  Atomics.store(c, ${READY}, 1);
  let seen = Atomics.load(c, ${SEQ});
  for (;;) {
    let spins = 0;
    while (Atomics.load(c, ${SEQ}) === seen) {
      if (++spins > 20000) { Atomics.wait(c, ${SEQ}, seen); spins = 0; }
    }
    seen = Atomics.load(c, ${SEQ});
    if (seen < 0) return;
    // The caller takes the job back if it finishes its own part first (a descheduled worker
    // must not make a split product slower than an unsplit one): whoever claims it runs it.
    // CLAIM holds the seq of the open job, so only THAT job can be claimed: a worker that saw
    // job n late must not claim job n+1 (posted after the caller took n back) and then report
    // it done as n, which left the caller waiting forever.
    if (Atomics.compareExchange(c, ${CLAIM}, seen, seen | ${CLAIMED}) !== seen) continue;
    try {
      const kind = c[${KIND}];
      if (kind === 0) {
        w.gemm(c[${P}], c[${P + 1}], c[${P + 2}], c[${P + 3}], c[${P + 4}], f[${P + 5}],
          c[${P + 6}], c[${P + 7}], c[${P + 8}], c[${P + 9}], f[${P + 10}], c[${P + 11}], c[${P + 12}], c[${P + 13}]);
      } else {
        w[${JSON.stringify(ROW_KERNELS)}[kind - 1]](c[${P}], c[${P + 1}], c[${P + 2}], c[${P + 3}], c[${P + 4}],
          c[${P + 5}], c[${P + 6}], c[${P + 7}], c[${P + 8}]);
      }
    } catch (e) {
      Atomics.store(c, ${FAILED}, 1);
    }
    Atomics.store(c, ${DONE}, seen);
    Atomics.notify(c, ${DONE});
  }
});
`;

/** A worker's speed relative to the calling thread's, for sizing its share of a job. */
interface Balance {
  ratio: number;
}
const BALANCE_MIN = 0.25, BALANCE_MAX = 2;

interface WorkerHandle {
  ctrl: Int32Array;
  ctrlF: Float32Array;
  work: number;
  workBytes: number;
  seq: number;
  terminate(): void;
}

interface NodeWorkerCtor {
  new (src: string, opts: { eval: boolean }): { postMessage(m: unknown): void; unref(): void; terminate(): unknown; on(ev: string, fn: () => void): void };
}

function spawn(onError: () => void): ((msg: unknown) => void) & { terminate(): void } | null {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (proc?.versions?.node) {
    const wt = proc.getBuiltinModule?.('node:worker_threads') as { Worker: NodeWorkerCtor } | undefined;
    if (!wt) return null;
    const w = new wt.Worker(WORKER_SRC, { eval: true });
    w.unref();
    w.on('error', onError);
    return Object.assign((m: unknown) => w.postMessage(m), { terminate: () => void w.terminate() });
  }
  if (typeof Worker === 'undefined' || typeof Blob === 'undefined') return null;
  const url = URL.createObjectURL(new Blob([WORKER_SRC], { type: 'text/javascript' }));
  const w = new Worker(url);
  w.onerror = onError;
  return Object.assign((m: unknown) => w.postMessage(m), { terminate: () => w.terminate() });
}

/** Whether this thread may block in Atomics.wait (not a browser main thread). */
function canBlock(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; document?: unknown };
  return !!g.process?.versions?.node || typeof g.document === 'undefined';
}

export class GemmPool {
  private readonly workers: WorkerHandle[] = [];
  private readonly w: WasmExports;
  private readonly heap: WasmHeap;
  private readonly blocking = canBlock();
  private dead = false;
  /** Products split so far (tests, diagnostics). */
  splits = 0;
  /** Worker speed relative to this thread, learnt per kind of job (see finish). */
  readonly gemmBalance: Balance = { ratio: 1 };
  readonly rowBalance: Balance = { ratio: 1 };

  private constructor(w: WasmExports, heap: WasmHeap) {
    this.w = w;
    this.heap = heap;
  }

  /** Starts `threads - 1` workers; null if threads are unavailable (no shared memory, no Worker). */
  static create(module: WebAssembly.Module, w: WasmExports, heap: WasmHeap, threads: number): GemmPool | null {
    if (!heap.shared || threads < 2) return null;
    const pool = new GemmPool(w, heap);
    for (let i = 1; i < threads; i++) {
      const ctrlPtr = heap.allocRaw(CTRL_BYTES);
      if (ctrlPtr < 0) break;
      const ctrl = new Int32Array(heap.buf, ctrlPtr, CTRL_BYTES / 4);
      ctrl.fill(0);
      let post: ReturnType<typeof spawn>;
      try {
        post = spawn(() => { pool.dead = true; });
      } catch {
        post = null;
      }
      if (!post) break;
      post({ module, memory: heap.memory, ctrl: ctrlPtr });
      pool.workers.push({ ctrl, ctrlF: new Float32Array(heap.buf, ctrlPtr, CTRL_BYTES / 4), work: 0, workBytes: 0, seq: 0, terminate: post.terminate });
    }
    return pool.workers.length ? pool : null;
  }

  /** Workers that have instantiated the module and can take jobs. */
  readyCount(): number {
    return this.dead ? 0 : this.ready().length;
  }

  private ready(): WorkerHandle[] {
    return this.workers.filter((h) => Atomics.load(h.ctrl, READY) === 1 && Atomics.load(h.ctrl, FAILED) === 0);
  }

  /**
   * C = alpha op(A) op(B) + beta C split across the ready workers and this thread. Pointers are
   * byte addresses (already marshalled); `work` is this thread's packing workspace. Returns
   * false (nothing done) when no worker is ready, so the caller runs it alone.
   */
  gemm(tA: boolean, tB: number, M: number, N: number, K: number, alpha: number, A: number, lda: number,
    B: number, ldb: number, beta: number, C: number, ldc: number, work: number): boolean {
    const ready = this.ready();
    if (this.dead || ready.length === 0) return false;
    // Split the longer side of C, on tile boundaries (MR = 2 rows, NR = 16 columns).
    const byRows = M >= N;
    const total = byRows ? M : N, unit = byRows ? 2 : 16;
    const [mine, chunk] = this.slabs(this.gemmBalance, total, unit, ready.length);
    const wsBytes = this.w.gemmWorkBytes(byRows ? chunk : M, byRows ? N : chunk, K);
    const jobs: Array<[WorkerHandle, number]> = [];
    let start = mine; // this thread takes [0, mine)
    for (const h of ready) {
      if (start >= total) break;
      if (h.workBytes < wsBytes) {
        if (h.workBytes) this.heap.freeRaw(h.work, h.workBytes);
        const p = this.heap.allocRaw(wsBytes);
        h.work = p < 0 ? 0 : p;
        h.workBytes = p < 0 ? 0 : wsBytes;
        if (p < 0) break;
      }
      const len = Math.min(chunk, total - start);
      const c = h.ctrl, f = h.ctrlF;
      c[P] = tA ? 1 : 0; c[P + 1] = tB;
      c[P + 2] = byRows ? len : M; c[P + 3] = byRows ? N : len; c[P + 4] = K;
      f[P + 5] = alpha;
      // Row slab: rows of op(A) and C move; column slab: columns of op(B) and C move (packed
      // B, tB = 2 with ldb = K: column j's panel starts j*K floats in, as for tB = 1).
      const aOff = byRows ? (tA ? start : start * lda) : 0;
      const bOff = byRows ? 0 : (tB ? start * ldb : start);
      const cOff = byRows ? start * ldc : start;
      c[P + 6] = A + 4 * aOff; c[P + 7] = lda; c[P + 8] = B + 4 * bOff; c[P + 9] = ldb;
      f[P + 10] = beta; c[P + 11] = C + 4 * cOff; c[P + 12] = ldc; c[P + 13] = h.work;
      c[KIND] = 0;
      jobs.push([h, this.post(h)]);
      start += len;
    }
    if (jobs.length === 0) return false;
    this.splits++;
    // This thread's slab, then the rest if some worker could not take its part.
    this.w.gemm(tA ? 1 : 0, tB, byRows ? mine : M, byRows ? N : mine, K, alpha, A, lda, B, ldb, beta, C, ldc, work);
    if (start < total) {
      const len = total - start;
      const aOff = byRows ? (tA ? start : start * lda) : 0;
      const bOff = byRows ? 0 : (tB ? start * ldb : start);
      const cOff = byRows ? start * ldc : start;
      this.w.gemm(tA ? 1 : 0, tB, byRows ? len : M, byRows ? N : len, K, alpha, A + 4 * aOff, lda, B + 4 * bOff, ldb, beta, C + 4 * cOff, ldc, work);
    }
    this.finish(this.gemmBalance, jobs, (c, f) => this.w.gemm(c[P]!, c[P + 1]!, c[P + 2]!, c[P + 3]!, c[P + 4]!, f[P + 5]!, c[P + 6]!, c[P + 7]!,
      c[P + 8]!, c[P + 9]!, f[P + 10]!, c[P + 11]!, c[P + 12]!, work));
    return true;
  }

  /**
   * Runs a row kernel over rows [0, rows) split with the ready workers; args(r0, r1) gives its
   * arguments for rows [r0, r1). Rows are independent, so the bits are those of one call.
   * Returns false (nothing done) when no worker is ready.
   */
  rows(fn: RowKernel, rows: number, args: (r0: number, r1: number) => number[]): boolean {
    const ready = this.ready();
    if (this.dead || ready.length === 0 || rows < 2) return false;
    const [mine, chunk] = this.slabs(this.rowBalance, rows, 1, ready.length);
    const jobs: Array<[WorkerHandle, number]> = [];
    let start = mine;
    for (const h of ready) {
      if (start >= rows) break;
      const end = Math.min(rows, start + chunk);
      const a = args(start, end);
      for (let i = 0; i < a.length; i++) h.ctrl[P + i] = a[i]!;
      h.ctrl[KIND] = ROW_KERNELS.indexOf(fn) + 1;
      jobs.push([h, this.post(h)]);
      start = end;
    }
    if (jobs.length === 0) return false;
    this.splits++;
    const run = (a: number[]): void => (this.w[fn] as (...xs: number[]) => void)(...a);
    run(args(0, mine));
    // Rows left over when a worker could not take its part.
    if (start < rows) run(args(start, rows));
    this.finish(this.rowBalance, jobs, (c) => run(Array.from(c.subarray(P, P + 9))));
    return true;
  }

  /** Opens the job written into h's control block; returns its seq. */
  private post(h: WorkerHandle): number {
    const c = h.ctrl;
    h.seq = (h.seq % (CLAIMED - 1)) + 1;
    Atomics.store(c, CLAIM, h.seq);
    Atomics.store(c, SEQ, h.seq);
    Atomics.notify(c, SEQ);
    return h.seq;
  }

  /**
   * This thread's share of `total` and each worker's, in multiples of `unit`: in proportion to
   * the balance's speed ratio (worker / this thread), which finish() keeps adjusting.
   */
  private slabs(b: Balance, total: number, unit: number, workers: number): [number, number] {
    const mine = Math.min(total, Math.ceil(total / (1 + workers * b.ratio) / unit) * unit);
    return [mine, Math.ceil((total - mine) / workers / unit) * unit];
  }

  /**
   * Waits for each job, or takes it back and runs it here (runHere) if its worker has not
   * started. Then nudges the balance: the two cores of a VM often run at different speeds for
   * seconds at a time, and an even split then leaves the faster one waiting.
   */
  private finish(b: Balance, jobs: Array<[WorkerHandle, number]>, runHere: (c: Int32Array, f: Float32Array) => void): void {
    for (const [h, seq] of jobs) {
      if (Atomics.compareExchange(h.ctrl, CLAIM, seq, 0) === seq) {
        // Not started: run it here (same arithmetic, same bits).
        runHere(h.ctrl, h.ctrlF);
        b.ratio = Math.max(BALANCE_MIN, b.ratio * 0.9);
      } else if (Atomics.load(h.ctrl, DONE) === seq) {
        b.ratio = Math.min(BALANCE_MAX, b.ratio * 1.02);
      } else {
        this.join(h, seq);
        b.ratio = Math.max(BALANCE_MIN, b.ratio * 0.98);
      }
    }
    if (jobs.some(([h]) => Atomics.load(h.ctrl, FAILED) !== 0)) throw new Error('recur wasm: a worker job failed');
  }

  private join(h: WorkerHandle, seq: number): void {
    let spins = 0;
    while (Atomics.load(h.ctrl, DONE) !== seq) {
      if (this.blocking && ++spins > 2000) {
        // Bounded spin, then sleep until notified (timeout guards against a dead worker).
        const prev = Atomics.load(h.ctrl, DONE);
        if (prev !== seq && Atomics.wait(h.ctrl, DONE, prev, 10000) === 'timed-out' && Atomics.load(h.ctrl, DONE) !== seq) {
          this.dead = true;
          throw new Error('recur wasm: a GEMM worker stopped responding');
        }
      }
    }
  }

  /** Stops the workers (tests; the process may also just exit). */
  close(): void {
    for (const h of this.workers) {
      Atomics.store(h.ctrl, SEQ, -1);
      Atomics.notify(h.ctrl, SEQ);
      h.terminate();
    }
    this.workers.length = 0;
    this.dead = true;
  }
}
