import { noGrad } from '../../autograd/grad-mode.js';
import type { ParallelExample } from '../../data/pairs.js';
import { reclaimMemory } from '../../kernels/index.js';
import { crossEntropy } from '../../nn/losses/index.js';
import { Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import type { EvalResult, TrainTask } from '../../train/task.js';
import { epochBatches, makeBatch, type Specials } from './batch.js';
import { scoreExamples } from './evaluate.js';
import type { Seq2Seq } from './model.js';
import type { EncodedPair, TranslateMetric } from './data.js';

export interface TranslateTaskOptions {
  batchSize: number;
  /** Probability of feeding the gold previous token (1 = always, plain teacher forcing). */
  teacherForcing: number;
  /** Seeds batch order and teacher-forcing draws. */
  seed: number;
  /** Greedy-decode this many validation examples at each evaluation and report BLEU/chrF or WER/PER (0 = off). */
  evalDecode: number;
  metric: TranslateMetric;
}

export interface TranslateTaskData {
  train: EncodedPair[];
  valid: EncodedPair[];
  test: EncodedPair[];
  /** Raw held-out examples with every reference, for decoding metrics. */
  validExamples: ParallelExample[];
  testExamples: ParallelExample[];
  src: Tokenizer;
  tgt: Tokenizer;
  specials: Specials;
}

/**
 * Sequence-to-sequence training with teacher forcing: length-bucketed batches, token-level
 * cross-entropy ignoring padding, evaluation by loss (perplexity) and, on a slice of the
 * validation set, by the task's decoding metric.
 */
export class TranslateTask implements TrainTask {
  private batches: number[][] = [];
  private epoch = 0;

  constructor(readonly model: Seq2Seq, private readonly data: TranslateTaskData, private readonly o: TranslateTaskOptions) {
    this.batches = epochBatches(data.train, o.batchSize, o.seed, 0);
  }

  batchesPerEpoch(): number {
    return this.batches.length;
  }

  startEpoch(epoch: number): void {
    this.epoch = epoch;
    this.batches = epochBatches(this.data.train, this.o.batchSize, this.o.seed, epoch);
  }

  trainBatch(index: number): { loss: Tensor; count: number } {
    const pairs = this.batches[index]!.map((i) => this.data.train[i]!);
    const batch = makeBatch(pairs, this.data.specials);
    // Teacher-forcing draws depend only on (seed, epoch, index): resuming replays them.
    const rng = this.o.teacherForcing < 1 ? new Rng((this.o.seed * 2_654_435_761 + this.epoch * 1_000_003 + index) >>> 0) : undefined;
    const logits = this.model.forward(batch, { teacherForcing: this.o.teacherForcing, ...(rng ? { rng } : {}) });
    const count = pairs.reduce((n, p) => n + p.tgt.length + 1, 0);
    return { loss: crossEntropy(logits, batch.tgtOut, { ignoreIndex: this.data.specials.tgtPad }), count };
  }

  async evaluate(split: 'valid' | 'test'): Promise<EvalResult> {
    const pairs = this.data[split];
    const loss = await evaluateLoss(this.model, pairs, this.data.specials, this.o.batchSize);
    const metrics: Record<string, number> = { perplexity: Math.exp(loss), tokens: pairs.reduce((n, p) => n + p.tgt.length + 1, 0) };
    if (this.o.evalDecode > 0) {
      const ex = (split === 'valid' ? this.data.validExamples : this.data.testExamples).slice(0, this.o.evalDecode);
      const r = await scoreExamples(this.model, this.data.src, this.data.tgt, ex, this.o.metric, { beam: 1 });
      Object.assign(metrics, this.o.metric === 'g2p' ? { wer: r.metrics.wer!, per: r.metrics.per! } : { bleu: r.metrics.bleu!, chrf: r.metrics.chrf! });
    }
    return { loss, metrics };
  }

  getState(): unknown {
    return null;
  }

  setState(): void {}
}

/** Mean teacher-forced cross-entropy per target token (eos included) over pairs. */
export async function evaluateLoss(model: Seq2Seq, pairs: readonly EncodedPair[], specials: Specials, batchSize: number): Promise<number> {
  const order = pairs.map((_, i) => i).sort((a, b) => pairs[b]!.src.length - pairs[a]!.src.length);
  let total = 0, count = 0;
  for (let i = 0; i < order.length; i += batchSize) {
    const batch = makeBatch(order.slice(i, i + batchSize).map((k) => pairs[k]!), specials);
    total += noGrad(() => crossEntropy(model.forward(batch), batch.tgtOut, { ignoreIndex: specials.tgtPad, reduction: 'sum' }).item());
    count += batch.tgtOut.reduce((n, v) => n + (v !== specials.tgtPad ? 1 : 0), 0);
    await reclaimMemory();
  }
  return count > 0 ? total / count : NaN;
}
