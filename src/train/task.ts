import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

export interface EvalResult {
  /** Mean loss per item (token, sentence) on the split. */
  loss: number;
  /** Task metrics (perplexity, accuracy, F1, ...). */
  metrics: Record<string, number>;
}

/**
 * What the shared training loop needs from an application. Batch order must come from the
 * task's own seeded generator (keyed by epoch), not the global one, so that resuming at
 * (epoch, index) replays exactly the same batches.
 */
export interface TrainTask {
  readonly model: Module;
  /** Batches in one epoch. */
  batchesPerEpoch(): number;
  /** Prepares epoch `epoch` (0-based): shuffling, resetting carried states. */
  startEpoch(epoch: number): void;
  /** Forward pass of batch `index` of the current epoch with the graph recorded: mean loss over `count` items. */
  trainBatch(index: number): { loss: Tensor; count: number };
  /**
   * Mean loss and metrics on a held-out split. The loop has set eval mode; wrap each forward
   * pass in noGrad and `await reclaimMemory()` between batches (noGrad does not survive an await).
   */
  evaluate(split: 'valid' | 'test'): Promise<EvalResult>;
  /** What the task carries between batches (e.g. detached hidden states), for exact resume. */
  getState(): unknown;
  setState(state: unknown): void;
}
