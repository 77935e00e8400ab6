import { RecurError } from '../../errors.js';
import { allocStorage, kernels } from '../../kernels/index.js';
import { shapeStr } from '../../tensor/shape.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Fills t with U(-bound, bound) in place: PyTorch's RNN default uses bound = 1/√hiddenSize. */
export function uniform_(t: Tensor, bound: number, rng: Rng = globalRng): Tensor {
  rng.fillUniform(t.data, -bound, bound);
  return t;
}

/**
 * Fills the 2-D tensor t [rows, cols] (or the row block [rowStart, rowStart+rows) of it) with
 * a (semi-)orthogonal matrix, as torch.nn.init.orthogonal_: draw a Gaussian, take its QR
 * decomposition and fix the signs so R has a positive diagonal, which makes Q unique and
 * Haar-distributed. If rows < cols the QR is of the transpose and the rows come out
 * orthonormal, else the columns do. Scaled by gain.
 */
export function orthogonal_(t: Tensor, gain = 1, rng: Rng = globalRng, rowStart = 0, rows = t.shape[0]!): Tensor {
  if (t.ndim !== 2) throw new RecurError(`orthogonal_: expected a 2-D tensor, got shape ${shapeStr(t.shape)}`);
  const cols = t.shape[1]!;
  // Work on the transpose At [n, m] (n ≤ m): its rows are the columns of the tall A [m, n], so
  // Householder vectors are contiguous rows and the trailing updates are row-major GEMMs.
  const n = Math.min(rows, cols), m = Math.max(rows, cols);
  const At = allocStorage(n * m);
  rng.fillNormal(At, 0, 1);
  const Qt = householderQt(At, n, m);
  const dst = t.data.subarray(rowStart * cols, (rowStart + rows) * cols);
  if (rows < cols) {
    // Result is Qᵀ [n, m] = [rows, cols]: exactly Qt.
    kernels().scale(gain, Qt, dst);
  } else {
    // Result is Q [m, n] = [rows, cols]: the transpose of Qt.
    kernels().swapAxes(Qt, 1, n, 1, m, 1, dst, false);
    if (gain !== 1) kernels().scale(gain, dst, dst);
  }
  return t;
}

/** Panel width of the blocked QR: the panel is scalar code, the rest goes through GEMM. */
const NB = 64;

/**
 * Thin Q of A [m, n] = Atᵀ with R's diagonal made positive, returned transposed as Qt [n, m].
 * Blocked Householder (LAPACK geqrf + orgqr with the compact WY form I - V T Vᵀ): each panel
 * of NB columns is factored column by column, then applied to the rest of the matrix with
 * three GEMMs; Q is then accumulated block by block from the last. At is overwritten.
 */
function householderQt(At: Float32Array, n: number, m: number): Float32Array {
  const K = kernels();
  const tau = new Float64Array(n);
  const diagSign = new Float64Array(n);
  const blocks: Array<{ k0: number; kb: number; T: Float32Array }> = [];
  const Vt = allocStorage(NB * m);
  const W = allocStorage(n * NB), W2 = allocStorage(n * NB);

  for (let k0 = 0; k0 < n; k0 += NB) {
    const kb = Math.min(NB, n - k0);
    for (let k = k0; k < k0 + kb; k++) {
      const row = k * m, len = m - k;
      const tail = At.subarray(row + k + 1, row + m);
      const alpha = At[row + k]!;
      const norm = Math.sqrt(alpha * alpha + K.sumSquares(tail));
      if (norm === 0) { tau[k] = 0; diagSign[k] = 1; continue; }
      const beta = alpha >= 0 ? -norm : norm;
      tau[k] = (beta - alpha) / beta;
      K.scale(1 / (alpha - beta), tail, tail);
      diagSign[k] = beta > 0 ? 1 : -1;
      // Apply H_k to the rest of the panel, a ← a - tau (a·v) v with v = (1, tail), as a
      // matrix-vector product and a rank-1 update so the fast GEMM does this part too.
      const q = k0 + kb - k - 1;
      At[row + k] = 1;
      if (q > 0) {
        const v = At.subarray(row + k, row + m), rest = At.subarray(row + m + k);
        K.gemm(false, true, q, 1, len, 1, rest, m, v, len, 0, W, 1);
        K.gemm(false, false, q, len, 1, -tau[k]!, W, 1, v, len, 1, rest, m);
      }
      At[row + k] = beta;
    }
    const mp = m - k0;
    const V = loadV(At, m, k0, kb, Vt);
    const T = formT(V, kb, mp, tau, k0);
    blocks.push({ k0, kb, T });
    const r = n - k0 - kb;
    if (r > 0) {
      // Trailing rows a ← a - (a V) T Vᵀ, i.e. Q_blockᵀ applied to the remaining columns of A.
      const C = At.subarray((k0 + kb) * m + k0);
      K.gemm(false, true, r, kb, mp, 1, C, m, V, mp, 0, W, kb);
      K.gemm(false, false, r, kb, kb, 1, W, kb, T, kb, 0, W2, kb);
      K.gemm(false, false, r, mp, kb, -1, W2, kb, V, mp, 1, C, m);
    }
  }

  // Q = H_0 … H_{n-1} [I; 0], accumulated from the last block: rows k0: of Q see only blocks ≥ k0.
  const Qt = allocStorage(n * m);
  for (let i = 0; i < n; i++) Qt[i * m + i] = 1;
  for (let bi = blocks.length - 1; bi >= 0; bi--) {
    const { k0, kb, T } = blocks[bi]!;
    const mp = m - k0, r = n - k0;
    const V = loadV(At, m, k0, kb, Vt);
    const C = Qt.subarray(k0 * m + k0);
    K.gemm(false, true, r, kb, mp, 1, C, m, V, mp, 0, W, kb);
    K.gemm(false, true, r, kb, kb, 1, W, kb, T, kb, 0, W2, kb);
    K.gemm(false, false, r, mp, kb, -1, W2, kb, V, mp, 1, C, m);
  }
  // Sign fix, as torch: Q ← Q·diag(sign(R_kk)); row k of Qt is column k of Q.
  for (let k = 0; k < n; k++) if (diagSign[k]! < 0) K.scale(-1, Qt.subarray(k * m, (k + 1) * m), Qt.subarray(k * m, (k + 1) * m));
  return Qt;
}

/** The block's Householder vectors as explicit rows Vt [kb, m-k0]: zeros, a unit, then the stored tail. */
function loadV(At: Float32Array, m: number, k0: number, kb: number, Vt: Float32Array): Float32Array {
  const mp = m - k0;
  const V = Vt.subarray(0, kb * mp);
  V.fill(0);
  for (let i = 0; i < kb; i++) {
    const k = k0 + i;
    V[i * mp + i] = 1;
    V.set(At.subarray(k * m + k + 1, (k + 1) * m), i * mp + i + 1);
  }
  return V;
}

/** Upper-triangular T with H_k0 … H_{k0+kb-1} = I - V T Vᵀ (LAPACK larft, forward, columnwise). */
function formT(V: Float32Array, kb: number, mp: number, tau: Float64Array, k0: number): Float32Array {
  const S = allocStorage(kb * kb);
  kernels().gemm(false, true, kb, kb, mp, 1, V, mp, V, mp, 0, S, kb);
  const T = allocStorage(kb * kb);
  for (let i = 0; i < kb; i++) {
    const ti = tau[k0 + i]!;
    T[i * kb + i] = ti;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let l = j; l < i; l++) s += T[j * kb + l]! * S[l * kb + i]!;
      T[j * kb + i] = -ti * s;
    }
  }
  return T;
}
