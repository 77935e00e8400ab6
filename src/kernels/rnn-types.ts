/**
 * Fused gate kernels for the recurrent layers (RNN, LSTM, GRU).
 *
 * One recurrent step of a layer is: a GEMM for the recurrent projection `hg = h_prev · W_hhᵀ`
 * (done by the caller with `gemm`), then ONE call here that does all the elementwise gate math
 * for the `rows` active sequences of that step. Backward is the mirror image: one call here per
 * step turns the gradient of the step's output into gate pre-activation gradients, then the
 * caller does the recurrent GEMM `dh_prev += dG · W_hh` and, after the whole sequence, the big
 * GEMMs for dW_ih, dW_hh and dX over all timesteps.
 *
 * Shapes (all arrays row-major, row r < rows, unit j < H):
 * - `H` hidden size. `G` gate width: RNN H, LSTM 4H, GRU 3H. Gate blocks are PyTorch's order:
 *   LSTM `i, f, g, o`; GRU `r, z, n`. Element (r, k) of a `[rows, G]` array is at `r*G + k`.
 * - `xg [rows, G]`: input projection `x · W_ihᵀ + b_ih` plus every recurrent bias that can be
 *   folded in (all of b_hh for RNN/LSTM and for the reset-before GRU; b_hr, b_hz for the GRU).
 * - `hg [rows, G]`: the recurrent GEMM output `h_prev · W_hhᵀ` (no bias).
 * - Post-activation gates are cached in `gates [rows, G]` for backward. `gates` MAY alias `xg`
 *   (each element is read before it is written): the layers use that to save a buffer.
 * - Backward kernels may run in place on the state gradient: `dcPrev` MAY alias `dc` (LSTM) and
 *   `dhPrev` MAY alias `dh` (both GRUs), as `gates` may alias `xg`.
 * - Every other output array must not alias an input.
 *
 * Forward kernels overwrite their outputs. Unlike the rest of the kernel interface, backward
 * kernels OVERWRITE theirs too (`dpre`, `dGates`, `dGx`, `dGh`, `dG`, `dcPrev`, `dhPrev`): they are
 * one step's workspace, which nothing else adds to before the kernel runs, so accumulating would
 * only make the caller zero them on every step. The one exception is the second half of the
 * reset-before GRU: `gruResetBeforeGatesBackward` ADDS its term to the `dhPrev` that
 * `gruResetBeforeOutputBackward` wrote. The caller adds the recurrent product `dG·W_hh` after.
 *
 * Backward derivation, written once here; js/rnn.ts, assembly/rnn.ts and native/src/rnn.h
 * implement exactly these lines. The pre-activation is a = xg + hg, so xg and hg receive the
 * same gradient da. Activation derivatives come from the cached outputs: σ'(a) = s·(1 − s)
 * for s = σ(a), tanh'(a) = 1 − t² for t = tanh(a).
 * - Elman: h = act(a). da = dh·(1 − h²) for tanh; da = dh·[h > 0] for relu (relu'(0) = 0).
 * - LSTM: c = f·cPrev + i·g, m = o·tanh(c). Given dm and dc (c's gradient from later steps),
 *     dct  = dc + dm·o·(1 − tanh²c)       (all of c's gradient)
 *     da_i = dct·g·i(1 − i)      da_f = dct·cPrev·f(1 − f)
 *     da_g = dct·i·(1 − g²)      da_o = dm·tanh(c)·o(1 − o)
 *     dcPrev = dct·f
 * - GRU, reset after: hn = hg_n + b_hn, n = tanh(xg_n + r·hn), h = (1 − z)·n + z·hPrev.
 *     da_n = dh·(1 − z)·(1 − n²)   da_z = dh·(hPrev − n)·z(1 − z)   da_r = da_n·hn·r(1 − r)
 *     dhPrev = dh·z (plus dGh·W_hh, done by the caller)
 *   The n block's pre-activation is xg_n + r·hn, so the input side gets da_n and the recurrent
 *   side (hg_n + b_hn) gets da_n·r; the r and z blocks get the same da on both sides.
 * - GRU, reset before (Keras 2): rh = r·hPrev, n = tanh(xg_n + rh·W_hnᵀ).
 *     step 2: da_n = dh·(1 − z)·(1 − n²), da_z = dh·(hPrev − n)·z(1 − z), dhPrev = dh·z;
 *             the caller forms drh = da_n·W_hn;
 *     step 1: da_r = drh·hPrev·r(1 − r), dhPrev += drh·r.
 *
 * The reference implementation is js/rnn.ts. Like all of the js backend it is dtype-generic.
 */
