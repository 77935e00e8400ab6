/**
 * The one interface that holds every hot loop in recur.
 *
 * Conventions shared by every backend:
 * - Arrays are `Float32Array` views; a kernel reads/writes from element 0 of the view it is
 *   given (callers pass `subarray`s for offsets). Lengths are taken from the arguments, not
 *   from `.length`, unless documented.
 * - Matrices are row-major. `ld*` is the row stride in elements.
 * - Backward kernels ACCUMULATE into their gradient outputs (`+=`), never overwrite, so a
 *   tensor used twice in a graph receives the sum of both uses.
 * - Outputs may alias inputs in every elementwise kernel (unary, binary, scale, clamp,
 *   axpy): ops rely on in-place forms like `out = out + bias`. Each element is read before
 *   it is written.
 * - The reference backend (js.ts) is dtype-generic: it also runs on Float64Array storage,
 *   which the float64 gradient checks rely on. Other backends are float32 only.
 */
import type { CtcKernels } from './ctc-types.js';
import type { RnnKernels } from './rnn-types.js';

export type UnaryOp = 'neg' | 'exp' | 'log' | 'tanh' | 'sigmoid' | 'relu' | 'sqrt' | 'square' | 'abs';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';
export type ReduceOp = 'sum' | 'max';

/**
 * A right-hand GEMM operand op(B) (K×N) prepared for many products: see Kernels.packB. The
 * fields are the operand as given; backends may attach a packed copy.
 */
export interface PackedB {
  readonly transB: boolean;
  readonly K: number;
  readonly N: number;
  readonly B: Float32Array;
  readonly ldb: number;
}

export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decay the weights directly instead of adding wd*p to the gradient. */
  decoupled: boolean;
  amsgrad: boolean;
  /** 1-based step count, for bias correction. */
  step: number;
}

export interface Kernels extends RnnKernels, CtcKernels {
  readonly name: string;

  /** Storage for a new tensor of n elements, zero-filled. Backends may place it in their own memory. */
  alloc(n: number): Float32Array;
  /**
   * Gives storage from `alloc` back now rather than when its array is garbage-collected. Only
   * for arrays nothing will touch again (autograd's consumed gradients, an op's own scratch and
   * caches). Anything else (a subarray, a plain array, an array of another backend, one already
   * freed) is ignored. A no-op where storage is ordinary JS memory.
   */
  free(a: Float32Array): void;

  fill(x: Float32Array, value: number): void;
  /** dst[i] = src[i] for i < src.length. */
  copy(src: Float32Array, dst: Float32Array): void;
  /** y += alpha * x (length of x). */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  /** out = alpha * x (length of x); out may alias x. */
  scale(alpha: number, x: Float32Array, out: Float32Array): void;
  /** out = clamp(x, lo, hi); out may alias x. */
  clamp(x: Float32Array, lo: number, hi: number, out: Float32Array): void;

