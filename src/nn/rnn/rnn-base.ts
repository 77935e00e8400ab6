import { concat, dropout, indexSelect } from '../../autograd/ops/index.js';
import { RecurError } from '../../errors.js';
import { allocStorage } from '../../kernels/index.js';
import { shapeStr } from '../../tensor/shape.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { checkChoice, checkDropout, checkInt, checkLengths, checkState } from './checks.js';
import { gateCount, rnnDirection, type FusedCellKind, type CellWeights } from './fused.js';
import { orthogonal_, uniform_ } from './init.js';
import { isIdentityIndex, makePacking, packedRowIndex, part, scatterRows } from './packing.js';

/** Options shared by RNN, LSTM and GRU: PyTorch's, camelCased. */
export interface RNNBaseOptions {
  /** Features per input step, I. */
  inputSize: number;
  /** Features of the hidden state, H. */
  hiddenSize: number;
  /** Stacked layers; layer k ≥ 1 reads the output of layer k-1. Default 1. */
  numLayers?: number;
  /** Use bias_ih / bias_hh. Default true. */
  bias?: boolean;
  /** Input and output are [B, T, ·] instead of [T, B, ·]. States are [L·D, B, ·] either way. Default false. */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training only. Default 0. */
  dropout?: number;
  /** Also run every layer backwards in time and concatenate both directions. Default false. */
  bidirectional?: boolean;
  /**
   * Initialisation of weight_hh: 'uniform' is PyTorch's default U(-1/√H, 1/√H) (as every other
   * parameter); 'orthogonal' makes each gate block of weight_hh orthogonal (torch.nn.init.orthogonal_).
   */
  recurrentInit?: 'uniform' | 'orthogonal';
}

/** Optional inputs of forward. */
export interface RecurrentInputs {
  /**
   * Valid steps of each sequence, in batch order (any order, each in [1, T]). Steps past a
   * sequence's length are ignored, its output there is zero and its final state is the one
   * after its last valid step: PyTorch's pack_padded_sequence(enforce_sorted=False).
   */
  lengths?: ArrayLike<number> | Tensor;
  /** Initial hidden state [numLayers·D, B, Hout] (unbatched: [numLayers·D, Hout]). Default zeros. */
  h0?: Tensor;
  /** LSTM only: initial cell state [numLayers·D, B, H]. Default zeros. */
  c0?: Tensor;
}

export interface RecurrentOutputs {
  /** [T, B, D·Hout], or [B, T, D·Hout] with batchFirst: the last layer's h at every step. */
  output: Tensor;
  /** [numLayers·D, B, Hout]: every layer-direction's final hidden state. */
  h: Tensor;
}

export interface RunResult {
  output: Tensor;
  h: Tensor;
  c: Tensor | null;
}

/**
 * The machinery shared by RNN, LSTM and GRU: parameters named and ordered as PyTorch's
 * `_flat_weights`, input checks, packing of variable lengths, and the stack of fused
 * layer-direction ops.
 */
export abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** LSTM projection size P (0 = none). The state h has size Hout = P || H. */
  readonly projSize: number;
  readonly recurrentInit: 'uniform' | 'orthogonal';
  protected readonly kind: FusedCellKind;
  /** Weights by [layer][direction]. */
  protected readonly cells: CellWeights[][] = [];
  private readonly layerName: string;

  protected constructor(layerName: string, kind: FusedCellKind, opts: RNNBaseOptions, projSize: number) {
    super();
    if (typeof opts !== 'object' || opts === null) throw new RecurError(`${layerName}: expected an options object { inputSize, hiddenSize, ... }`);
    this.layerName = layerName;
    this.kind = kind;
    this.inputSize = checkInt(layerName, 'inputSize', opts.inputSize, 1);
    this.hiddenSize = checkInt(layerName, 'hiddenSize', opts.hiddenSize, 1);
    this.numLayers = checkInt(layerName, 'numLayers', opts.numLayers ?? 1, 1);
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = checkDropout(layerName, opts.dropout ?? 0);
    this.bidirectional = opts.bidirectional ?? false;
    this.recurrentInit = checkChoice(layerName, 'recurrentInit', opts.recurrentInit ?? 'uniform', ['uniform', 'orthogonal'] as const);
    this.projSize = checkInt(layerName, 'projSize', projSize, 0);
    if (this.projSize >= this.hiddenSize) {
      throw new RecurError(`${layerName}: projSize must be smaller than hiddenSize, got projSize=${this.projSize}, hiddenSize=${this.hiddenSize}`);
    }

    const H = this.hiddenSize, P = this.projSize, Hout = this.hiddenOut, G = gateCount(kind) * H;
    const D = this.numDirections;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : D * Hout;
      const dirs: CellWeights[] = [];
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const z = (shape: number[]): Tensor => new Tensor(allocStorage(shape.reduce((a, b) => a * b, 1)), shape);
        dirs.push({
          wIh: this.param(`weight_ih${sfx}`, z([G, inSize])),
          wHh: this.param(`weight_hh${sfx}`, z([G, Hout])),
          bIh: this.bias ? this.param(`bias_ih${sfx}`, z([G])) : null,
          bHh: this.bias ? this.param(`bias_hh${sfx}`, z([G])) : null,
          wHr: P > 0 ? this.param(`weight_hr${sfx}`, z([P, H])) : null,
        });
      }
      this.cells.push(dirs);
    }
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Size of h: projSize for a projected LSTM, else hiddenSize. */
  get hiddenOut(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /**
   * Re-draws every parameter: U(-1/√H, 1/√H) in registration order (PyTorch's
   * reset_parameters), then weight_hh per gate block if recurrentInit is 'orthogonal'.
   */
  resetParameters(rng: Rng = globalRng): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, bound, rng);
    if (this.recurrentInit === 'orthogonal') {
      const H = this.hiddenSize, gates = gateCount(this.kind);
      for (const dirs of this.cells) for (const w of dirs) for (let g = 0; g < gates; g++) orthogonal_(w.wHh, 1, rng, g * H, H);
    }
  }

  /** Shared forward; the subclasses type the result. */
  protected run(input: Tensor, inputs: RecurrentInputs = {}): RunResult {
    const name = this.layerName;
    if (!(input instanceof Tensor)) throw new RecurError(`${name}: input must be a Tensor`);
    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new RecurError(`${name}: input must be 3-D (${this.batchFirst ? '[B, T, I] with batchFirst' : '[T, B, I]'}) or 2-D unbatched [T, I], got shape ${shapeStr(input.shape)}`);
    }
    const unbatched = input.ndim === 2;
    const bf = this.batchFirst && !unbatched;
    const T = unbatched ? input.shape[0]! : bf ? input.shape[1]! : input.shape[0]!;
    const B = unbatched ? 1 : bf ? input.shape[0]! : input.shape[1]!;
    const I = input.shape[input.ndim - 1]!;
    if (I !== this.inputSize) {
      throw new RecurError(`${name}: input has ${I} features, expected inputSize=${this.inputSize} (input shape ${shapeStr(input.shape)}, batchFirst=${this.batchFirst})`);
    }
    if (T === 0 || B === 0) throw new RecurError(`${name}: input shape ${shapeStr(input.shape)} has an empty ${T === 0 ? 'sequence' : 'batch'}`);

    const L = this.numLayers, D = this.numDirections, H = this.hiddenSize, P = this.projSize, Hout = this.hiddenOut;
    const isLstm = this.kind === 'lstm';
    const stateShape = (n: number): number[] => (unbatched ? [L * D, n] : [L * D, B, n]);
    const what = unbatched ? 'numLayers*numDirections, hidden' : 'numLayers*numDirections, batch, hidden';
    if (inputs.h0 !== undefined) checkState(name, 'h0', inputs.h0, stateShape(Hout), `${what}${P > 0 ? ' = projSize' : 'Size'}`);
    if (inputs.c0 !== undefined) {
      if (!isLstm) throw new RecurError(`${name}: c0 is only for LSTM`);
      checkState(name, 'c0', inputs.c0, stateShape(H), `${what}Size`);
    }
    const lengths = inputs.lengths !== undefined ? checkLengths(name, inputs.lengths, B, T, input.shape) : null;

    const pk = makePacking(B, T, lengths);
    const { N } = pk;
    const rowIdx = packedRowIndex(pk, T, bf);
    const identity = isIdentityIndex(rowIdx, T * B);
    const flat = input.reshape([T * B, I]);
    let x = identity ? flat : indexSelect(flat, rowIdx);

    // h0 / c0 rows of layer-direction k, in sorted batch order.
    const stateRows = (s: Tensor | undefined, k: number, width: number): Tensor | null => {
      if (!s) return null;
      const idx = new Int32Array(B);
      for (let j = 0; j < B; j++) idx[j] = k * B + pk.order[j]!;
      return indexSelect(s.reshape([L * D * B, width]), idx);
    };

    const hN: Tensor[] = [], cN: Tensor[] = [];
    for (let l = 0; l < L; l++) {
      const ys: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const comb = rnnDirection(this.kind, H, P, d === 1, pk, x,
          stateRows(inputs.h0, k, Hout), stateRows(inputs.c0, k, H), this.cells[l]![d]!);
        ys.push(part(comb, 0, [N, Hout]));
        hN.push(part(comb, N * Hout, [B, Hout]));
        if (isLstm) cN.push(part(comb, N * Hout + B * Hout, [B, H]));
      }
      x = D === 2 ? concat(ys, 1) : ys[0]!;
      if (l < L - 1 && this.training && this.dropout > 0) x = dropout(x, this.dropout, true);
    }

    const outShape = unbatched ? [T, D * Hout] : bf ? [B, T, D * Hout] : [T, B, D * Hout];
    const output = (identity ? x : scatterRows(x, rowIdx, T * B)).reshape(outShape);
    // Final states back in the caller's batch order.
    const unsort = (parts: Tensor[], width: number): Tensor => {
      const cat = parts.length === 1 ? parts[0]! : concat(parts, 0);
      let res = cat;
      if (!pk.sorted) {
        const idx = new Int32Array(L * D * B);
        for (let k = 0; k < L * D; k++) for (let j = 0; j < B; j++) idx[k * B + pk.order[j]!] = k * B + j;
        res = indexSelect(cat, idx);
      }
      return res.reshape(stateShape(width));
    };
    return { output, h: unsort(hN, Hout), c: isLstm ? unsort(cN, H) : null };
  }
}
