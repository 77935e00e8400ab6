/**
 * recur, one backend per process: the backend is chosen by RECUR_BACKEND (set by bench/run.ts)
 * before recur is imported, so every tensor lives in that backend's storage from the start.
 * Run alone as bench/run.ts runs it, compiled under plain node (build/bench/ is written by a bench run):
 * RECUR_BACKEND=wasm node build/bench/bench/peers/recur.js '<job JSON>' (see protocol.ts); or with
 * npx tsx bench/peers/recur.ts, whose loader then adds ~30 MB to the peak RSS.
 */
import { noGrad } from '../../src/autograd/grad-mode.js';
import { availableBackends, kernels, reclaimMemory } from '../../src/kernels/index.js';
import { LSTM, LSTMCell, RecurrentStepper } from '../../src/nn/rnn/index.js';
import { manualSeed } from '../../src/tensor/rng.js';
import { Tensor, zeros } from '../../src/tensor/tensor.js';
import { installNodeGc } from '../../src/train/node-gc.js';
import type { NativeKernels } from '../../src/kernels/native/index.js';
import type { WasmKernels } from '../../src/kernels/wasm/index.js';
import {
  emit, gemmKey, runPeer, timeAsync, timeSync, TRANSPOSES,
  type GemmConfig, type GenConfig, type Job, type TrainConfig,
} from './protocol.js';
import { gemm512Rate, recurTrainStep } from './recur-train.js';

function backendInfo(job: Job): Record<string, string | number | boolean> {
  const k = kernels();
  if (k.name !== job.variant) throw new Error(`asked for backend '${job.variant}' but '${k.name}' is active (available: ${availableBackends().join(', ')})`);
  const info: Record<string, string | number | boolean> = { backend: k.name, available: availableBackends().join(',') };
  const w = k as typeof k & { variant?: string };
  if (k.name === 'wasm' && w.variant) info.wasmBuild = w.variant;
  if (k.name === 'wasm') info.threads = (k as WasmKernels).threads().max;
  if (k.name === 'native') {
    const n = (k as NativeKernels).info();
    info.nativeBuild = n.variant;
    info.threads = n.threads;
    info.blas = n.blasConfig;
  }
  info.gemm512 = Math.round(gemm512Rate(k) * 10) / 10;
  return info;
}

async function train(c: TrainConfig, job: Job): Promise<void> {
  installNodeGc();
  const t = recurTrainStep(c);
  const step = async (): Promise<void> => {
    t.step();
    await reclaimMemory();
  };
  const timing = await timeAsync(step, job.protocol);
  const lastLoss = t.loss();
  if (!Number.isFinite(lastLoss)) throw new Error(`training loss is ${lastLoss}`);
  emit({ type: 'timing', key: 'train', timing, note: `final loss ${lastLoss.toFixed(4)}` });
}

async function generate(c: GenConfig, job: Job): Promise<void> {
  manualSeed(1);
  installNodeGc();
  // 'gen': a step through the layer API, LSTM.forward on T = 1 (the fused path is 'gen-stepper' below).
  const lstm = new LSTM({ inputSize: c.input, hiddenSize: c.hidden, numLayers: c.layers });
  lstm.eval();
  const x = new Tensor(kernels().alloc(c.input), [1, 1, c.input]);
  for (let i = 0; i < c.input; i++) x.data[i] = Math.sin(i);
  let h = zeros([c.layers, 1, c.hidden]);
  let cs = zeros([c.layers, 1, c.hidden]);
  let n = 0;
  const step = async (): Promise<void> => {
    const r = noGrad(() => lstm.forward(x, { h0: h, c0: cs }));
    h = r.h;
    cs = r.c;
    // As src/tasks/lm/generate.ts: let the backend reclaim storage every 64 steps.
    if (++n % 64 === 0) await reclaimMemory();
  };
  const timing = await timeAsync(step, job.protocol);
  if (!Number.isFinite(h.data[0]!)) throw new Error('generation state is not finite');
  emit({ type: 'timing', key: 'gen', timing, note: 'LSTM.forward on [1,1,I] with h0/c0 carried, under noGrad' });

  // The single-step path of src/nn/rnn: one LSTMCell per layer (same fused kernels, T = 1,
  // without the layer's packing and state gathering).
  const cells = Array.from({ length: c.layers }, (_, l) => new LSTMCell({ inputSize: l === 0 ? c.input : c.hidden, hiddenSize: c.hidden }));
  const x2 = x.reshape([1, c.input]);
  let st = cells.map(() => ({ h: zeros([1, c.hidden]), c: zeros([1, c.hidden]) }));
  const cellStep = async (): Promise<void> => {
    st = noGrad(() => {
      let inp = x2;
      return cells.map((cell, l) => {
        const r = cell.forward(inp, st[l]);
        inp = r.h;
        return r;
      });
    });
    if (++n % 64 === 0) await reclaimMemory();
  };
  const t2 = await timeAsync(cellStep, job.protocol);
  if (!Number.isFinite(st[0]!.h.data[0]!)) throw new Error('generation state is not finite');
  emit({ type: 'timing', key: 'gen-cell', timing: t2, note: `${c.layers} LSTMCell.forward on [1,I] with (h, c) carried, under noGrad` });

  // The fused batch-1 path (src/nn/rnn/stepper.ts): per layer two (q)gemvs and one gate
  // kernel on preallocated buffers, no autograd and no tensors; same LSTM as 'gen'.
  for (const weights of ['float32', 'int8'] as const) {
    const stepper = new RecurrentStepper(lstm, { weights });
    const xv = x.data;
    let out = stepper.step(xv);
    const stepperStep = async (): Promise<void> => {
      out = stepper.step(xv);
      if (++n % 64 === 0) await reclaimMemory();
    };
    const t3 = await timeAsync(stepperStep, job.protocol);
    if (!Number.isFinite(out[0]!)) throw new Error('generation state is not finite');
    const key = weights === 'int8' ? 'gen-stepper-int8' : 'gen-stepper';
    emit({ type: 'timing', key, timing: t3, note: `RecurrentStepper.step on [I], ${weights} weights, state carried` });
  }
}

function gemm(c: GemmConfig, job: Job): void {
  const k = kernels();
  for (const [M, N, K] of c.shapes) {
    const A = k.alloc(M * K), Bm = k.alloc(K * N), C = k.alloc(M * N);
    for (let i = 0; i < A.length; i++) A[i] = Math.sin(i);
    for (let i = 0; i < Bm.length; i++) Bm[i] = Math.cos(i);
    for (const [tA, tB] of TRANSPOSES) {
      const lda = tA ? M : K, ldb = tB ? K : N;
      const timing = timeSync(() => k.gemm(tA, tB, M, N, K, 1, A, lda, Bm, ldb, 0, C, N), job.protocol);
      emit({ type: 'timing', key: gemmKey(M, N, K, tA, tB), timing });
    }
  }
}

await runPeer(async (job) => {
  emit({ type: 'info', info: backendInfo(job) });
  const c = job.config;
  if (c.kind === 'train') await train(c, job);
  else if (c.kind === 'gen') await generate(c, job);
  else gemm(c, job);
});
