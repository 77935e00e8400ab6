// CTC forward–backward (contract in src/kernels/ctc-types.ts, reference src/kernels/ctc-js.ts,
// followed step for step). A sequential dynamic programme over the 2L+1 states of each
// sequence: f64 arithmetic, f32 storage. The caller has checked every length and label, so
// no index leaves the arrays.

/** log(exp(a) + exp(b)); −∞ when both are −∞. */
@inline function lae(a: f64, b: f64): f64 {
  const m = a > b ? a : b;
  if (m == -Infinity) return m;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

@inline function ld(p: usize, i: i32): f64 {
  return <f64>load<f32>(p + (<usize>i << 2));
}

@inline function st(p: usize, i: i32, v: f64): void {
  store<f32>(p + (<usize>i << 2), <f32>v);
}

@inline function label(targets: usize, tg: i32, blank: i32, s: i32): i32 {
  return s & 1 ? load<i32>(targets + (<usize>(tg + (s >> 1)) << 2)) : blank;
}

/** Subtracts the row's largest value (rounded to f32; 0 if all are −∞) from its N states; returns it. */
function shiftRow(row: usize, N: i32): f64 {
  let m: f64 = -Infinity;
  for (let s = 0; s < N; s++) { const v = ld(row, s); if (v > m) m = v; }
  m = m == -Infinity ? 0 : <f64><f32>m;
  for (let s = 0; s < N; s++) st(row, s, ld(row, s) - m);
  return m;
}

export function ctcForward(T: i32, B: i32, C: i32, S: i32, lp: usize, targets: usize, inputLengths: usize,
  targetLengths: usize, blank: i32, alpha: usize, nll: usize): void {
  const W = 2 * S + 2;
  for (let b = 0; b < B; b++) {
    const Tb = load<i32>(inputLengths + (<usize>b << 2)), L = load<i32>(targetLengths + (<usize>b << 2)), N = 2 * L + 1;
    const tg = b * S;
    let logC: f64 = 0;
    for (let t = 0; t < Tb; t++) {
      const cur = alpha + (<usize>(b * T + t) * <usize>W << 2), prev = cur - (<usize>W << 2);
      const row = lp + (<usize>(t * B + b) * <usize>C << 2);
      for (let s = 0; s < N; s++) {
        const l = label(targets, tg, blank, s);
        let a: f64;
        if (t == 0) a = s < 2 ? 0 : -Infinity;
        else {
          a = ld(prev, s);
          if (s >= 1) a = lae(a, ld(prev, s - 1));
          if (s >= 2 && l != blank && l != label(targets, tg, blank, s - 2)) a = lae(a, ld(prev, s - 2));
        }
        st(cur, s, a + ld(row, l));
      }
      const m = shiftRow(cur, N);
      st(cur, W - 1, m);
      logC += m;
    }
    const last = alpha + (<usize>(b * T + Tb - 1) * <usize>W << 2);
    const ll = L > 0 ? lae(ld(last, N - 1), ld(last, N - 2)) : ld(last, N - 1);
    st(nll, b, -(ll + logC));
  }
}

export function ctcBackward(T: i32, B: i32, C: i32, S: i32, lp: usize, targets: usize, inputLengths: usize,
  targetLengths: usize, blank: i32, alpha: usize, nll: usize, gNll: usize, zeroInfinity: bool, beta: usize, gLp: usize): void {
  const W = 2 * S + 2;
  for (let b = 0; b < B; b++) {
    const Tb = load<i32>(inputLengths + (<usize>b << 2)), L = load<i32>(targetLengths + (<usize>b << 2)), N = 2 * L + 1;
    const g = ld(gNll, b);
    if (ld(nll, b) == Infinity) {
      if (zeroInfinity) continue;
      for (let t = 0; t < Tb; t++) {
        const row = gLp + (<usize>(t * B + b) * <usize>C << 2);
        for (let c = 0; c < C; c++) st(row, c, NaN);
      }
      continue;
    }
    const tg = b * S;
    let logA: f64 = 0;
    for (let t = 0; t < Tb; t++) logA += ld(alpha + (<usize>(b * T + t) * <usize>W << 2), W - 1);
    const last = alpha + (<usize>(b * T + Tb - 1) * <usize>W << 2);
    const ll = logA + (L > 0 ? lae(ld(last, N - 1), ld(last, N - 2)) : ld(last, N - 1));
    let logB: f64 = 0;
    for (let t = Tb - 1; t >= 0; t--) {
      const cur = beta + (<usize>(b * T + t) * <usize>W << 2), nxt = cur + (<usize>W << 2);
      const acur = alpha + (<usize>(b * T + t) * <usize>W << 2);
      const row = lp + (<usize>(t * B + b) * <usize>C << 2), grow = gLp + (<usize>(t * B + b) * <usize>C << 2);
      for (let s = 0; s < N; s++) {
        const l = label(targets, tg, blank, s);
        let v: f64;
        if (t == Tb - 1) v = s >= N - 2 ? 0 : -Infinity;
        else {
          v = ld(nxt, s);
          if (s + 1 < N) v = lae(v, ld(nxt, s + 1));
          if (s + 2 < N && l != blank && l != label(targets, tg, blank, s + 2)) v = lae(v, ld(nxt, s + 2));
        }
        st(cur, s, v + ld(row, l));
      }
      const m = shiftRow(cur, N);
      st(cur, W - 1, m);
      logB += m;
      const shift = logA + logB - ll;
      for (let c = 0; c < C; c++) st(grow, c, ld(grow, c) + g * Math.exp(ld(row, c)));
      for (let s = 0; s < N; s++) {
        const l = label(targets, tg, blank, s);
        st(grow, l, ld(grow, l) - g * Math.exp(ld(acur, s) + ld(cur, s) + shift - ld(row, l)));
      }
      logA -= ld(acur, W - 1);
    }
  }
}
