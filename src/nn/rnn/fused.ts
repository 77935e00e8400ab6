import { gradOf, gradSlot, outGrad, record } from '../../autograd/engine.js';
import { isGradEnabled } from '../../autograd/grad-mode.js';
import { allocStorage, emptyStorage, freeStorage, kernels } from '../../kernels/index.js';
import type { PackedB } from '../../kernels/types.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Packing } from './packing.js';

/**
 * One layer-direction of a recurrent network over a whole packed sequence, as ONE autograd
 * node (the cuDNN recipe, docs/architecture.md "How the recurrent layers are fast"):
 *
 * forward:  xg = X·W_ihᵀ + b                      one GEMM over all N packed rows
 *           per step t: hg = h_{t-1}·W_hhᵀ         one GEMM on the b_t running rows
 *                       gates/state/output         one fused kernel
 *           (training RNN/LSTM with I ≤ Hout: no xg; per step hg = [x_t | h_{t-1}]·[W_ih | W_hh]ᵀ, xg = b)
 * backward: per step, in reverse: dh → dG          one fused kernel
 *                       dh_{t-1} += dG·W_hh        one GEMM
 *           dX += dG·W_ih, dW_ih += dGᵀ·X, dW_hh += dGᵀ·H_prev, db += Σ dG   big GEMMs at the end
 *           (RNN/LSTM with I ≤ Hout: [dW_ih | dW_hh | db] += dGᵀ·[X | H_prev | 1], one GEMM)
 *
 * Dimension names: N packed rows, B batch, I input features, H hidden size, P projection size
 * (LSTM projSize, else 0), Hout = P || H the size of h, G the gate width.
 *
 * Every workspace is allocated once per call; steps use subarray views into it.
 */
export type FusedCellKind = 'rnnTanh' | 'rnnRelu' | 'lstm' | 'gru' | 'gruResetBefore';

export interface CellWeights {
  wIh: Tensor; // [G, I]
  wHh: Tensor; // [G, Hout]
  bIh: Tensor | null; // [G]
  bHh: Tensor | null; // [G]
  wHr: Tensor | null; // [P, H], LSTM projection only
}

export function gateCount(kind: FusedCellKind): number {
  return kind === 'lstm' ? 4 : kind === 'gru' || kind === 'gruResetBefore' ? 3 : 1;
}

/**
 * Runs one direction of one layer. x [N, I] packed input; h0 [B, Hout] and c0 [B, H] initial
 * states in SORTED batch order (null = zeros). Returns one combined tensor holding, flat and
 * in this order, Y [N, Hout] (the output of every packed row), hN [B, Hout] and, for LSTM,
 * cN [B, H] (each sequence's state after its last step, sorted order); callers cut it with
 * `part`. Combining keeps the op a single graph node whose backward sees all three gradients.
 */
