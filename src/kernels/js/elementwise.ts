import type { BinaryOp, ElementwiseKernels, UnaryOp } from '../elementwise-types.js';

/**
 * Reference elementwise kernels (contract: elementwise-types.ts).
 */
export const elementwiseJs: ElementwiseKernels = {
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

  where(cond, a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = cond[i] !== 0 ? a[i]! : b[i]!;
  },

  whereBackward(cond, gy, gx, pick) {
    for (let i = 0; i < gx.length; i++) if ((cond[i] !== 0) === pick) gx[i]! += gy[i]!;
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
