// Fused recurrent gate kernels (contract and derivation: src/kernels/rnn-types.ts, reference:
// src/kernels/js/rnn.ts).
//
// Each loop body is written once for f32x4 lanes and instantiated for 4 units and for the tail
// (ld/st/acc in simd.ts).
// Every element's inputs are loaded before its outputs are stored, so `gates` may alias `xg`.

import { acc, at, ld, st } from './simd';
import { vsigmoid, vtanh } from './math';

const ONE = f32x4.splat(1);

// ---- Elman RNN ----------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function rnnF(relu: bool, k: i32, xg: usize, hg: usize, h: usize, vec: bool): void {
  const a = f32x4.add(ld(at(xg, k), vec), ld(at(hg, k), vec));
  st(at(h, k), relu ? v128.and(a, f32x4.gt(a, f32x4.splat(0))) : vtanh(a), vec);
}

export function rnnGatesForward(relu: bool, rows: i32, H: i32, xg: usize, hg: usize, h: usize): void {
  const n = rows * H;
  let k = 0;
  if (relu) {
    for (; k + 4 <= n; k += 4) rnnF(true, k, xg, hg, h, true);
    for (; k < n; k++) rnnF(true, k, xg, hg, h, false);
  } else {
    for (; k + 4 <= n; k += 4) rnnF(false, k, xg, hg, h, true);
    for (; k < n; k++) rnnF(false, k, xg, hg, h, false);
  }
}

// @ts-ignore: decorator
@inline function rnnB(relu: bool, k: i32, h: usize, dh: usize, dpre: usize, vec: bool): void {
  const y = ld(at(h, k), vec), d = ld(at(dh, k), vec);
  st(at(dpre, k), relu ? v128.and(d, f32x4.gt(y, f32x4.splat(0))) : f32x4.mul(d, f32x4.sub(ONE, f32x4.mul(y, y))), vec);
}

export function rnnGatesBackward(relu: bool, rows: i32, H: i32, h: usize, dh: usize, dpre: usize): void {
  const n = rows * H;
  let k = 0;
  if (relu) {
    for (; k + 4 <= n; k += 4) rnnB(true, k, h, dh, dpre, true);
    for (; k < n; k++) rnnB(true, k, h, dh, dpre, false);
  } else {
    for (; k + 4 <= n; k += 4) rnnB(false, k, h, dh, dpre, true);
    for (; k < n; k++) rnnB(false, k, h, dh, dpre, false);
  }
}

// ---- LSTM ---------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function lstmF(ki: i32, s: i32, H: i32, xg: usize, hg: usize, cPrev: usize, gates: usize, c: usize, m: usize, vec: bool): void {
  const kf = ki + H, kg = kf + H, ko = kg + H;
  const i = vsigmoid(f32x4.add(ld(at(xg, ki), vec), ld(at(hg, ki), vec)));
  const f = vsigmoid(f32x4.add(ld(at(xg, kf), vec), ld(at(hg, kf), vec)));
  const g = vtanh(f32x4.add(ld(at(xg, kg), vec), ld(at(hg, kg), vec)));
  const o = vsigmoid(f32x4.add(ld(at(xg, ko), vec), ld(at(hg, ko), vec)));
  st(at(gates, ki), i, vec); st(at(gates, kf), f, vec); st(at(gates, kg), g, vec); st(at(gates, ko), o, vec);
  const cn = f32x4.add(f32x4.mul(f, ld(at(cPrev, s), vec)), f32x4.mul(i, g));
  st(at(c, s), cn, vec);
  st(at(m, s), f32x4.mul(o, vtanh(cn)), vec);
}

export function lstmGatesForward(rows: i32, H: i32, xg: usize, hg: usize, cPrev: usize, gates: usize, c: usize, m: usize): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 4 * H, s0 = r * H;
    let j = 0;
    for (; j + 4 <= H; j += 4) lstmF(g0 + j, s0 + j, H, xg, hg, cPrev, gates, c, m, true);
    for (; j < H; j++) lstmF(g0 + j, s0 + j, H, xg, hg, cPrev, gates, c, m, false);
  }
}

// @ts-ignore: decorator
@inline function lstmB(ki: i32, s: i32, H: i32, gates: usize, cPrev: usize, c: usize, dm: usize, dc: usize,
  dGates: usize, dcPrev: usize, vec: bool): void {
  const kf = ki + H, kg = kf + H, ko = kg + H;
  const i = ld(at(gates, ki), vec), f = ld(at(gates, kf), vec), g = ld(at(gates, kg), vec), o = ld(at(gates, ko), vec);
  const tc = vtanh(ld(at(c, s), vec));
  const dmv = ld(at(dm, s), vec);
  const dct = f32x4.add(ld(at(dc, s), vec), f32x4.mul(f32x4.mul(dmv, o), f32x4.sub(ONE, f32x4.mul(tc, tc))));
  st(at(dGates, ki), f32x4.mul(f32x4.mul(f32x4.mul(dct, g), i), f32x4.sub(ONE, i)), vec);
  st(at(dGates, kf), f32x4.mul(f32x4.mul(f32x4.mul(dct, ld(at(cPrev, s), vec)), f), f32x4.sub(ONE, f)), vec);
  st(at(dGates, kg), f32x4.mul(f32x4.mul(dct, i), f32x4.sub(ONE, f32x4.mul(g, g))), vec);
  st(at(dGates, ko), f32x4.mul(f32x4.mul(f32x4.mul(dmv, tc), o), f32x4.sub(ONE, o)), vec);
  st(at(dcPrev, s), f32x4.mul(dct, f), vec);
}

