import { noGrad } from '../autograd/grad-mode.js';
import { reclaimMemory } from '../kernels/index.js';
import type { Module } from '../nn/module.js';

/**
 * Runs `fn` on batches of item indices taken in order of length (so that little padding is
 * computed), each under noGrad with the model in eval mode, reclaiming memory between batches;
 * the model's training mode is restored afterwards. For evaluation and prediction loops.
 */
export async function forEachLengthSortedBatch(model: Module, lengths: readonly number[], batchSize: number,
  fn: (which: number[]) => void): Promise<void> {
  const order = [...lengths.keys()].sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const wasTraining = model.training;
  model.eval();
  try {
    for (let s = 0; s < order.length; s += batchSize) {
      const which = order.slice(s, s + batchSize);
      noGrad(() => fn(which));
      await reclaimMemory();
    }
  } finally {
    model.train(wasTraining);
  }
}
