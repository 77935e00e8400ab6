/** The bench's training step in recur: embedding, one LSTM/GRU layer, linear head, cross-entropy, Adam. */
import { Embedding } from '../../src/nn/embedding.js';
import { Linear } from '../../src/nn/linear.js';
import { GRU, LSTM } from '../../src/nn/rnn/index.js';
import { crossEntropy } from '../../src/nn/losses/index.js';
import { Adam } from '../../src/optim/adam.js';
import { manualSeed } from '../../src/tensor/rng.js';
import { randomIds, type TrainConfig } from './protocol.js';

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
