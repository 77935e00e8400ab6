/**
 * recur's side of the bench, shared by peers/recur.ts and profile.ts: the training step
 * (embedding, one LSTM/GRU layer, linear head, cross-entropy, Adam) and the 512³ GEMM rate.
 */
import type { Kernels } from '../../src/kernels/index.js';
import { Embedding } from '../../src/nn/embedding.js';
import { Linear } from '../../src/nn/linear.js';
import { GRU, LSTM } from '../../src/nn/rnn/index.js';
import { crossEntropy } from '../../src/nn/losses/index.js';
import { Adam } from '../../src/optim/adam.js';
import { manualSeed } from '../../src/tensor/rng.js';
import { gemmRate, randomIds, type TrainConfig } from './protocol.js';

export interface TrainStep {
  /** One synchronous step: forward, backward, optimizer. */
  step(): void;
  /** The loss of the last step. */
  loss(): number;
}

export function recurTrainStep(c: TrainConfig): TrainStep {
  manualSeed(1);
  const { vocab, input, hidden, batch: B, seq: T, classes } = c;
  const emb = new Embedding(vocab, input);
  const rnn = c.cell === 'lstm' ? new LSTM({ inputSize: input, hiddenSize: hidden }) : new GRU({ inputSize: input, hiddenSize: hidden });
  const head = new Linear(hidden, classes);
  const opt = new Adam([...emb.parameters(), ...rnn.parameters(), ...head.parameters()], { lr: 1e-3 });
  // Time-major [T, B] token ids (recur's default layout, as PyTorch's).
  const ids = randomIds(T * B, vocab, 7);
  const targets = randomIds(T * B, classes, 11);
  let lastLoss = NaN;
  return {
    // The graph of a step (every activation its backward saved) is unreachable once this returns,
    // so a collection run between steps (reclaimMemory) frees it too.
    step(): void {
      const x = emb.forward(ids).reshape([T, B, input]);
      const { output } = rnn.forward(x);
      const loss = crossEntropy(head.forward(output.reshape([T * B, hidden])), targets);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      lastLoss = loss.data[0]!;
    },
    loss: () => lastLoss,
  };
}

/** GFLOP/s of a 512³ product on k's own storage: the rate printed next to every figure. */
export function gemm512Rate(k: Kernels): number {
  const A = k.alloc(512 * 512), Bm = k.alloc(512 * 512), C = k.alloc(512 * 512);
  for (let i = 0; i < A.length; i++) { A[i] = Math.sin(i); Bm[i] = Math.cos(i); }
  const rate = gemmRate(() => k.gemm(false, false, 512, 512, 512, 1, A, 512, Bm, 512, 0, C, 512));
  k.free(A); k.free(Bm); k.free(C);
  return rate;
}