export function rnnDirection(kind: FusedCellKind, H: number, P: number, reverse: boolean, pk: Packing,
  x: Tensor, h0: Tensor | null, c0: Tensor | null, w: CellWeights): Tensor {
  const K = kernels();
  const { N, B, T, batchSizes, offsets } = pk;
  const I = x.shape[1]!;
  const G = gateCount(kind) * H;
  const Hout = P > 0 ? P : H;
  const isLstm = kind === 'lstm';
  const act = kind === 'rnnRelu' ? 'relu' : 'tanh';
  const wIh = w.wIh.data, wHh = w.wHh.data, wHr = w.wHr?.data ?? null;

  // Biases folded into the input projection; the GRU keeps b_hn apart because r multiplies it.
  const bFold = allocStorage(G);
  if (w.bIh) K.copy(w.bIh.data, bFold);
  if (w.bHh) K.axpy(1, kind === 'gru' ? w.bHh.data.subarray(0, 2 * H) : w.bHh.data, bFold);
  const bhn = kind === 'gru' && w.bHh ? w.bHh.data.subarray(2 * H) : null;

  // h_{t-1} of every packed row, for dW_hh. When both weights train and share dG (all but the
  // GRUs), it sits beside a copy of x, hPrev = [x | h_{t-1}] with rows of ldh floats, so that
  // dW_ih and dW_hh come from one product: its narrow x side alone ran at half the GEMM rate.
  // Only for I ≤ Hout, so that the cache grows by at most an N×Hout buffer.
  const joint = isGradEnabled() && w.wIh.requiresGrad && w.wHh.requiresGrad && I <= Hout
    && (isLstm || kind === 'rnnTanh' || kind === 'rnnRelu');
  // With both biases training too, a column of ones closes each row, [x | h_{t-1} | 1]: the
  // joint product's last column is then Σ dG, both biases' gradient, with no pass of its own
  // over the N×G gradient.
  const onesCol = joint && w.bIh?.requiresGrad === true && w.bHh?.requiresGrad === true;
  // kx: the width of [x | h_{t-1}] (K of the step products); ldh: the rows' stride.
  const kx = joint ? I + Hout : Hout;
  const ldh = onesCol ? kx + 1 : kx, hOff = joint ? I : 0;
  // Every step multiplies by the same W_hhᵀ: prepare it once (packed by wasm and native), unless
  // there is one step or one row (matrix-vector products read W_hh as it is). With [x | h_{t-1}]
  // rows at hand (stepwise), each step's product takes the input side too, [W_ih | W_hh]ᵀ, and
  // the gate kernels read the bias from B rows that stay in cache as their xg: the input
  // projection over all N rows never runs, nor do its N·G floats go to memory and come back.
  const prepared = T > 1 && B > 1 && kind !== 'gruResetBefore';
  const stepwise = prepared && joint;

  // xg = X·W_ihᵀ + b, unless stepwise; the gate kernels overwrite it in place with activations,
  // which the LSTM's and GRUs' backward reads (a stepwise RNN needs neither). The buffers from
  // emptyStorage are written whole below (every packed row once) before any read: zero-filling
  // them was most of `alloc`'s time in a training step.
  const gates = stepwise && !isLstm ? null : emptyStorage(N * G);
  const biased = w.bIh !== null || w.bHh !== null;
  const bRows = stepwise ? (biased ? emptyStorage(B * G) : allocStorage(B * G)) : null;
  if (bRows && biased) K.copyBlocks(bFold, 0, 0, bRows, 0, G, G, B, false);
  if (!stepwise) {
    if (biased) K.copyBlocks(bFold, 0, 0, gates!, 0, G, G, N, false);
    K.gemm(false, true, N, G, I, 1, x.data, I, wIh, I, biased ? 1 : 0, gates!, G);
  }

  const out = new Tensor(emptyStorage(N * Hout + B * Hout + (isLstm ? B * H : 0)), [N * Hout + B * Hout + (isLstm ? B * H : 0)]);
  const Y = out.data.subarray(0, N * Hout);
  // Forward in time, the running rows of step t are a prefix of step t-1's (packing.ts), so
  // h_{t-1} and c_{t-1} are rows of the previous step's outputs. In reverse, rows that just
  // started take h0 and c0: the running states are kept in hAcc and cAcc, and copied.
  const prevRows = (buf: Float32Array, width: number, t: number, b: number): Float32Array =>
    buf.subarray(offsets[t - 1]! * width, (offsets[t - 1]! + b) * width);
  const hPrev = emptyStorage(N * ldh);
  if (joint) K.copyBlocks(x.data, 0, I, hPrev, 0, ldh, I, N, false);
  if (onesCol) {
    const one = allocStorage(1);
    one[0] = 1;
    K.copyBlocks(one, 0, 0, hPrev, kx, ldh, 1, N, false);
    freeStorage(one);
  }
  // Step rows [o, o + b) of h_{t-1}, ldh apart.
  const hpRows = (o: number, b: number): Float32Array => hPrev.subarray(o * ldh + hOff, (o + b - 1) * ldh + hOff + Hout);
  const hAcc = allocStorage(B * Hout); // h0, then (in reverse) each sorted sequence's state
  if (h0) K.copy(h0.data, hAcc);
  const hg = emptyStorage(B * G);
  const cAll = isLstm ? emptyStorage(N * H) : null;
  const cPrev = isLstm && reverse ? emptyStorage(N * H) : null; // c_{t-1} of every row, reverse only
  const cAcc = isLstm ? allocStorage(B * H) : null; // c0, then (in reverse) the running state
  if (c0 && cAcc) K.copy(c0.data, cAcc);
  // c_{t-1} of step t's rows, read by both passes (without cPrev the direction is forward: t = s).
  const cPrevRows = (t: number, o: number, b: number): Float32Array =>
    cPrev ? cPrev.subarray(o * H, (o + b) * H) : t === 0 ? cAcc!.subarray(0, b * H) : prevRows(cAll!, H, t, b);
  const mAll = isLstm && P > 0 ? emptyStorage(N * H) : null; // o·tanh(c) before the projection
  const side = kind === 'gru' || kind === 'gruResetBefore' ? emptyStorage(N * H) : null; // hn or r·h
  let wRec: PackedB | null = null;
  if (stepwise) {
    const wCat = emptyStorage(G * kx);
    K.copyBlocks(wIh, 0, I, wCat, 0, kx, I, G, false);
    K.copyBlocks(wHh, 0, Hout, wCat, I, kx, Hout, G, false);
    wRec = K.packB(true, kx, G, wCat, kx);
    freeStorage(wCat);
  } else if (prepared) {
    wRec = K.packB(true, Hout, G, wHh, Hout);
  }
  // hg = h_{t-1}·W_hhᵀ on step rows [o, o + b); stepwise, [x_t | h_{t-1}]·[W_ih | W_hh]ᵀ.
  const hhT = (o: number, b: number, hp: Float32Array): void => {
    if (stepwise) K.gemmPackedB(false, b, G, kx, 1, hPrev.subarray(o * ldh, (o + b - 1) * ldh + kx), ldh, wRec!, 0, hg, G);
    else if (wRec) K.gemmPackedB(false, b, G, Hout, 1, hp, ldh, wRec, 0, hg, G);
    else K.gemm(false, true, b, G, Hout, 1, hp, ldh, wHh, Hout, 0, hg, G);
  };

  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const b = batchSizes[t]!, o = offsets[t]!;
    const hp = hpRows(o, b);
    K.copyBlocks(reverse || s === 0 ? hAcc : prevRows(Y, Hout, t, b), 0, Hout, hp, 0, ldh, Hout, b, false);
    const gt = gates?.subarray(o * G, (o + b) * G) ?? null;
    const xg = bRows ? bRows.subarray(0, b * G) : gt!;
    const y = Y.subarray(o * Hout, (o + b) * Hout);
    switch (kind) {
      case 'rnnTanh':
      case 'rnnRelu':
        hhT(o, b, hp);
        K.rnnGatesForward(act, b, H, xg, hg, y);
        break;
      case 'lstm': {
        hhT(o, b, hp);
        const cp = cPrevRows(t, o, b), c = cAll!.subarray(o * H, (o + b) * H);
        if (cPrev) K.copy(cAcc!.subarray(0, b * H), cp);
        const m = mAll ? mAll.subarray(o * H, (o + b) * H) : y;
        K.lstmGatesForward(b, H, xg, hg, cp, gt!, c, m);
        if (mAll) K.gemm(false, true, b, P, H, 1, m, H, wHr!, H, 0, y, P);
        if (reverse) K.copy(c, cAcc!);
        break;
      }
      case 'gru':
        hhT(o, b, hp);
        K.gruGatesForward(b, H, xg, hg, bhn, hp, xg, side!.subarray(o * H, (o + b) * H), y);
        break;
      case 'gruResetBefore': {
        const rh = side!.subarray(o * H, (o + b) * H);
        K.gemm(false, true, b, 2 * H, H, 1, hp, ldh, wHh, H, 0, hg, G);
        K.gruResetBeforeGates(b, H, xg, hg, hp, xg, rh);
        K.gemm(false, true, b, H, H, 1, rh, H, wHh.subarray(2 * H * H), H, 0, hg.subarray(2 * H), G);
        K.gruResetBeforeOutput(b, H, xg, hg, hp, xg, y);
        break;
      }
    }
    if (reverse) K.copy(y, hAcc);
  }
  const hN = out.data.subarray(N * Hout, N * Hout + B * Hout), cN = out.data.subarray(N * Hout + B * Hout);
  if (reverse) {
    K.copy(hAcc, hN);
    if (cAcc) K.copy(cAcc, cN);
  } else {
    // Rows [b_{t+1}, b_t) of step t are the sequences that end there (b_0 = B: lengths are ≥ 1).
    for (let t = 0; t < T; t++) {
      const b = batchSizes[t]!, bNext = t + 1 < T ? batchSizes[t + 1]! : 0, o = offsets[t]!;
      if (b === bNext) continue;
      K.copy(Y.subarray((o + bNext) * Hout, (o + b) * Hout), hN.subarray(bNext * Hout));
      if (cAll) K.copy(cAll.subarray((o + bNext) * H, (o + b) * H), cN.subarray(bNext * H));
    }
  }
  if (wRec) K.freePackedB(wRec);
  freeStorage(bFold, hg, hAcc, bRows);

  const inputs = [x, w.wIh, w.wHh];
  for (const t of [w.bIh, w.bHh, w.wHr, h0, c0]) if (t) inputs.push(t);

  return record(out, `${kind}${reverse ? 'Reverse' : ''}`, inputs, () => {
    const K = kernels();
    const g = outGrad(out);
    const dY = g.subarray(0, N * Hout);
    // Gradient of each sorted sequence's current state; starts as the gradient of h_n / c_n.
    const dhAcc = allocStorage(B * Hout);
    K.copy(g.subarray(N * Hout, N * Hout + B * Hout), dhAcc);
    const dcAcc = isLstm ? allocStorage(B * H) : null;
    if (dcAcc) K.copy(g.subarray(N * Hout + B * Hout), dcAcc);

    // The gate kernels write dG and run in place on the state gradients, so nothing is zeroed.
    const dGx = emptyStorage(N * G);
    const dGh = kind === 'gru' ? emptyStorage(N * G) : dGx; // GRU: dn·r on the recurrent side
    // dL/dh_t of every row, kept when the projection's dW_hr needs it.
    const dHall = mAll ? emptyStorage(N * P) : null;
    const dm = mAll ? emptyStorage(B * H) : null;
    const drh = kind === 'gruResetBefore' ? emptyStorage(B * H) : null;
    const wRec = prepared ? K.packB(false, G, Hout, wHh, Hout) : null;
    // The GRUs' gate kernels write dh·z to dhPrev, which the recurrent product then adds to;
    // every other cell gets dhPrev from the product alone.
    const recBeta = kind === 'gru' || kind === 'gruResetBefore' ? 1 : 0;

    for (let s = T - 1; s >= 0; s--) {
      const t = reverse ? T - 1 - s : s;
      const b = batchSizes[t]!, o = offsets[t]!;
      // The running rows of dhAcc hold dL/dh_t from later steps; they become dL/dh_{t-1}.
      const dhRun = dhAcc.subarray(0, b * Hout);
      K.axpy(1, dY.subarray(o * Hout, (o + b) * Hout), dhRun);
      let dh = dhRun;
      if (dHall) {
        dh = dHall.subarray(o * P, (o + b) * P);
        K.copy(dhRun, dh);
      }
      const hp = hpRows(o, b);
      const gt = gates?.subarray(o * G, (o + b) * G) ?? null; // null only for a stepwise RNN
      const dgx = dGx.subarray(o * G, (o + b) * G), dgh = dGh.subarray(o * G, (o + b) * G);
      switch (kind) {
        case 'rnnTanh':
        case 'rnnRelu':
          K.rnnGatesBackward(act, b, H, Y.subarray(o * Hout, (o + b) * Hout), dh, dgx);
          break;
        case 'lstm': {
          let dmt = dh;
          if (dm) {
            dmt = dm.subarray(0, b * H);
            K.gemm(false, false, b, H, P, 1, dh, P, wHr!, H, 0, dmt, H);
          }
          const dc = dcAcc!.subarray(0, b * H); // dL/dc_t in, dL/dc_{t-1} out
          K.lstmGatesBackward(b, H, gt!, cPrevRows(t, o, b), cAll!.subarray(o * H, (o + b) * H),
            dmt, dc, dgx, dc);
          break;
        }
        case 'gru':
          K.gruGatesBackward(b, H, gt!, side!.subarray(o * H, (o + b) * H), hp, dh, dgx, dgh, dhRun);
          break;
        case 'gruResetBefore': {
          const d = drh!.subarray(0, b * H);
          K.gruResetBeforeOutputBackward(b, H, gt!, hp, dh, dgx, dhRun);
          K.gemm(false, false, b, H, H, 1, dgx.subarray(2 * H), G, wHh.subarray(2 * H * H), H, 0, d, H);
          K.gruResetBeforeGatesBackward(b, H, gt!, hp, d, dgx, dhRun);
          K.gemm(false, false, b, H, 2 * H, 1, dgx, G, wHh, H, 1, dhRun, H);
          break;
        }
      }
      if (wRec) K.gemmPackedB(false, b, Hout, G, 1, dgh, G, wRec, recBeta, dhRun, Hout);
      else if (kind !== 'gruResetBefore') K.gemm(false, false, b, Hout, G, 1, dgh, G, wHh, Hout, recBeta, dhRun, Hout);
    }
    if (wRec) K.freePackedB(wRec);
    // After the first step (in processing order) every sequence's accumulator holds dL/dh0.
    if (h0?.requiresGrad) K.axpy(1, dhAcc, gradOf(h0));
    if (c0?.requiresGrad) K.axpy(1, dcAcc!, gradOf(c0));

    // Each product below writes its whole gradient (the GRU's two write disjoint rows).
    if (x.requiresGrad) {
      const dx = gradSlot(x);
      K.gemm(false, false, N, I, G, 1, dGx, G, wIh, I, dx.fresh ? 0 : 1, dx.data, I);
    }
    if (joint) {
      // [dW_ih | dW_hh (| Σ dG)] = dGᵀ·[x | h_{t-1} (| 1)], then each weight's columns to its gradient.
      const dW = emptyStorage(G * ldh);
      K.gemm(true, false, G, ldh, N, 1, dGx, G, hPrev, ldh, 0, dW, ldh);
      const di = gradSlot(w.wIh);
      K.copyBlocks(dW, 0, ldh, di.data, 0, I, I, G, !di.fresh);
      const dh = gradSlot(w.wHh);
      K.copyBlocks(dW, I, ldh, dh.data, 0, Hout, Hout, G, !dh.fresh);
      if (onesCol) {
        K.copyBlocks(dW, kx, ldh, gradOf(w.bIh!), 0, 1, 1, G, true);
        K.copyBlocks(dW, kx, ldh, gradOf(w.bHh!), 0, 1, 1, G, true);
      }
      freeStorage(dW);
    } else if (w.wIh.requiresGrad) {
      const dw = gradSlot(w.wIh);
      K.gemm(true, false, G, I, N, 1, dGx, G, x.data, I, dw.fresh ? 0 : 1, dw.data, I);
    }
    if (w.wHh.requiresGrad && !joint) {
      const dw = gradSlot(w.wHh), beta = dw.fresh ? 0 : 1;
      if (kind === 'gruResetBefore') {
        K.gemm(true, false, 2 * H, H, N, 1, dGx, G, hPrev, ldh, beta, dw.data, H);
        K.gemm(true, false, H, H, N, 1, dGx.subarray(2 * H), G, side!, H, beta, dw.data.subarray(2 * H * H), H);
      } else {
        K.gemm(true, false, G, Hout, N, 1, dGh, G, hPrev, ldh, beta, dw.data, Hout);
      }
    }
    const gbIh = w.bIh?.requiresGrad && !onesCol ? gradOf(w.bIh) : null, gbHh = w.bHh?.requiresGrad && !onesCol ? gradOf(w.bHh) : null;
    if (gbIh && gbHh && dGh === dGx) {
      // Both biases get Σ dG (all but the GRU's): one pass over the N×G gradient, not two.
      const db = allocStorage(G);
      K.sumToBroadcast(dGx, 1, db, 1);
      K.axpy(1, db, gbIh);
      K.axpy(1, db, gbHh);
      freeStorage(db);
    } else {
      if (gbIh) K.sumToBroadcast(dGx, 1, gbIh, 1);
      if (gbHh) K.sumToBroadcast(dGh, 1, gbHh, 1);
    }
    if (w.wHr?.requiresGrad) {
      const dw = gradSlot(w.wHr);
      K.gemm(true, false, P, H, N, 1, dHall!, P, mAll!, H, dw.fresh ? 0 : 1, dw.data, H);
    }
    freeStorage(dhAcc, dcAcc, dGx, dGh === dGx ? null : dGh, dHall, dm, drh);
  }, () => freeStorage(gates, hPrev, cPrev, cAll, cAcc, mAll, side));
}
