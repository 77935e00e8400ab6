/**
 * The functions exported by the AssemblyScript module (assembly/index.ts). Pointers are byte
 * addresses in linear memory, lengths are element counts, booleans are passed as 0/1.
 */
export interface WasmExports {
  heapBase(): number;
  gemmWorkBytes(M: number, N: number, K: number): number;
  /** transB 2: B is panels from packBPanels, ldb = K. */
  gemm(transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number, work: number): void;
  packBPanels(transB: number, B: number, ldb: number, K: number, N: number, dst: number): void;
  axpy(alpha: number, x: number, y: number, n: number): void;
  scale(alpha: number, x: number, out: number, n: number): void;
  clamp(x: number, lo: number, hi: number, out: number, n: number): void;
  unary(op: number, x: number, out: number, n: number): void;
  unaryBackward(op: number, x: number, y: number, gy: number, gx: number, n: number): void;
  binary(op: number, a: number, na: number, ar: number, b: number, nb: number, br: number, out: number, n: number, acc: number): void;
  sumToBroadcast(g: number, n: number, r: number, out: number, m: number, alpha: number): void;
  reduceSum(x: number, outer: number, len: number, inner: number, out: number): void;
  reduceMax(x: number, outer: number, len: number, inner: number, out: number, argmax: number): void;
  broadcastAxis(gy: number, outer: number, len: number, inner: number, gx: number, alpha: number): void;
  scatterArgmax(gy: number, argmax: number, outer: number, len: number, inner: number, gx: number): void;
  sumSquares(x: number, n: number): number;
  maxAbs(x: number, n: number): number;
  softmax(x: number, rows: number, n: number, out: number, log: number): void;
  softmaxBackward(y: number, gy: number, rows: number, n: number, gx: number, log: number): void;
  gatherRows(table: number, d: number, idx: number, nidx: number, out: number): void;
  scatterAddRows(src: number, d: number, idx: number, nidx: number, table: number): void;
  fillF32(x: number, v: number, n: number): void;
  copyBlocks(src: number, sStride: number, dst: number, dStride: number, len: number, count: number, acc: number): void;
  swapAxes(x: number, outer: number, A: number, mid: number, B: number, inner: number, out: number, acc: number): void;
  where(cond: number, a: number, b: number, out: number, n: number): void;
  whereBackward(cond: number, gy: number, gx: number, n: number, pick: number): void;
  layerNorm(x: number, rows: number, n: number, gamma: number, beta: number, eps: number, out: number, mean: number, rstd: number): void;
  layerNormBackward(x: number, gy: number, rows: number, n: number, gamma: number, mean: number, rstd: number,
    gx: number, gGamma: number, gBeta: number): void;
  adamStep(p: number, g: number, m: number, v: number, vmax: number, n: number,
    b1: number, b2: number, stepSize: number, bc2sqrt: number, eps: number, decay: number, l2: number): void;
  rnnGatesForward(relu: number, rows: number, H: number, xg: number, hg: number, h: number): void;
  rnnGatesBackward(relu: number, rows: number, H: number, h: number, dh: number, dpre: number): void;
  lstmGatesForward(rows: number, H: number, xg: number, hg: number, cPrev: number, gates: number, c: number, m: number): void;
  lstmGatesBackward(rows: number, H: number, gates: number, cPrev: number, c: number, dm: number, dc: number, dGates: number, dcPrev: number): void;
  gruGatesForward(rows: number, H: number, xg: number, hg: number, bhn: number, hPrev: number, gates: number, hn: number, h: number): void;
  gruGatesBackward(rows: number, H: number, gates: number, hn: number, hPrev: number, dh: number, dGx: number, dGh: number, dhPrev: number): void;
  gruResetBeforeGates(rows: number, H: number, xg: number, hg: number, hPrev: number, gates: number, rh: number): void;
  gruResetBeforeOutput(rows: number, H: number, xg: number, hg: number, hPrev: number, gates: number, h: number): void;
  gruResetBeforeOutputBackward(rows: number, H: number, gates: number, hPrev: number, dh: number, dG: number, dhPrev: number): void;
  gruResetBeforeGatesBackward(rows: number, H: number, gates: number, hPrev: number, drh: number, dG: number, dhPrev: number): void;
  rmspropStep(p: number, g: number, sq: number, ga: number, buf: number, n: number,
    lr: number, alpha: number, eps: number, wd: number, momentum: number): void;
  adagradStep(p: number, g: number, sum: number, n: number, clr: number, wd: number, eps: number): void;
  /** Attention (assembly/batched.ts) and the int8 matrix-vector product (assembly/qgemv.ts); absent in builds from before they existed. */
  bmv?(trans: number, batch: number, M: number, N: number, A: number, x: number, y: number, accumulate: number): void;
  bger?(batch: number, M: number, N: number, x: number, y: number, A: number): void;
  qgemv?(N: number, K: number, W: number, scale: number, x: number, beta: number, y: number, xq: number): void;
  qgemvWorkBytes?(K: number): number;
  /** Start function (exported rather than run on instantiation, for worker instances). */
  _initialize?(): void;
}

/**
 * Every name in WasmExports, as a value: test/kernels/mirrors.test.ts checks it against the
 * exports of the compiled module, and the type below against the interface.
 */
export const WASM_EXPORT_NAMES = Object.keys({
  heapBase: 0, gemmWorkBytes: 0, gemm: 0, packBPanels: 0, axpy: 0, scale: 0, clamp: 0, unary: 0, unaryBackward: 0, binary: 0,
  sumToBroadcast: 0, reduceSum: 0, reduceMax: 0, broadcastAxis: 0, scatterArgmax: 0, sumSquares: 0, maxAbs: 0, softmax: 0,
  softmaxBackward: 0, gatherRows: 0, scatterAddRows: 0, fillF32: 0, copyBlocks: 0, swapAxes: 0, where: 0, whereBackward: 0,
  layerNorm: 0, layerNormBackward: 0, adamStep: 0, rnnGatesForward: 0, rnnGatesBackward: 0, lstmGatesForward: 0,
  lstmGatesBackward: 0, gruGatesForward: 0, gruGatesBackward: 0, gruResetBeforeGates: 0, gruResetBeforeOutput: 0,
  gruResetBeforeOutputBackward: 0, gruResetBeforeGatesBackward: 0, rmspropStep: 0, adagradStep: 0, bmv: 0, bger: 0, qgemv: 0,
  qgemvWorkBytes: 0, _initialize: 0,
} satisfies Record<keyof WasmExports, 0>);
