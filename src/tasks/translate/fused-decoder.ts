import { gradOf, outGrad, record } from '../../autograd/engine.js';
import { allocStorage, isFloat64, kernels } from '../../kernels/index.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * Storage kept from one batch to the next (docs/architecture.md: no per-step allocation).
 * Every batch allocating ~15 MB of fresh workspace made reclaimMemory's forced full GC (tens
 * of ms) run more often. Slots grow to the largest batch seen and are never shrunk.
 */
class Arena {
  private readonly bufs = new Map<string, Float32Array>();

  /** n elements of a slot; contents are whatever the last user left (callers clear what they accumulate into). */
  get(slot: string, n: number): Float32Array {
    let b = this.bufs.get(slot);
    if (!b || b.length < n) {
      b = allocStorage(Math.ceil(n * 1.25));
      this.bufs.set(slot, b);
    }
    return b.subarray(0, n);
  }
}

// Per backend and precision, so a buffer always matches the kernels that use it.
const backwardArenas = new Map<string, Arena>();
/** Forward buffers live until the graph's backward: an arena is lent to one graph at a time. */
const forwardArenas = new Map<string, { arena: Arena; owner: WeakRef<Tensor> | null }>();

const arenaKey = (): string => `${kernels().name}:${isFloat64() ? 64 : 32}`;

function backwardArena(): Arena {
  const key = arenaKey();
  let a = backwardArenas.get(key);
  if (!a) backwardArenas.set(key, (a = new Arena()));
  return a;
}

/** The forward arena if no live graph may still backward through it (else null: allocate fresh). */
function borrowForwardArena(): { arena: Arena; owner: WeakRef<Tensor> | null } | null {
  const key = arenaKey();
  let e = forwardArenas.get(key);
  if (!e) forwardArenas.set(key, (e = { arena: new Arena(), owner: null }));
  const prev = e.owner?.deref();
  // A released node cannot run again; a graph kept for a second backward (retainGraph) or not
  // yet backwarded keeps its buffers.
  if (prev && !(prev.node?.released ?? true)) return null;
  return e;
}

/** The tensors of a teacher-forced Luong decoder with one GRU layer (torch.nn.GRUCell names). */
export interface LuongGruWeights {
  /** [3H, E (+H with input feeding)]. */
  wIh: Tensor;
  /** [3H, H]. */
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  /** General score's W_aᵀ [Dv, H]; null for the dot score (query = h_t). */
  wQ: Tensor | null;
  /** W_c [H, Dv + H] (no bias). */
  wC: Tensor;
}

/**
 * The whole teacher-forced decoder loop of a one-layer GRU Luong decoder (dot or general score,
 * with or without input feeding, no dropout) as ONE autograd node, the recipe of
 * nn/rnn/fused.ts applied to the decoder. Per step it computes exactly what Decoder.step does:
 *
 *     h_t = GRU([E y_{t-1}; h̃_{t-1}], h_{t-1});  q_t = W_aᵀ h_t (general) or h_t (dot)
 *     a_t = masked softmax(h̄ q_t);  c_t = h̄ᵀ a_t;  h̃_t = tanh(W_c [c_t; h_t])
 *
 * Why it is faster than the per-step graph: the work that does not depend on the recurrence is
 * taken out of the time loop — the embedding half of the input projection is one GEMM over all
 * T·B rows, and every weight gradient (W_ih, W_hh, biases, W_a, W_c) is one GEMM over T·B rows
 * at the end of backward instead of T GEMMs over B rows — and the ~20 graph nodes, concats and
 * allocations of each step are gone. Only float rounding differs from the per-step graph
 * (the input projection's K is split in two; gradients are summed in another order).
 *
 * | tensor | shape |
 * |---|---|
 * | emb | [T·B, E], time-major: E y_{t-1} for every step |
 * | h0 | [B, H] |
 * | values h̄ | [B, S, Dv] |
 * | mask | [B, S], 1 at padding; null when nothing is padded |
 * | returns h̃ | [T·B, H], time-major |
 */
