import { ctcJsKernels } from './ctc-js.js';
import { qgemvJsKernels } from './qgemv-js.js';
import { rnnJsKernels } from './rnn-js.js';
import type { AdagradParams, AdamParams, BinaryOp, Kernels, PackedB, ReduceOp, RmspropParams, UnaryOp } from './types.js';

/** A PackedB that is the operand itself: for backends whose gemm needs no packing from us. */
export function unpackedB(transB: boolean, K: number, N: number, B: Float32Array, ldb: number): PackedB {
  return { transB, K, N, B, ldb };
}

/** Throws unless a product's K and N are the ones op(B) was prepared with. */
export function checkPackedB(p: PackedB, N: number, K: number): void {
  if (p.N !== N || p.K !== K) throw new RangeError(`gemmPackedB: op(B) was prepared as ${p.K}x${p.N}, the product needs ${K}x${N}`);
}

/**
 * The plain TypeScript reference backend. Clear over clever: every other backend is tested
 * against it. It never allocates Float32Array scratch itself, so it also runs on Float64Array
 * storage for the float64 gradient checks.
 */
export const jsKernels: Kernels = {
  name: 'js',
  ...rnnJsKernels,
  ...qgemvJsKernels,
  ...ctcJsKernels,

  alloc: (n) => new Float32Array(n),
  free: () => {},

  fill(x, value) {
    x.fill(value);
  },

  copy(src, dst) {
    dst.set(src);
  },

  axpy(alpha, x, y) {
    const n = x.length;
    if (alpha === 1) for (let i = 0; i < n; i++) y[i]! += x[i]!;
    else for (let i = 0; i < n; i++) y[i]! += alpha * x[i]!;
  },

  scale(alpha, x, out) {
    for (let i = 0; i < x.length; i++) out[i] = alpha * x[i]!;
  },

  clamp(x, lo, hi, out) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
  },

  unary(op, x, out) {
    const f = unaryFns[op];
    for (let i = 0; i < out.length; i++) out[i] = f(x[i]!);
  },

  unaryBackward(op, x, y, gy, gx) {
    const n = gx.length;
    switch (op) {
      case 'neg': for (let i = 0; i < n; i++) gx[i]! -= gy[i]!; break;
      case 'exp': for (let i = 0; i < n; i++) gx[i]! += gy[i]! * y[i]!; break;
      case 'log': for (let i = 0; i < n; i++) gx[i]! += gy[i]! / x[i]!; break;
      case 'tanh': for (let i = 0; i < n; i++) gx[i]! += gy[i]! * (1 - y[i]! * y[i]!); break;
      case 'sigmoid': for (let i = 0; i < n; i++) gx[i]! += gy[i]! * y[i]! * (1 - y[i]!); break;
      case 'relu': for (let i = 0; i < n; i++) if (x[i]! > 0) gx[i]! += gy[i]!; break;
      case 'sqrt': for (let i = 0; i < n; i++) gx[i]! += gy[i]! / (2 * y[i]!); break;
      case 'square': for (let i = 0; i < n; i++) gx[i]! += 2 * x[i]! * gy[i]!; break;
      case 'abs': for (let i = 0; i < n; i++) gx[i]! += gy[i]! * Math.sign(x[i]!); break;
    }
  },

  binary(op, a, aRepeat, b, bRepeat, out, accumulate) {
    const f = binaryFns[op];
    const n = out.length, na = a.length, nb = b.length;
    if (na === n && nb === n) {
      if (accumulate) for (let i = 0; i < n; i++) out[i]! += f(a[i]!, b[i]!);
      else for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
      return;
    }
    for (let i = 0; i < n; i++) {
      const v = f(a[Math.floor(i / aRepeat) % na]!, b[Math.floor(i / bRepeat) % nb]!);
      if (accumulate) out[i]! += v;
      else out[i] = v;
    }
  },

  sumToBroadcast(g, repeat, out, alpha) {
    const m = out.length;
    for (let i = 0; i < g.length; i++) out[Math.floor(i / repeat) % m]! += alpha * g[i]!;
  },

  packB: unpackedB,
  gemmPackedB(transA, M, N, K, alpha, A, lda, p, beta, C, ldc) {
    checkPackedB(p, N, K);
    jsKernels.gemm(transA, p.transB, M, N, K, alpha, A, lda, p.B, p.ldb, beta, C, ldc);
  },
  freePackedB: () => {},

  gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
    for (let i = 0; i < M; i++) {
      const row = i * ldc;
      if (beta === 0) for (let j = 0; j < N; j++) C[row + j] = 0;
      else if (beta !== 1) for (let j = 0; j < N; j++) C[row + j]! *= beta;
    }
    if (alpha === 0 || K === 0) return;
    if (!transB) {
      // i-p-j order: the inner loop walks rows of B and C contiguously.
      for (let i = 0; i < M; i++) {
        const row = i * ldc;
        for (let p = 0; p < K; p++) {
          const a = alpha * (transA ? A[p * lda + i]! : A[i * lda + p]!);
          if (a === 0) continue;
          const bRow = p * ldb;
          for (let j = 0; j < N; j++) C[row + j]! += a * B[bRow + j]!;
        }
      }
    } else {
      // B is N×K: each C element is a dot product over contiguous rows.
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          const bRow = j * ldb;
          if (transA) for (let p = 0; p < K; p++) s += A[p * lda + i]! * B[bRow + p]!;
          else {
            const aRow = i * lda;
            for (let p = 0; p < K; p++) s += A[aRow + p]! * B[bRow + p]!;
          }
          C[i * ldc + j]! += alpha * s;
        }
      }
    }
  },

  reduce(op: ReduceOp, x, outer, len, inner, out, argmax) {
    for (let o = 0; o < outer; o++) {
      const base = o * len * inner;
      for (let i = 0; i < inner; i++) {
        if (op === 'sum') {
          let s = 0;
          for (let l = 0; l < len; l++) s += x[base + l * inner + i]!;
          out[o * inner + i] = s;
        } else {
          let best = -Infinity, bi = 0;
          for (let l = 0; l < len; l++) {
            const v = x[base + l * inner + i]!;
            // NaN wins, as in PyTorch: a max over NaN is NaN.
            if (v > best || Number.isNaN(v)) { best = v; bi = l; if (Number.isNaN(v)) break; }
          }
          out[o * inner + i] = best;
          if (argmax) argmax[o * inner + i] = bi;
        }
      }
    }
  },

  broadcastAxis(gy, outer, len, inner, gx, alpha) {
    for (let o = 0; o < outer; o++) {
      for (let l = 0; l < len; l++) {
        const base = (o * len + l) * inner;
        for (let i = 0; i < inner; i++) gx[base + i]! += alpha * gy[o * inner + i]!;
      }
    }
  },

  scatterArgmax(gy, argmax, outer, len, inner, gx) {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const k = o * inner + i;
        gx[(o * len + argmax[k]!) * inner + i]! += gy[k]!;
      }
    }
  },

  sumSquares(x) {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
    return s;
  },

  maxAbs(x) {
    let m = 0;
    for (let i = 0; i < x.length; i++) {
      const v = Math.abs(x[i]!);
      if (v > m || Number.isNaN(v)) m = v;
    }
    return m;
  },

  softmax(x, rows, n, out, log) {
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let mx = -Infinity;
      for (let j = 0; j < n; j++) mx = Math.max(mx, x[o + j]!);
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(x[o + j]! - mx);
      if (log) {
        const lse = mx + Math.log(s);
        for (let j = 0; j < n; j++) out[o + j] = x[o + j]! - lse;
      } else {
        for (let j = 0; j < n; j++) out[o + j] = Math.exp(x[o + j]! - mx) / s;
      }
    }
  },

  softmaxBackward(y, gy, rows, n, gx, log) {
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let s = 0;
      if (log) {
        for (let j = 0; j < n; j++) s += gy[o + j]!;
        for (let j = 0; j < n; j++) gx[o + j]! += gy[o + j]! - Math.exp(y[o + j]!) * s;
      } else {
        for (let j = 0; j < n; j++) s += gy[o + j]! * y[o + j]!;
        for (let j = 0; j < n; j++) gx[o + j]! += y[o + j]! * (gy[o + j]! - s);
      }
    }
  },

  gatherRows(table, d, idx, out) {
    for (let r = 0; r < idx.length; r++) {
      const src = idx[r]! * d, dst = r * d;
      for (let j = 0; j < d; j++) out[dst + j] = table[src + j]!;
    }
  },

  scatterAddRows(src, d, idx, table) {
    for (let r = 0; r < idx.length; r++) {
      const dst = idx[r]! * d, s = r * d;
      for (let j = 0; j < d; j++) table[dst + j]! += src[s + j]!;
    }
  },

  copyBlocks(src, sOff, sStride, dst, dOff, dStride, len, count, accumulate) {
    for (let c = 0; c < count; c++) {
      const s = sOff + c * sStride, d = dOff + c * dStride;
      if (accumulate) for (let j = 0; j < len; j++) dst[d + j]! += src[s + j]!;
      else for (let j = 0; j < len; j++) dst[d + j] = src[s + j]!;
    }
  },

  swapAxes(x, outer, A, mid, B, inner, out, accumulate) {
    for (let o = 0; o < outer; o++)
      for (let a = 0; a < A; a++)
        for (let m = 0; m < mid; m++)
          for (let b = 0; b < B; b++) {
            const s = ((((o * A + a) * mid + m) * B + b) * inner);
            const d = ((((o * B + b) * mid + m) * A + a) * inner);
            if (accumulate) for (let i = 0; i < inner; i++) out[d + i]! += x[s + i]!;
            else for (let i = 0; i < inner; i++) out[d + i] = x[s + i]!;
          }
  },

  where(cond, a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = cond[i] !== 0 ? a[i]! : b[i]!;
  },

  whereBackward(cond, gy, gx, pick) {
    for (let i = 0; i < gx.length; i++) if ((cond[i] !== 0) === pick) gx[i]! += gy[i]!;
  },

  layerNorm(x, rows, n, gamma, beta, eps, out, mean, rstd) {
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let m = 0;
      for (let j = 0; j < n; j++) m += x[o + j]!;
      m /= n;
      let v = 0;
      for (let j = 0; j < n; j++) { const d = x[o + j]! - m; v += d * d; }
      const rs = 1 / Math.sqrt(v / n + eps);
      mean[r] = m;
      rstd[r] = rs;
      for (let j = 0; j < n; j++) {
        const xh = (x[o + j]! - m) * rs;
        out[o + j] = (gamma ? gamma[j]! * xh : xh) + (beta ? beta[j]! : 0);
      }
    }
  },

  layerNormBackward(x, gy, rows, n, gamma, mean, rstd, gx, gGamma, gBeta) {
    for (let r = 0; r < rows; r++) {
      const o = r * n, m = mean[r]!, rs = rstd[r]!;
      let sumD = 0, sumDX = 0;
      for (let j = 0; j < n; j++) {
        const xh = (x[o + j]! - m) * rs;
        const d = gy[o + j]! * (gamma ? gamma[j]! : 1);
        sumD += d;
        sumDX += d * xh;
        if (gGamma) gGamma[j]! += gy[o + j]! * xh;
        if (gBeta) gBeta[j]! += gy[o + j]!;
      }
      if (!gx) continue;
      const md = sumD / n, mdx = sumDX / n;
      for (let j = 0; j < n; j++) {
        const xh = (x[o + j]! - m) * rs;
        const d = gy[o + j]! * (gamma ? gamma[j]! : 1);
        gx[o + j]! += rs * (d - md - xh * mdx);
      }
    }
  },

  adamStep(p, g, m, v, vmax, o: AdamParams) {
    const bc1 = 1 - Math.pow(o.beta1, o.step);
    const bc2sqrt = Math.sqrt(1 - Math.pow(o.beta2, o.step));
    const stepSize = o.lr / bc1;
    const decay = o.decoupled ? 1 - o.lr * o.weightDecay : 1;
    const l2 = o.decoupled ? 0 : o.weightDecay;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]! + l2 * p[i]!;
      const pi = p[i]! * decay;
      const mi = (m[i] = o.beta1 * m[i]! + (1 - o.beta1) * gi);
      let vi = (v[i] = o.beta2 * v[i]! + (1 - o.beta2) * gi * gi);
      if (vmax) vi = vmax[i] = Math.max(vmax[i]!, vi);
      p[i] = pi - (stepSize * mi) / (Math.sqrt(vi) / bc2sqrt + o.eps);
    }
  },

  // ---- Optimizer steps beyond Adam (added with src/optim) ----------------------------------
  // State is re-read after each store so that, as in PyTorch, the next operation sees the
  // value rounded to the storage precision.

  rmspropStep(p, g, sq, ga, buf, o: RmspropParams) {
    const { lr, alpha, eps, weightDecay: wd, momentum } = o;
    for (let i = 0; i < p.length; i++) {
      const gi = wd !== 0 ? g[i]! + wd * p[i]! : g[i]!;
      sq[i] = alpha * sq[i]! + (1 - alpha) * gi * gi;
      let avg: number;
      if (ga) {
        ga[i] = alpha * ga[i]! + (1 - alpha) * gi;
        avg = Math.sqrt(sq[i]! - ga[i]! * ga[i]!) + eps;
      } else {
        avg = Math.sqrt(sq[i]!) + eps;
      }
      if (buf) {
        buf[i] = momentum * buf[i]! + gi / avg;
        p[i] = p[i]! - lr * buf[i]!;
      } else {
        p[i] = p[i]! - (lr * gi) / avg;
      }
    }
  },

  adagradStep(p, g, sum, o: AdagradParams) {
    const clr = o.lr / (1 + (o.step - 1) * o.lrDecay);
    const wd = o.weightDecay;
    for (let i = 0; i < p.length; i++) {
      const gi = wd !== 0 ? g[i]! + wd * p[i]! : g[i]!;
      sum[i] = sum[i]! + gi * gi;
      p[i] = p[i]! - (clr * gi) / (Math.sqrt(sum[i]!) + o.eps);
    }
  },

  // ---- Linear-chain CRF (added with src/nn/crf.ts) -----------------------------------------
  // Every log-sum-exp subtracts its maximum first; a maximum of −Infinity (only forbidden
  // transitions lead here) yields −Infinity instead of NaN. Loops are over the K tags of one
  // sequence at a time, so the cost is O(B·T·K²).

  crfForward(B, T, K, em, lengths, trans, start, end, alpha, logZ) {
    for (let b = 0; b < B; b++) {
      const L = lengths[b]!, base = b * T * K;
      for (let j = 0; j < K; j++) alpha[base + j] = start[j]! + em[base + j]!;
      for (let t = 1; t < L; t++) {
        const prev = base + (t - 1) * K, cur = base + t * K;
        for (let j = 0; j < K; j++) {
          let m = -Infinity;
          for (let i = 0; i < K; i++) {
            const v = alpha[prev + i]! + trans[i * K + j]!;
            if (v > m) m = v;
          }
          let s = 0;
          if (m !== -Infinity) for (let i = 0; i < K; i++) s += Math.exp(alpha[prev + i]! + trans[i * K + j]! - m);
          alpha[cur + j] = (m === -Infinity ? m : m + Math.log(s)) + em[cur + j]!;
        }
      }
      const last = base + (L - 1) * K;
      let m = -Infinity;
      for (let j = 0; j < K; j++) {
        const v = alpha[last + j]! + end[j]!;
        if (v > m) m = v;
      }
      let s = 0;
      if (m !== -Infinity) for (let j = 0; j < K; j++) s += Math.exp(alpha[last + j]! + end[j]! - m);
      logZ[b] = m === -Infinity ? m : m + Math.log(s);
    }
  },

  crfBackward(B, T, K, em, lengths, trans, start, end, alpha, logZ, gLogZ, beta, gEm, gTrans, gStart, gEnd) {
    void start; // folded into alpha by the forward pass
    for (let b = 0; b < B; b++) {
      const g = gLogZ[b]!;
      if (g === 0) continue;
      const L = lengths[b]!, base = b * T * K, Z = logZ[b]!;
      const last = base + (L - 1) * K;
      for (let i = 0; i < K; i++) beta[last + i] = end[i]!;
      for (let t = L - 2; t >= 0; t--) {
        const cur = base + t * K, nxt = cur + K;
        for (let i = 0; i < K; i++) {
          let m = -Infinity;
          for (let j = 0; j < K; j++) {
            const v = trans[i * K + j]! + em[nxt + j]! + beta[nxt + j]!;
            if (v > m) m = v;
          }
          let s = 0;
          if (m !== -Infinity) for (let j = 0; j < K; j++) s += Math.exp(trans[i * K + j]! + em[nxt + j]! + beta[nxt + j]! - m);
          beta[cur + i] = m === -Infinity ? m : m + Math.log(s);
        }
      }
      if (gEm) {
        for (let t = 0; t < L; t++) {
          const cur = base + t * K;
          for (let j = 0; j < K; j++) gEm[cur + j]! += g * Math.exp(alpha[cur + j]! + beta[cur + j]! - Z);
        }
      }
      if (gStart) for (let j = 0; j < K; j++) gStart[j]! += g * Math.exp(alpha[base + j]! + beta[base + j]! - Z);
      if (gEnd) for (let j = 0; j < K; j++) gEnd[j]! += g * Math.exp(alpha[last + j]! + end[j]! - Z);
      if (gTrans) {
        for (let t = 1; t < L; t++) {
          const prev = base + (t - 1) * K, cur = prev + K;
          for (let i = 0; i < K; i++) {
            const a = alpha[prev + i]! - Z;
            for (let j = 0; j < K; j++) gTrans[i * K + j]! += g * Math.exp(a + trans[i * K + j]! + em[cur + j]! + beta[cur + j]!);
          }
        }
      }
    }
  },

  crfViterbi(B, T, K, em, lengths, trans, start, end, delta, backptr, paths, scores) {
    for (let b = 0; b < B; b++) {
      const L = lengths[b]!, base = b * T * K, pb = b * T;
      for (let j = 0; j < K; j++) delta[base + j] = start[j]! + em[base + j]!;
      for (let t = 1; t < L; t++) {
        const prev = base + (t - 1) * K, cur = prev + K;
        for (let j = 0; j < K; j++) {
          let best = -Infinity, arg = 0;
          for (let i = 0; i < K; i++) {
            const v = delta[prev + i]! + trans[i * K + j]!;
            if (v > best) { best = v; arg = i; }
          }
          delta[cur + j] = best + em[cur + j]!;
          backptr[cur + j] = arg;
        }
      }
      const last = base + (L - 1) * K;
      let best = -Infinity, arg = 0;
      for (let j = 0; j < K; j++) {
        const v = delta[last + j]! + end[j]!;
        if (v > best) { best = v; arg = j; }
      }
      scores[b] = best;
      paths[pb + L - 1] = arg;
      for (let t = L - 1; t > 0; t--) paths[pb + t - 1] = backptr[base + t * K + paths[pb + t]!]!;
      for (let t = L; t < T; t++) paths[pb + t] = -1;
    }
  },

  // ---- Attention: batched matrix-vector products (added with src/nn/attention.ts) -----------
  bmv(trans, batch, M, N, A, x, y, accumulate) {
    if (!trans) {
      for (let b = 0; b < batch; b++) {
        const xo = b * N, yo = b * M;
        for (let m = 0; m < M; m++) {
          const ao = (b * M + m) * N;
          let acc = 0;
          for (let n = 0; n < N; n++) acc += A[ao + n]! * x[xo + n]!;
          y[yo + m] = accumulate ? y[yo + m]! + acc : acc;
        }
      }
      return;
    }
    for (let b = 0; b < batch; b++) {
      const xo = b * M, yo = b * N;
      if (!accumulate) y.fill(0, yo, yo + N);
      // Row by row (axpy over n): contiguous reads of A.
      for (let m = 0; m < M; m++) {
        const s = x[xo + m]!, ao = (b * M + m) * N;
        for (let n = 0; n < N; n++) y[yo + n]! += s * A[ao + n]!;
      }
    }
  },

  bger(batch, M, N, x, y, A) {
    for (let b = 0; b < batch; b++) {
      const xo = b * M, yo = b * N;
      for (let m = 0; m < M; m++) {
        const s = x[xo + m]!, ao = (b * M + m) * N;
        if (s === 0) continue;
        for (let n = 0; n < N; n++) A[ao + n]! += s * y[yo + n]!;
      }
    }
  },
};

const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => (x > 0 ? x : 0),
  sqrt: Math.sqrt,
  square: (x) => x * x,
  abs: Math.abs,
};

const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  min: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
};
