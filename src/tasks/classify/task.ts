import { softmax } from '../../autograd/ops/index.js';
import { classificationReport, type ClassificationReport } from '../../metrics/classification.js';
import { crossEntropy } from '../../nn/losses/index.js';
import { globalRng, Rng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import { forEachLengthSortedBatch } from '../../data/eval-batches.js';
import type { EvalResult, TrainTask } from '../../train/task.js';
import { makeBatch } from './encode.js';
import type { SequenceClassifier } from './model.js';

/** Encoded texts and their label ids. */
export interface ClassifySplit {
  ids: Int32Array[];
  labels: Int32Array;
  /** Per-token lexicon features aligned with ids, when the model uses them. */
  features?: Float32Array[];
}

export interface ClassifyTaskOptions {
  batchSize: number;
  /** Seeds the per-epoch shuffling. */
  seed: number;
  labels: readonly string[];
  padId: number;
  /** Per-class loss weights [C] (e.g. 'balanced'), or null. */
  classWeights?: Float32Array | null;
  /** Training only: each token becomes `<unk>` with this probability (word dropout). */
  wordDropout?: number;
  unkId?: number;
  evalBatchSize?: number;
}

/**
 * Class weights n / (C · n_c) (scikit-learn's 'balanced'): every class contributes equally to
 * the loss however rare it is. A class absent from training gets weight 0.
 */
export function balancedClassWeights(labels: ArrayLike<number>, numClasses: number): Float32Array {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return Float32Array.from(counts, (n) => (n > 0 ? labels.length / (numClasses * n) : 0));
}

/**
 * Sequence classification for the shared training loop: shuffled mini-batches of padded
 * texts (order from the task's own generator, keyed by epoch, so resume is exact),
 * cross-entropy with optional class weights; evaluation reports loss, accuracy and macro-F1.
 */
export class ClassifyTask implements TrainTask {
  readonly model: SequenceClassifier;
  private order: Int32Array;

  constructor(model: SequenceClassifier, private readonly splits: { train: ClassifySplit; valid: ClassifySplit; test: ClassifySplit },
    private readonly opts: ClassifyTaskOptions) {
    this.model = model;
    this.order = Int32Array.from(splits.train.ids.keys());
  }

  batchesPerEpoch(): number {
    return Math.ceil(this.splits.train.ids.length / this.opts.batchSize);
  }

  startEpoch(epoch: number): void {
    this.order = new Rng(this.opts.seed * 1_000_003 + epoch + 1).permutation(this.splits.train.ids.length);
  }

  trainBatch(index: number): { loss: Tensor; count: number } {
    const { batchSize, padId, wordDropout = 0, unkId } = this.opts;
    const which = this.order.subarray(index * batchSize, (index + 1) * batchSize);
    const batch = makeBatch(this.splits.train.ids, which, padId, this.splits.train.features);
    if (wordDropout > 0 && unkId !== undefined) {
      // The global generator is saved in checkpoints, so this stays exact on resume.
      for (let i = 0; i < batch.ids.length; i++) if (batch.ids[i] !== padId && globalRng.random() < wordDropout) batch.ids[i] = unkId;
    }
    const targets = Int32Array.from(which, (i) => this.splits.train.labels[i]!);
    const weight = this.opts.classWeights ? new Tensor(this.opts.classWeights, [this.opts.classWeights.length]) : null;
    const loss = crossEntropy(this.model.forward(batch), targets, { weight });
    return { loss, count: which.length };
  }

  async evaluate(split: 'valid' | 'test'): Promise<EvalResult> {
    const r = await evaluateClassifier(this.model, this.splits[split], this.opts.labels, this.opts.padId, this.opts.evalBatchSize);
    return { loss: r.loss, metrics: { accuracy: r.report.accuracy, macro_f1: r.report.macroF1 } };
  }

  getState(): unknown {
    return null;
  }

  setState(): void {}
}

/**
 * Class probabilities [N·C] (row-major) for encoded texts, in input order. Batches are formed
 * from length-sorted texts so that little padding is computed; memory is reclaimed between them.
 */
export async function predictProbabilities(model: SequenceClassifier, ids: readonly Int32Array[], padId: number, batchSize = 64,
  features?: readonly Float32Array[]): Promise<Float32Array> {
  const C = model.config.numClasses;
  const out = new Float32Array(ids.length * C);
  await forEachLengthSortedBatch(model, ids.map((x) => x.length), batchSize, (which) => {
    const p = softmax(model.forward(makeBatch(ids, which, padId, features)), -1);
    which.forEach((i, r) => out.set(p.data.subarray(r * C, (r + 1) * C), i * C));
  });
  return out;
}

/** argmax of each row of probabilities [N·C]. */
export function argmaxRows(probs: Float32Array, C: number): Int32Array {
  const n = probs.length / C;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c]! > probs[i * C + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** Mean cross-entropy (unweighted) and the full classification report on a split. */
export async function evaluateClassifier(model: SequenceClassifier, split: ClassifySplit, labels: readonly string[], padId: number,
  batchSize = 64): Promise<{ loss: number; report: ClassificationReport; probs: Float32Array }> {
  const C = labels.length;
  const probs = await predictProbabilities(model, split.ids, padId, batchSize, split.features);
  let nll = 0;
  for (let i = 0; i < split.labels.length; i++) nll -= Math.log(Math.max(probs[i * C + split.labels[i]!]!, 1e-30));
  const report = classificationReport(split.labels, argmaxRows(probs, C), labels);
  return { loss: split.labels.length > 0 ? nll / split.labels.length : NaN, report, probs };
}