  /** out = op(x) elementwise over out.length. */
  unary(op: UnaryOp, x: Float32Array, out: Float32Array): void;
  /** gx += op'(x) * gy. `y` is the forward output (tanh/sigmoid/exp/sqrt use it). */
  unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, gy: Float32Array, gx: Float32Array): void;

  /**
   * out[i] (=|+=) op(a[ia(i)], b[ib(i)]) for i < out.length, where an operand of length m with
   * repeat r is read at floor(i / r) % m. Equal shapes: r = 1, m = n. Trailing broadcast
   * ([3] with [2,3]): r = 1, m = 3. Broadcast of a size-1 trailing axis ([2,1] with [2,3]): r = 3.
   */
  binary(op: BinaryOp, a: Float32Array, aRepeat: number, b: Float32Array, bRepeat: number, out: Float32Array, accumulate: boolean): void;
  /** Adjoint of broadcasting: out[floor(i / repeat) % out.length] += alpha * g[i] for i < g.length. */
  sumToBroadcast(g: Float32Array, repeat: number, out: Float32Array, alpha: number): void;

  /**
   * C = alpha * op(A) · op(B) + beta * C, with op(A) M×K and op(B) K×N. When beta is 0, C is
   * not read (NaN in C does not leak), as in BLAS.
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number): void;
  /**
   * op(B) prepared for many products with different A: a recurrent layer multiplies every
   * timestep's state by the same W_hh. The wasm backend packs it once here instead of once per
   * product; the others keep a reference. B must not change until freePackedB.
   */
  packB(transB: boolean, K: number, N: number, B: Float32Array, ldb: number): PackedB;
  /** gemm with a prepared op(B); N and K must be the ones it was prepared with. */
  gemmPackedB(transA: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, lda: number,
    B: PackedB, beta: number, C: Float32Array, ldc: number): void;
  freePackedB(B: PackedB): void;

  /** Reduces x viewed as [outer, len, inner] over the middle axis into out [outer, inner]. For max, argmax (if given) gets the index along the axis. */
  reduce(op: ReduceOp, x: Float32Array, outer: number, len: number, inner: number, out: Float32Array, argmax?: Int32Array): void;
  /** gx[o, l, i] += alpha * gy[o, i]: the adjoint of a sum over the middle axis. */
  broadcastAxis(gy: Float32Array, outer: number, len: number, inner: number, gx: Float32Array, alpha: number): void;
  /** gx[o, argmax[o, i], i] += gy[o, i]: the adjoint of a max over the middle axis. */
  scatterArgmax(gy: Float32Array, argmax: Int32Array, outer: number, len: number, inner: number, gx: Float32Array): void;
  /** Sum of squares of x (float64 accumulation), for norms. */
  sumSquares(x: Float32Array): number;
  /** max |x|. */
  maxAbs(x: Float32Array): number;

  /** Row-wise (log-)softmax of x [rows, n]. */
  softmax(x: Float32Array, rows: number, n: number, out: Float32Array, log: boolean): void;
  /** gx += dsoftmax: y*(gy - Σ gy·y), or for log-softmax gy - exp(y)·Σ gy. */
  softmaxBackward(y: Float32Array, gy: Float32Array, rows: number, n: number, gx: Float32Array, log: boolean): void;

  /** out[r, :] = table[idx[r], :] for rows of width d. */
  gatherRows(table: Float32Array, d: number, idx: Int32Array, out: Float32Array): void;
  /** table[idx[r], :] += src[r, :]. Repeated indices accumulate. */
  scatterAddRows(src: Float32Array, d: number, idx: Int32Array, table: Float32Array): void;

  /** count blocks of len: dst[dOff + c*dStride + j] (=|+=) src[sOff + c*sStride + j]. Slice and concat. */
  copyBlocks(src: Float32Array, sOff: number, sStride: number, dst: Float32Array, dOff: number, dStride: number,
    len: number, count: number, accumulate: boolean): void;
  /** x [outer, A, mid, B, inner] -> out [outer, B, mid, A, inner] (=|+=). Any transpose(d0, d1). */
  swapAxes(x: Float32Array, outer: number, A: number, mid: number, B: number, inner: number, out: Float32Array, accumulate: boolean): void;

  /** out = cond != 0 ? a : b, all of length out.length. */
  where(cond: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** gx += (cond != 0) === pick ? gy : 0. */
  whereBackward(cond: Float32Array, gy: Float32Array, gx: Float32Array, pick: boolean): void;

  /** Layer normalisation over rows of width n; caches mean and 1/std per row for backward. gamma/beta may be null. */
  layerNorm(x: Float32Array, rows: number, n: number, gamma: Float32Array | null, beta: Float32Array | null, eps: number,
    out: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  layerNormBackward(x: Float32Array, gy: Float32Array, rows: number, n: number, gamma: Float32Array | null,
    mean: Float32Array, rstd: Float32Array, gx: Float32Array | null, gGamma: Float32Array | null, gBeta: Float32Array | null): void;

  /** One Adam/AdamW step in place on p, m, v (and vmax for amsgrad). */
  adamStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, o: AdamParams): void;
}

