import { RecurError } from '../../errors.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { reclaimMemory } from '../../kernels/index.js';
import { crossEntropy } from '../../nn/losses/index.js';
import { Tensor } from '../../tensor/tensor.js';
import { batchify, getWindow, windowCount, type Batched } from '../../data/streams.js';
import type { EvalResult, TrainTask } from '../../train/task.js';
import type { LanguageModel, LmState } from './model.js';

export interface LmSplits {
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

export interface LmTaskOptions {
  batchSize: number;
  bptt: number;
  /** Streams used for evaluation (PyTorch's example uses 10). */
  evalBatchSize?: number;
}

function detachState(s: LmState): LmState {
  return { h: s.h.detach(), ...(s.c ? { c: s.c.detach() } : {}) };
}

/**
 * Language modelling with truncated BPTT: the training text is laid out as batchSize
 * parallel streams; each batch is the next window of bptt tokens, and the hidden state
 * carries over from the previous window (detached), reset at every epoch.
 */
export class LmTask implements TrainTask {
  readonly model: LanguageModel;
  private readonly train: Batched;
  private readonly bptt: number;
  private hidden: LmState | null = null;

  constructor(model: LanguageModel, private readonly splits: LmSplits, private readonly opts: LmTaskOptions) {
    this.model = model;
    this.train = batchify(splits.train, opts.batchSize);
    this.bptt = opts.bptt;
  }

  batchesPerEpoch(): number {
    return windowCount(this.train, this.bptt);
  }

  startEpoch(): void {
    this.hidden = null;
  }

  trainBatch(index: number): { loss: Tensor; count: number } {
    const w = getWindow(this.train, index * this.bptt, this.bptt);
    const { logits, state } = this.model.forward(w.input, w.steps, w.batchSize, this.hidden);
    this.hidden = detachState(state);
    return { loss: crossEntropy(logits, w.target), count: w.input.length };
  }

  /** Mean loss per token over a whole split, hidden state carried across windows. */
  evaluate(split: 'valid' | 'test'): Promise<EvalResult> {
    return evaluateLm(this.model, this.splits[split], this.opts.evalBatchSize ?? 10, this.bptt);
  }

  getState(): unknown {
    return this.hidden ? { h: this.hidden.h, c: this.hidden.c ?? null } : null;
  }

  /** Restores getState()'s value from a checkpoint: null, or h (and c for LSTM) of shape [L, B, H]. */
  setState(state: unknown): void {
    if (state === null || state === undefined) {
      this.hidden = null;
      return;
    }
    const { numLayers: L, hiddenSize: H, cell } = this.model.config;
    const shape = [L, this.train.batchSize, H];
    const s = state as { h?: unknown; c?: unknown };
    const check = (t: unknown, name: string): Tensor => {
      if (!(t instanceof Tensor) || t.shape.length !== 3 || t.shape.some((d, i) => d !== shape[i])) {
        throw new RecurError(`checkpoint state: the carried LM state ${name} must be a tensor [${shape.join(', ')}] (layers, batch, hidden)`);
      }
      return t;
    };
    this.hidden = { h: check(s.h, 'h'), ...(cell === 'lstm' ? { c: check(s.c, 'c') } : {}) };
  }
}

export async function evaluateLm(model: LanguageModel, ids: Int32Array, batchSize: number, bptt: number): Promise<EvalResult> {
  const B = Math.max(1, Math.min(batchSize, Math.floor(ids.length / 2)));
  const data = batchify(ids, B);
  let hidden: LmState | null = null;
  let total = 0, count = 0;
  for (let start = 0; start < data.steps - 1; start += bptt) {
    const w = getWindow(data, start, bptt);
    noGrad(() => {
      const { logits, state } = model.forward(w.input, w.steps, w.batchSize, hidden);
      hidden = state;
      total += crossEntropy(logits, w.target, { reduction: 'sum' }).item();
    });
    count += w.input.length;
    await reclaimMemory();
  }
  const loss = total / count;
  return { loss, metrics: { perplexity: Math.exp(loss), bits_per_token: loss / Math.LN2, tokens: count } };
}