export type RnnActivation = 'tanh' | 'relu';

export interface RnnKernels {
  /** Elman RNN: h = act(xg + hg). xg, hg, h are [rows, H]. */
  rnnGatesForward(act: RnnActivation, rows: number, H: number, xg: Float32Array, hg: Float32Array, h: Float32Array): void;
  /** dpre = dh · act'(pre), with act' taken from the output h (tanh: 1 - h², relu: h > 0). */
  rnnGatesBackward(act: RnnActivation, rows: number, H: number, h: Float32Array, dh: Float32Array, dpre: Float32Array): void;

  /**
   * LSTM: i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o) with a = xg + hg ([rows, 4H]);
   * c = f·cPrev + i·g; m = o·tanh(c). Writes gates (i, f, g, o post-activation), c and m
   * ([rows, H]). m is h, or the input of the projection when the LSTM has projSize.
   */
  lstmGatesForward(rows: number, H: number, xg: Float32Array, hg: Float32Array, cPrev: Float32Array,
    gates: Float32Array, c: Float32Array, m: Float32Array): void;
  /**
   * Given dm (gradient of m) and dc (gradient of c from later steps / c_n), writes the
   * pre-activation gradients to dGates [rows, 4H] and f·(dc + dm·o·(1 - tanh²c)) to dcPrev.
   */
  lstmGatesBackward(rows: number, H: number, gates: Float32Array, cPrev: Float32Array, c: Float32Array,
    dm: Float32Array, dc: Float32Array, dGates: Float32Array, dcPrev: Float32Array): void;

  /**
   * GRU as PyTorch defines it (reset gate applied AFTER the recurrent matmul):
   * r = σ(xg_r + hg_r), z = σ(xg_z + hg_z), hn = hg_n + b_hn, n = tanh(xg_n + r·hn),
   * h = (1 - z)·n + z·hPrev. `bhn` ([H], the n block of b_hh) is null without bias.
   * Writes gates (r, z, n), hn [rows, H] (cached for backward) and h [rows, H].
   */
  gruGatesForward(rows: number, H: number, xg: Float32Array, hg: Float32Array, bhn: Float32Array | null,
    hPrev: Float32Array, gates: Float32Array, hn: Float32Array, h: Float32Array): void;
  /**
   * Writes dGx = (da_r, da_z, da_n) — the gradient of the input-side pre-activations —
   * and dGh = (da_r, da_z, da_n·r) — the gradient of hg + b_hh — and dhPrev = dh·z (the
   * direct path; the caller adds dGh · W_hh).
   */
  gruGatesBackward(rows: number, H: number, gates: Float32Array, hn: Float32Array, hPrev: Float32Array,
    dh: Float32Array, dGx: Float32Array, dGh: Float32Array, dhPrev: Float32Array): void;

  /**
   * GRU in the Keras-2 / TF.js form (reset gate applied BEFORE the matmul):
   * n = tanh(xg_n + W_hn·(r·hPrev)). Needs two recurrent GEMMs per step, so the gate math is
   * split in two. Step 1, after hg[:, 0:2H] = hPrev · W_h{r,z}ᵀ: r = σ(xg_r + hg_r),
   * z = σ(xg_z + hg_z); writes gates r, z and rh = r·hPrev [rows, H].
   */
  gruResetBeforeGates(rows: number, H: number, xg: Float32Array, hg: Float32Array, hPrev: Float32Array,
    gates: Float32Array, rh: Float32Array): void;
  /** Step 2, after hg[:, 2H:3H] = rh · W_hnᵀ: n = tanh(xg_n + hg_n), h = (1 - z)·n + z·hPrev. Writes gate n and h. */
  gruResetBeforeOutput(rows: number, H: number, xg: Float32Array, hg: Float32Array, hPrev: Float32Array,
    gates: Float32Array, h: Float32Array): void;
  /**
   * Backward of step 2: writes dG[:, z] = da_z, dG[:, n] = da_n, dhPrev = dh·z. The caller then
   * forms drh = dG[:, n] · W_hn.
   */
  gruResetBeforeOutputBackward(rows: number, H: number, gates: Float32Array, hPrev: Float32Array,
    dh: Float32Array, dG: Float32Array, dhPrev: Float32Array): void;
  /** Backward of step 1, given drh (gradient of rh): writes dG[:, r] = da_r; ADDS dhPrev += drh·r. */
  gruResetBeforeGatesBackward(rows: number, H: number, gates: Float32Array, hPrev: Float32Array,
    drh: Float32Array, dG: Float32Array, dhPrev: Float32Array): void;
}