export function lstmGatesBackward(rows: i32, H: i32, gates: usize, cPrev: usize, c: usize, dm: usize, dc: usize,
  dGates: usize, dcPrev: usize): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 4 * H, s0 = r * H;
    let j = 0;
    for (; j + 4 <= H; j += 4) lstmB(g0 + j, s0 + j, H, gates, cPrev, c, dm, dc, dGates, dcPrev, true);
    for (; j < H; j++) lstmB(g0 + j, s0 + j, H, gates, cPrev, c, dm, dc, dGates, dcPrev, false);
  }
}

// ---- GRU (PyTorch form: reset after the matmul) ---------------------------------------------

// @ts-ignore: decorator
@inline function gruF(kr: i32, s: i32, j: i32, H: i32, xg: usize, hg: usize, bhn: usize, hPrev: usize,
  gates: usize, hn: usize, h: usize, vec: bool): void {
  const kz = kr + H, kn = kz + H;
  const rg = vsigmoid(f32x4.add(ld(at(xg, kr), vec), ld(at(hg, kr), vec)));
  const z = vsigmoid(f32x4.add(ld(at(xg, kz), vec), ld(at(hg, kz), vec)));
  let hnv = ld(at(hg, kn), vec);
  if (bhn) hnv = f32x4.add(hnv, ld(at(bhn, j), vec));
  const n = vtanh(f32x4.add(ld(at(xg, kn), vec), f32x4.mul(rg, hnv)));
  st(at(gates, kr), rg, vec); st(at(gates, kz), z, vec); st(at(gates, kn), n, vec);
  st(at(hn, s), hnv, vec);
  st(at(h, s), f32x4.add(f32x4.mul(f32x4.sub(ONE, z), n), f32x4.mul(z, ld(at(hPrev, s), vec))), vec);
}

export function gruGatesForward(rows: i32, H: i32, xg: usize, hg: usize, bhn: usize, hPrev: usize, gates: usize, hn: usize, h: usize): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 3 * H, s0 = r * H;
    let j = 0;
    for (; j + 4 <= H; j += 4) gruF(g0 + j, s0 + j, j, H, xg, hg, bhn, hPrev, gates, hn, h, true);
    for (; j < H; j++) gruF(g0 + j, s0 + j, j, H, xg, hg, bhn, hPrev, gates, hn, h, false);
  }
}

// @ts-ignore: decorator
@inline function gruB(kr: i32, s: i32, H: i32, gates: usize, hn: usize, hPrev: usize, dh: usize,
  dGx: usize, dGh: usize, dhPrev: usize, vec: bool): void {
  const kz = kr + H, kn = kz + H;
  const rg = ld(at(gates, kr), vec), z = ld(at(gates, kz), vec), n = ld(at(gates, kn), vec);
  const d = ld(at(dh, s), vec);
  const dan = f32x4.mul(f32x4.mul(d, f32x4.sub(ONE, z)), f32x4.sub(ONE, f32x4.mul(n, n)));
  const daz = f32x4.mul(f32x4.mul(f32x4.mul(d, f32x4.sub(ld(at(hPrev, s), vec), n)), z), f32x4.sub(ONE, z));
  const dar = f32x4.mul(f32x4.mul(f32x4.mul(dan, ld(at(hn, s), vec)), rg), f32x4.sub(ONE, rg));
  st(at(dGx, kr), dar, vec); st(at(dGx, kz), daz, vec); st(at(dGx, kn), dan, vec);
  st(at(dGh, kr), dar, vec); st(at(dGh, kz), daz, vec); st(at(dGh, kn), f32x4.mul(dan, rg), vec);
  st(at(dhPrev, s), f32x4.mul(d, z), vec);
}

export function gruGatesBackward(rows: i32, H: i32, gates: usize, hn: usize, hPrev: usize, dh: usize, dGx: usize, dGh: usize, dhPrev: usize): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 3 * H, s0 = r * H;
    let j = 0;
    for (; j + 4 <= H; j += 4) gruB(g0 + j, s0 + j, H, gates, hn, hPrev, dh, dGx, dGh, dhPrev, true);
    for (; j < H; j++) gruB(g0 + j, s0 + j, H, gates, hn, hPrev, dh, dGx, dGh, dhPrev, false);
  }
}