// ---- Optimizer steps beyond Adam (added with src/optim; RMSprop and Adagrad) ---------------
// Declared as an interface merge so the section stays separate. Both update p (and their
// state) in place, exactly as PyTorch 1.13's single-tensor implementations; `g` is read only.

export interface RmspropParams {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  /** Used only when a momentum buffer is passed. */
  momentum: number;
}

export interface AdagradParams {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  eps: number;
  /** 1-based step count: clr = lr / (1 + (step − 1) · lrDecay). */
  step: number;
}

export interface Kernels {
  /**
   * g' = g + wd·p; sq = α·sq + (1−α)·g'²; centered (gradAvg given): ga = α·ga + (1−α)·g',
   * avg = √(sq − ga²) + eps, else avg = √sq + eps; with a momentum buffer:
   * buf = μ·buf + g'/avg, p −= lr·buf; else p −= lr·g'/avg.
   */
  rmspropStep(p: Float32Array, g: Float32Array, squareAvg: Float32Array, gradAvg: Float32Array | null,
    momentumBuffer: Float32Array | null, o: RmspropParams): void;
  /** g' = g + wd·p; sum += g'²; p −= clr·g' / (√sum + eps). */
  adagradStep(p: Float32Array, g: Float32Array, sum: Float32Array, o: AdagradParams): void;
}

// ---- Linear-chain CRF (added with src/nn/crf.ts) --------------------------------------------
// Sequential dynamic programmes over the tags of each sequence: the forward algorithm (log
// partition function), its adjoint (tag marginals) and Viterbi decoding. Shapes:
// `em [B, T, K]` emission scores (row-major, batch-first), `lengths [B]` valid steps of each
// sequence, each in [1, T]; `trans [K, K]` with trans[i*K + j] the score of tag i followed by
// tag j; `start [K]`, `end [K]` the scores of the first and last tag. Scores may be −Infinity
// (forbidden transitions); a log-sum-exp over only −Infinity terms is −Infinity. Entries of
// per-step arrays past a sequence's length are neither read nor written.

export interface Kernels {
  /**
   * Forward algorithm: alpha[b,0,j] = start[j] + em[b,0,j];
   * alpha[b,t,j] = em[b,t,j] + logsumexp_i(alpha[b,t−1,i] + trans[i,j]);
   * logZ[b] = logsumexp_j(alpha[b,L_b−1,j] + end[j]). Writes alpha [B,T,K] (kept for backward) and logZ [B].
   */
  crfForward(B: number, T: number, K: number, em: Float32Array, lengths: Int32Array, trans: Float32Array,
    start: Float32Array, end: Float32Array, alpha: Float32Array, logZ: Float32Array): void;
  /**
   * Adjoint of crfForward: with beta[b,L−1,i] = end[i], beta[b,t,i] = logsumexp_j(trans[i,j] +
   * em[b,t+1,j] + beta[b,t+1,j]) (written to the workspace `beta` [B,T,K]) and g = gLogZ[b],
   * ACCUMULATES gEm[b,t,j] += g·P(y_t = j), gTrans[i,j] += g·Σ_t P(y_{t−1} = i, y_t = j),
   * gStart[j] += g·P(y_0 = j), gEnd[j] += g·P(y_{L−1} = j). Any gradient output may be null.
   */
  crfBackward(B: number, T: number, K: number, em: Float32Array, lengths: Int32Array, trans: Float32Array,
    start: Float32Array, end: Float32Array, alpha: Float32Array, logZ: Float32Array, gLogZ: Float32Array,
    beta: Float32Array, gEm: Float32Array | null, gTrans: Float32Array | null, gStart: Float32Array | null,
    gEnd: Float32Array | null): void;
  /**
   * Viterbi: the highest-scoring tag path of each sequence. `delta [B,T,K]` and `backptr [B,T,K]`
   * are workspaces; writes paths [B,T] (−1 past each length) and the best path's score [B].
   * Ties go to the lowest tag index.
   */
  crfViterbi(B: number, T: number, K: number, em: Float32Array, lengths: Int32Array, trans: Float32Array,
    start: Float32Array, end: Float32Array, delta: Float32Array, backptr: Int32Array, paths: Int32Array,
    scores: Float32Array): void;
}

