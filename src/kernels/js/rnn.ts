import type { RnnKernels } from '../rnn-types.js';

/**
 * Reference gate kernels (contract and backward derivation: rnn-types.ts). Loops are written per gate
 * element with every read done before the writes of that element, so `gates` may alias `xg` and
 * the backward kernels may run in place (`dcPrev` on `dc`, `dhPrev` on `dh`).
 */

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export const rnnJs: RnnKernels = {
  rnnGatesForward(act, rows, H, xg, hg, h) {
    const n = rows * H;
    if (act === 'tanh') for (let k = 0; k < n; k++) h[k] = Math.tanh(xg[k]! + hg[k]!);
    else for (let k = 0; k < n; k++) { const a = xg[k]! + hg[k]!; h[k] = a > 0 ? a : 0; }
  },

  rnnGatesBackward(act, rows, H, h, dh, dpre) {
    const n = rows * H;
    if (act === 'tanh') for (let k = 0; k < n; k++) { const y = h[k]!; dpre[k] = dh[k]! * (1 - y * y); }
    // relu'(0) = 0, as in PyTorch: an output of exactly 0 passes no gradient.
    else for (let k = 0; k < n; k++) dpre[k] = h[k]! > 0 ? dh[k]! : 0;
  },

  lstmGatesForward(rows, H, xg, hg, cPrev, gates, c, m) {
    const G = 4 * H;
    for (let r = 0; r < rows; r++) {
      const g0 = r * G, s0 = r * H;
      for (let j = 0; j < H; j++) {
        const ki = g0 + j, kf = ki + H, kg = kf + H, ko = kg + H;
        const i = sigmoid(xg[ki]! + hg[ki]!);
        const f = sigmoid(xg[kf]! + hg[kf]!);
        const g = Math.tanh(xg[kg]! + hg[kg]!);
        const o = sigmoid(xg[ko]! + hg[ko]!);
        gates[ki] = i; gates[kf] = f; gates[kg] = g; gates[ko] = o;
        const cn = f * cPrev[s0 + j]! + i * g;
        c[s0 + j] = cn;
        m[s0 + j] = o * Math.tanh(cn);
      }
    }
  },

  lstmGatesBackward(rows, H, gates, cPrev, c, dm, dc, dGates, dcPrev) {
    const G = 4 * H;
    for (let r = 0; r < rows; r++) {
      const g0 = r * G, s0 = r * H;
      for (let j = 0; j < H; j++) {
        const ki = g0 + j, kf = ki + H, kg = kf + H, ko = kg + H, s = s0 + j;
        const i = gates[ki]!, f = gates[kf]!, g = gates[kg]!, o = gates[ko]!;
        const tc = Math.tanh(c[s]!);
        const dmv = dm[s]!;
        const dct = dc[s]! + dmv * o * (1 - tc * tc);
        dGates[ki] = dct * g * i * (1 - i);
        dGates[kf] = dct * cPrev[s]! * f * (1 - f);
        dGates[kg] = dct * i * (1 - g * g);
        dGates[ko] = dmv * tc * o * (1 - o);
        dcPrev[s] = dct * f;
      }
    }
  },

  gruGatesForward(rows, H, xg, hg, bhn, hPrev, gates, hn, h) {
    const G = 3 * H;
    for (let r = 0; r < rows; r++) {
      const g0 = r * G, s0 = r * H;
      for (let j = 0; j < H; j++) {
        const kr = g0 + j, kz = kr + H, kn = kz + H, s = s0 + j;
        const rg = sigmoid(xg[kr]! + hg[kr]!);
        const z = sigmoid(xg[kz]! + hg[kz]!);
        const hnv = hg[kn]! + (bhn ? bhn[j]! : 0);
        const n = Math.tanh(xg[kn]! + rg * hnv);
        gates[kr] = rg; gates[kz] = z; gates[kn] = n;
        hn[s] = hnv;
        h[s] = (1 - z) * n + z * hPrev[s]!;
      }
    }
  },

  gruGatesBackward(rows, H, gates, hn, hPrev, dh, dGx, dGh, dhPrev) {
    const G = 3 * H;
    for (let r = 0; r < rows; r++) {
      const g0 = r * G, s0 = r * H;
      for (let j = 0; j < H; j++) {
        const kr = g0 + j, kz = kr + H, kn = kz + H, s = s0 + j;
        const rg = gates[kr]!, z = gates[kz]!, n = gates[kn]!;
        const d = dh[s]!;
        const dan = d * (1 - z) * (1 - n * n);
        const daz = d * (hPrev[s]! - n) * z * (1 - z);
        const dar = dan * hn[s]! * rg * (1 - rg);
        dGx[kr] = dar; dGx[kz] = daz; dGx[kn] = dan;
        dGh[kr] = dar; dGh[kz] = daz; dGh[kn] = dan * rg;
        dhPrev[s] = d * z;
      }
    }
  },

  gruResetBeforeGates(rows, H, xg, hg, hPrev, gates, rh) {
    const G = 3 * H;
    for (let r = 0; r < rows; r++) {
      const g0 = r * G, s0 = r * H;
      for (let j = 0; j < H; j++) {
        const kr = g0 + j, kz = kr + H;
        const rg = sigmoid(xg[kr]! + hg[kr]!);
        gates[kz] = sigmoid(xg[kz]! + hg[kz]!);
        gates[kr] = rg;
        rh[s0 + j] = rg * hPrev[s0 + j]!;
      }
    }
  },

  gruResetBeforeOutput(rows, H, xg, hg, hPrev, gates, h) {
    const G = 3 * H;
    for (let r = 0; r < rows; r++) {
      const g0 = r * G, s0 = r * H;
      for (let j = 0; j < H; j++) {
        const kz = g0 + H + j, kn = kz + H, s = s0 + j;
        const z = gates[kz]!;
        const n = Math.tanh(xg[kn]! + hg[kn]!);
        gates[kn] = n;
        h[s] = (1 - z) * n + z * hPrev[s]!;
      }
    }
  },

  gruResetBeforeOutputBackward(rows, H, gates, hPrev, dh, dG, dhPrev) {
    const G = 3 * H;
    for (let r = 0; r < rows; r++) {
      const g0 = r * G, s0 = r * H;
      for (let j = 0; j < H; j++) {
        const kz = g0 + H + j, kn = kz + H, s = s0 + j;
        const z = gates[kz]!, n = gates[kn]!, d = dh[s]!;
        dG[kn] = d * (1 - z) * (1 - n * n);
        dG[kz] = d * (hPrev[s]! - n) * z * (1 - z);
        dhPrev[s] = d * z;
      }
    }
  },

  gruResetBeforeGatesBackward(rows, H, gates, hPrev, drh, dG, dhPrev) {
    const G = 3 * H;
    for (let r = 0; r < rows; r++) {
      const g0 = r * G, s0 = r * H;
      for (let j = 0; j < H; j++) {
        const kr = g0 + j, s = s0 + j;
        const rg = gates[kr]!, d = drh[s]!;
        dG[kr] = d * hPrev[s]! * rg * (1 - rg);
        dhPrev[s]! += d * rg;
      }
    }
  },
};