// ---- GRU (Keras 2 form: reset before the matmul) --------------------------------------------

// @ts-ignore: decorator
@inline function rbG(kr: i32, s: i32, H: i32, xg: usize, hg: usize, hPrev: usize, gates: usize, rh: usize, vec: bool): void {
  const kz = kr + H;
  const rg = vsigmoid(f32x4.add(ld(at(xg, kr), vec), ld(at(hg, kr), vec)));
  const z = vsigmoid(f32x4.add(ld(at(xg, kz), vec), ld(at(hg, kz), vec)));
  st(at(gates, kz), z, vec);
  st(at(gates, kr), rg, vec);
  st(at(rh, s), f32x4.mul(rg, ld(at(hPrev, s), vec)), vec);
}

export function gruResetBeforeGates(rows: i32, H: i32, xg: usize, hg: usize, hPrev: usize, gates: usize, rh: usize): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 3 * H, s0 = r * H;
    let j = 0;
    for (; j + 4 <= H; j += 4) rbG(g0 + j, s0 + j, H, xg, hg, hPrev, gates, rh, true);
    for (; j < H; j++) rbG(g0 + j, s0 + j, H, xg, hg, hPrev, gates, rh, false);
  }
}

// @ts-ignore: decorator
@inline function rbO(kz: i32, s: i32, H: i32, xg: usize, hg: usize, hPrev: usize, gates: usize, h: usize, vec: bool): void {
  const kn = kz + H;
  const z = ld(at(gates, kz), vec);
  const n = vtanh(f32x4.add(ld(at(xg, kn), vec), ld(at(hg, kn), vec)));
  st(at(gates, kn), n, vec);
  st(at(h, s), f32x4.add(f32x4.mul(f32x4.sub(ONE, z), n), f32x4.mul(z, ld(at(hPrev, s), vec))), vec);
}

export function gruResetBeforeOutput(rows: i32, H: i32, xg: usize, hg: usize, hPrev: usize, gates: usize, h: usize): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 3 * H, s0 = r * H;
    let j = 0;
    for (; j + 4 <= H; j += 4) rbO(g0 + H + j, s0 + j, H, xg, hg, hPrev, gates, h, true);
    for (; j < H; j++) rbO(g0 + H + j, s0 + j, H, xg, hg, hPrev, gates, h, false);
  }
}

// @ts-ignore: decorator
@inline function rbOB(kz: i32, s: i32, H: i32, gates: usize, hPrev: usize, dh: usize, dG: usize, dhPrev: usize, vec: bool): void {
  const kn = kz + H;
  const z = ld(at(gates, kz), vec), n = ld(at(gates, kn), vec), d = ld(at(dh, s), vec);
  st(at(dG, kn), f32x4.mul(f32x4.mul(d, f32x4.sub(ONE, z)), f32x4.sub(ONE, f32x4.mul(n, n))), vec);
  st(at(dG, kz), f32x4.mul(f32x4.mul(f32x4.mul(d, f32x4.sub(ld(at(hPrev, s), vec), n)), z), f32x4.sub(ONE, z)), vec);
  st(at(dhPrev, s), f32x4.mul(d, z), vec);
}

export function gruResetBeforeOutputBackward(rows: i32, H: i32, gates: usize, hPrev: usize, dh: usize, dG: usize, dhPrev: usize): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 3 * H, s0 = r * H;
    let j = 0;
    for (; j + 4 <= H; j += 4) rbOB(g0 + H + j, s0 + j, H, gates, hPrev, dh, dG, dhPrev, true);
    for (; j < H; j++) rbOB(g0 + H + j, s0 + j, H, gates, hPrev, dh, dG, dhPrev, false);
  }
}

// @ts-ignore: decorator
@inline function rbGB(kr: i32, s: i32, gates: usize, hPrev: usize, drh: usize, dG: usize, dhPrev: usize, vec: bool): void {
  const rg = ld(at(gates, kr), vec), d = ld(at(drh, s), vec);
  st(at(dG, kr), f32x4.mul(f32x4.mul(f32x4.mul(d, ld(at(hPrev, s), vec)), rg), f32x4.sub(ONE, rg)), vec);
  acc(at(dhPrev, s), f32x4.mul(d, rg), vec);
}

export function gruResetBeforeGatesBackward(rows: i32, H: i32, gates: usize, hPrev: usize, drh: usize, dG: usize, dhPrev: usize): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 3 * H, s0 = r * H;
    let j = 0;
    for (; j + 4 <= H; j += 4) rbGB(g0 + j, s0 + j, gates, hPrev, drh, dG, dhPrev, true);
    for (; j < H; j++) rbGB(g0 + j, s0 + j, gates, hPrev, drh, dG, dhPrev, false);
  }
}