// ---- Attention: batched matrix-vector products (added with src/nn/attention.ts) ---------------
// Each decoder step scores a query against every memory position and averages the memory by
// the weights: per batch entry a matrix-vector product with a [M, N] matrix. As B separate
// GEMM calls these run at a few percent of peak (N = 1, and the backward becomes rank-1
// GEMMs), so they are kernels of their own. A is [batch, M, N] row-major.

export interface Kernels {
  /**
   * trans = false: y[b, m] (=|+=) Σ_n A[b, m, n] · x[b, n]   (x [batch, N], y [batch, M]);
   * trans = true:  y[b, n] (=|+=) Σ_m A[b, m, n] · x[b, m]   (x [batch, M], y [batch, N]).
   */
  bmv(trans: boolean, batch: number, M: number, N: number, A: Float32Array, x: Float32Array, y: Float32Array, accumulate: boolean): void;
  /** A[b, m, n] += x[b, m] · y[b, n]: batched rank-1 update (the matrix gradient of bmv). */
  bger(batch: number, M: number, N: number, x: Float32Array, y: Float32Array, A: Float32Array): void;
}

// ---- Int8 matrix-vector product for generation (added with src/nn/rnn/stepper.ts) ------------
// Batch-1 generation is bound by reading the weights, once per token; int8 weights read a
// quarter of the bytes. The semantics are defined down to every float rounding so that every
// backend gives BIT-IDENTICAL results (the tests compare them exactly); qgemv-js.ts is the
// reference.

export interface Kernels {
  /**
   * y[n] = beta·y[n] + scale[n]·sx·acc_n for n < N, with W int8 [N, K] row-major (row stride K,
   * entries in [−127, 127], usually from quantizeRows) and x float32 [K]. Exactly, with every
   * named float value rounded to float32 (fl = round to nearest, ties to even):
   *
   * 1. amax = max_k |x[k]|. If amax is NaN or ±Infinity, y[n] = NaN for every n. If
   *    amax < 2^−96 (all-zero or negligible activations), x counts as zero: y[n] = fl(beta·y[n])
   *    (0 when beta is 0).
   * 2. sx = fl(amax / 32767), inv = fl(32767 / amax);
   *    xq[k] = clamp(roundTiesToEven(fl(x[k]·inv)), −32767, 32767), an int16.
   * 3. acc_{n,c} = Σ_{k in chunk c} W[n,k]·xq[k], exactly, over chunks of 512 consecutive k
   *    (c = 0, 1, ...). |W·xq| ≤ 127·32767 < 2^22, so any partial sum of a chunk stays below
   *    512·127·32767 = 2,130,641,408 < 2^31: an int32 accumulator never overflows, whatever
   *    the order or lane split inside the chunk.
   * 4. s_n = 0; for each chunk in order: s_n = fl(s_n + fl(acc_{n,c})).
   * 5. a_n = fl(sx·scale[n]); v_n = fl(a_n·s_n); y[n] = v_n if beta == 0 (y is not read, as in
   *    BLAS), else fl(fl(beta·y[n]) + v_n). No fused multiply-add anywhere. beta is taken as
   *    float32.
   *
   * W, scale and x are read only; y must not alias them.
   */
  qgemv(N: number, K: number, W: Int8Array, scale: Float32Array, x: Float32Array, beta: number, y: Float32Array): void;
}
