/**
 * TensorFlow.js 4.x with its pure-JS 'cpu' backend or its WebAssembly 'wasm' backend (the .wasm
 * files ship in @tensorflow/tfjs-backend-wasm and are loaded from node_modules by file path;
 * in Node the wasm backend runs single-threaded SIMD: tfjs disables its threaded build there).
 * No @tensorflow/tfjs-node (it downloads libtensorflow at install).
 * Run alone: node build/bench/bench/peers/tfjs.js '<job JSON>' with variant 'cpu' or 'wasm' (compiled
 * by a bench run, as bench/run.ts runs it), or npx tsx bench/peers/tfjs.ts (tsx adds ~30 MB of RSS).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  emit, gemmKey, gemmRate, randomIds, runPeer, timeSync, TRANSPOSES,
  type GemmConfig, type GenConfig, type Job, type TrainConfig,
} from './protocol.js';

async function init(variant: string): Promise<Record<string, string | number | boolean>> {
  if (variant === 'wasm') {
    const require = createRequire(import.meta.url);
    // .../node_modules/@tensorflow/tfjs-backend-wasm/dist/<entry>.js: the .wasm files sit beside it.
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(`${dist}/`);
  } else if (variant !== 'cpu') {
    throw new Error(`unknown tfjs backend '${variant}' (use cpu or wasm)`);
  }
  if (!(await tf.setBackend(variant))) throw new Error(`tf.setBackend('${variant}') failed`);
  await tf.ready();
  const info: Record<string, string | number | boolean> = { tfjs: tf.version.tfjs, backend: tf.getBackend() };
  if (variant === 'wasm') {
    info.simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    info.multithread = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    info.threads = getThreadsCount();
  }
  const a = tf.randomNormal([512, 512]), b = tf.randomNormal([512, 512]);
  info.gemm512 = Math.round(gemmRate(() => tf.matMul(a, b).dispose()) * 10) / 10;
  a.dispose();
  b.dispose();
  return info;
}

function train(c: TrainConfig, job: Job): void {
  const { vocab, input, hidden, batch: B, seq: T, classes } = c;
  const model = tf.sequential();
  // The embedding is a bias-free dense layer on one-hot ids (the same product): tfjs-wasm lacks
  // UnsortedSegmentSum, the gradient of tf.layers.embedding's gather.
  model.add(tf.layers.dense({ inputShape: [T, vocab], units: input, useBias: false }));
  // recurrentActivation 'sigmoid' as PyTorch (tfjs defaults to Keras 2's hardSigmoid). tfjs's GRU
  // is the Keras 2 form (reset gate before the matmul); resetAfter is not supported.
  const rnnArgs = { units: hidden, returnSequences: true, recurrentActivation: 'sigmoid' } as const;
  model.add(c.cell === 'lstm' ? tf.layers.lstm(rnnArgs) : tf.layers.gru(rnnArgs));
  model.add(tf.layers.dense({ units: classes }));
  const opt = tf.train.adam(1e-3);
  // Batch-major [B, T] ids: the only layout tfjs layers take.
  const x = tf.oneHot(tf.tensor1d(randomIds(B * T, vocab, 7), 'int32'), vocab).reshape([B, T, vocab]);
  const y = tf.oneHot(tf.tensor1d(randomIds(B * T, classes, 11), 'int32'), classes).reshape([B, T, classes]);
  let lastLoss = NaN;
  const step = (): void => {
    const loss = opt.minimize(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(y, logits);
    }, true);
    if (loss) {
      lastLoss = loss.dataSync()[0]!;
      loss.dispose();
    }
  };
  const timing = timeSync(step, job.protocol);
  if (!Number.isFinite(lastLoss)) throw new Error(`training loss is ${lastLoss}`);
  emit({ type: 'timing', key: 'train', timing, note: `optimizer.minimize over a layers model; final loss ${lastLoss.toFixed(4)}; live tensors ${tf.memory().numTensors}` });
}

function generate(c: GenConfig, job: Job): void {
  // tf.basicLSTMCell / tf.multiRNNCell: tfjs's step-at-a-time LSTM (what Magenta.js generates with).
  const { input: I, hidden: H, layers: L } = c;
  const bound = 1 / Math.sqrt(H);
  const cells: tf.LSTMCellFunc[] = [];
  const keep: tf.Tensor[] = [];
  for (let l = 0; l < L; l++) {
    const kernel = tf.randomUniform([(l === 0 ? I : H) + H, 4 * H], -bound, bound) as tf.Tensor2D;
    const bias = tf.randomUniform([4 * H], -bound, bound) as tf.Tensor1D;
    const forget = tf.scalar(1);
    keep.push(kernel, bias, forget);
    cells.push((data, cs, hs) => tf.basicLSTMCell(forget, kernel, bias, data, cs, hs));
  }
  const x = tf.randomUniform([1, I]) as tf.Tensor2D;
  let cs: tf.Tensor2D[] = Array.from({ length: L }, () => tf.zeros([1, H]) as tf.Tensor2D);
  let hs: tf.Tensor2D[] = Array.from({ length: L }, () => tf.zeros([1, H]) as tf.Tensor2D);
  const step = (): void => {
    const [nc, nh] = tf.tidy(() => tf.multiRNNCell(cells, x, cs, hs));
    tf.dispose([...cs, ...hs]);
    cs = nc;
    hs = nh;
  };
  const timing = timeSync(step, job.protocol);
  if (!Number.isFinite(hs[0]!.dataSync()[0]!)) throw new Error('generation state is not finite');
  emit({ type: 'timing', key: 'gen', timing, note: `tf.multiRNNCell of basicLSTMCell, state carried; live tensors ${tf.memory().numTensors}` });
  tf.dispose([...keep, ...cs, ...hs, x]);
}

function gemm(c: GemmConfig, job: Job): void {
  for (const [M, N, K] of c.shapes) {
    for (const [tA, tB] of TRANSPOSES) {
      const a = tf.tensor2d(Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)), tA ? [K, M] : [M, K]);
      const b = tf.tensor2d(Float32Array.from({ length: K * N }, (_, i) => Math.cos(i)), tB ? [N, K] : [K, N]);
      // Eager on cpu and wasm: matMul has finished when it returns.
      const timing = timeSync(() => tf.matMul(a, b, tA, tB).dispose(), job.protocol);
      emit({ type: 'timing', key: gemmKey(M, N, K, tA, tB), timing });
      tf.dispose([a, b]);
    }
  }
}

await runPeer(async (job) => {
  emit({ type: 'info', info: await init(job.variant) });
  const c = job.config;
  if (c.kind === 'train') train(c, job);
  else if (c.kind === 'gen') generate(c, job);
  else gemm(c, job);
});