export function luongGruDecode(T: number, B: number, emb: Tensor, h0: Tensor, values: Tensor, mask: Tensor | null,
  w: LuongGruWeights): Tensor {
  const K = kernels();
  const lent = borrowForwardArena();
  const fwd = (slot: string, n: number): Float32Array => (lent ? lent.arena.get(slot, n) : allocStorage(n));
  const H = w.wHh.shape[1]!, G = 3 * H, E = emb.shape[1]!, I = w.wIh.shape[1]!;
  const feeds = I > E;
  const S = values.shape[1]!, Dv = values.shape[2]!, C2 = Dv + H;
  const N = T * B;
  const wIh = w.wIh.data, wHh = w.wHh.data, wC = w.wC.data, wQ = w.wQ?.data ?? null, vals = values.data;
  const wIhFeed = wIh.subarray(E);

  // Biases folded as in fused.ts: b_hn stays apart because r multiplies it.
  const bFold = allocStorage(G);
  if (w.bIh) K.copy(w.bIh.data, bFold);
  if (w.bHh) K.axpy(1, w.bHh.data.subarray(0, 2 * H), bFold);
  const bhn = w.bHh ? w.bHh.data.subarray(2 * H) : null;

  // gates: input projection, then overwritten in place with the activations backward needs.
  const gates = fwd('gates', N * G);
  if (w.bIh || w.bHh) K.copyBlocks(bFold, 0, 0, gates, 0, G, G, N, false);
  else K.fill(gates, 0);
  K.gemm(false, true, N, G, E, 1, emb.data, E, wIh, I, 1, gates, G);

  const out = new Tensor(allocStorage(N * H), [N, H]);
  const y = out.data;
  const hAll = fwd('hAll', (T + 1) * B * H); // block t = h_{t-1}: h0, h_1 … h_T
  K.copy(h0.data, hAll);
  const hn = fwd('hn', N * H);
  const qAll = wQ ? fwd('q', N * Dv) : null;
  const att = fwd('att', N * S); // a_t of every step
  const ch = fwd('ch', N * C2); // [c_t; h_t] of every step, for dW_c
  // Forward-only scratch: the backward arena is free outside a backward.
  const ws = backwardArena();
  const hg = ws.get('hg', B * G);
  const e = ws.get('e', B * S);
  const eMasked = mask ? ws.get('eMasked', B * S) : null;
  const negInf = mask ? ws.get('negInf', B * S) : null;
  if (negInf) K.fill(negInf, -Infinity);
  const ctx = ws.get('ctx', B * Dv);

  for (let t = 0; t < T; t++) {
    const xg = gates.subarray(t * B * G, (t + 1) * B * G);
    // h̃_{-1} is zero: its share of the projection is zero.
    if (feeds && t > 0) K.gemm(false, true, B, G, H, 1, y.subarray((t - 1) * B * H, t * B * H), H, wIhFeed, I, 1, xg, G);
    const hp = hAll.subarray(t * B * H, (t + 1) * B * H), h = hAll.subarray((t + 1) * B * H, (t + 2) * B * H);
    K.gemm(false, true, B, G, H, 1, hp, H, wHh, H, 0, hg, G);
    K.gruGatesForward(B, H, xg, hg, bhn, hp, xg, hn.subarray(t * B * H, (t + 1) * B * H), h);
    let q = h;
    if (wQ) {
      q = qAll!.subarray(t * B * Dv, (t + 1) * B * Dv);
      K.gemm(false, true, B, Dv, H, 1, h, H, wQ, H, 0, q, Dv);
    }
    K.bmv(false, B, S, Dv, vals, q, e, false);
    if (mask) K.where(mask.data, negInf!, e, eMasked!);
    const a = att.subarray(t * B * S, (t + 1) * B * S);
    K.softmax(eMasked ?? e, B, S, a, false);
    K.bmv(true, B, S, Dv, vals, a, ctx, false);
    const cht = ch.subarray(t * B * C2, (t + 1) * B * C2);
    K.copyBlocks(ctx, 0, Dv, cht, 0, C2, Dv, B, false);
    K.copyBlocks(h, 0, H, cht, Dv, C2, H, B, false);
    const yt = y.subarray(t * B * H, (t + 1) * B * H);
    K.gemm(false, true, B, H, C2, 1, cht, C2, wC, C2, 0, yt, H);
    K.unary('tanh', yt, yt);
  }

  const inputs = [emb, h0, values, w.wIh, w.wHh, w.wC];
  for (const p of [w.bIh, w.bHh, w.wQ]) if (p) inputs.push(p);

  const result = record(out, 'luongGruDecoder', inputs, () => {
    const K = kernels();
    const gy = outGrad(out);
    const ws = backwardArena();
    const dU = ws.get('dU', N * H); // through tanh: the gradient of W_c [c; h]
    const dQ = qAll ? ws.get('dQ', N * Dv) : null;
    const dGx = ws.get('dGx', N * G), dGh = ws.get('dGh', N * G); // the gate kernel writes each step's rows
    K.fill(dU, 0);
    const dY = ws.get('dY', B * H); // total gradient of h̃_t
    const dFeed = feeds ? ws.get('dFeed', B * H) : null; // from step t+1's input
    const dh = ws.get('dh', B * H); // total gradient of h_t
    const dhCarry = ws.get('dhCarry', B * H); // gradient of h_{t-1} from the recurrence
    K.fill(dhCarry, 0);
    const dCh = ws.get('dCh', B * C2);
    const dCtx = ws.get('dCtx', B * Dv);
    const dA = ws.get('dA', B * S), dE = ws.get('dE', B * S), dEm = mask ? ws.get('dEm', B * S) : null;
    const dq = ws.get('dq', B * Dv);
    const dVals = values.requiresGrad ? gradOf(values) : null;

    for (let t = T - 1; t >= 0; t--) {
      const rows = (n: number): [number, number] => [t * B * n, (t + 1) * B * n];
      K.copy(gy.subarray(...rows(H)), dY);
      if (dFeed && t < T - 1) K.axpy(1, dFeed, dY);
      const yt = y.subarray(...rows(H)), du = dU.subarray(...rows(H));
      K.unaryBackward('tanh', yt, yt, dY, du);
      K.gemm(false, false, B, C2, H, 1, du, H, wC, C2, 0, dCh, C2);
      K.copyBlocks(dCh, 0, C2, dCtx, 0, Dv, Dv, B, false);
      K.copy(dhCarry, dh);
      K.copyBlocks(dCh, Dv, C2, dh, 0, H, H, B, true);

      // Attention: context, masked softmax, scores (the backward of bmvT, softmax, maskedFill, bmv).
      const a = att.subarray(...rows(S));
      K.bmv(false, B, S, Dv, vals, dCtx, dA, false);
      if (dVals) K.bger(B, S, Dv, a, dCtx, dVals);
      K.fill(dE, 0);
      K.softmaxBackward(a, dA, B, S, dE, false);
      let de = dE;
      if (dEm) {
        K.fill(dEm, 0);
        K.whereBackward(mask!.data, dE, dEm, false);
        de = dEm;
      }
      const h = hAll.subarray((t + 1) * B * H, (t + 2) * B * H);
      const q = qAll ? qAll.subarray(...rows(Dv)) : h;
      if (dVals) K.bger(B, S, Dv, de, q, dVals);
      if (dQ) {
        const dqt = dQ.subarray(...rows(Dv));
        K.bmv(true, B, S, Dv, vals, de, dqt, false);
        K.gemm(false, false, B, H, Dv, 1, dqt, Dv, wQ!, H, 1, dh, H);
      } else {
        K.bmv(true, B, S, Dv, vals, de, dq, false);
        K.axpy(1, dq, dh);
      }

      // The GRU cell: gates, then h_{t-1} through W_hh and h̃_{t-1} through W_ih's feed columns.
      const hp = hAll.subarray(t * B * H, (t + 1) * B * H);
      const dgx = dGx.subarray(...rows(G)), dgh = dGh.subarray(...rows(G));
      K.gruGatesBackward(B, H, gates.subarray(...rows(G)), hn.subarray(...rows(H)), hp, dh, dgx, dgh, dhCarry);
      K.gemm(false, false, B, H, G, 1, dgh, G, wHh, H, 1, dhCarry, H);
      if (dFeed && t > 0) K.gemm(false, false, B, H, G, 1, dgx, G, wIhFeed, I, 0, dFeed, H);
    }

    if (h0.requiresGrad) K.axpy(1, dhCarry, gradOf(h0));
    if (emb.requiresGrad) K.gemm(false, false, N, E, G, 1, dGx, G, wIh, I, 1, gradOf(emb), E);
    if (w.wIh.requiresGrad) {
      const gW = gradOf(w.wIh);
      K.gemm(true, false, G, E, N, 1, dGx, G, emb.data, E, 1, gW, I);
      if (feeds && T > 1) K.gemm(true, false, G, H, N - B, 1, dGx.subarray(B * G), G, y, H, 1, gW.subarray(E), I);
    }
    if (w.wHh.requiresGrad) K.gemm(true, false, G, H, N, 1, dGh, G, hAll, H, 1, gradOf(w.wHh), H);
    if (w.bIh?.requiresGrad) K.sumToBroadcast(dGx, 1, gradOf(w.bIh), 1);
    if (w.bHh?.requiresGrad) K.sumToBroadcast(dGh, 1, gradOf(w.bHh), 1);
    if (w.wC.requiresGrad) K.gemm(true, false, H, C2, N, 1, dU, H, ch, C2, 1, gradOf(w.wC), C2);
    if (w.wQ?.requiresGrad) K.gemm(true, false, Dv, H, N, 1, dQ!, Dv, hAll.subarray(B * H), H, 1, gradOf(w.wQ), H);
  });
  // Without a graph (noGrad, or no input needing grad) nothing will read the buffers again.
  if (lent) lent.owner = result.node ? new WeakRef(result) : null;
  return result;
}
