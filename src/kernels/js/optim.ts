import type { OptimKernels } from '../optim-types.js';

/**
 * Reference optimizer steps (contract: optim-types.ts). State is re-read after each store so
 * that, as in PyTorch, the next operation sees the value rounded to the storage precision.
 */
export const optimJs: OptimKernels = {
  adamStep(p, g, m, v, vmax, o) {
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

  rmspropStep(p, g, sq, ga, buf, o) {
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

  adagradStep(p, g, sum, o) {
    const clr = o.lr / (1 + (o.step - 1) * o.lrDecay);
    const wd = o.weightDecay;
    for (let i = 0; i < p.length; i++) {
      const gi = wd !== 0 ? g[i]! + wd * p[i]! : g[i]!;
      sum[i] = sum[i]! + gi * gi;
      p[i] = p[i]! - (clr * gi) / (Math.sqrt(sum[i]!) + o.eps);
    }
  },
};
