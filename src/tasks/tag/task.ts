import { conllEval, type ConllReport } from '../../metrics/conlleval.js';
import type { Tensor } from '../../tensor/tensor.js';
import { bucketedBatches } from '../../data/bucketing.js';
import { forEachLengthSortedBatch } from '../../data/eval-batches.js';
import type { EvalResult, TrainTask } from '../../train/task.js';
import { makeTagBatch, type EncodedSentence, type SchemeChoice, type TagVocabs } from './data.js';
import type { SequenceTagger } from './model.js';

export interface TagTaskOptions {
  batchSize: number;
  seed: number;
  evalBatchSize?: number;
  /**
   * Score at most about N validation sentences during training (every k-th one; for model
   * selection and the LR schedule), to keep frequent evaluations cheap on a large development
   * set. Default: all.
   */
  validLimit?: number;
}

/** Sequence tagging for the shared training loop. Loss per token; eval adds accuracy and, for chunk tags, conlleval F1. */
export class TagTask implements TrainTask {
  readonly model: SequenceTagger;
  private batches: Int32Array[] = [];
  private readonly lengths: number[];

  constructor(model: SequenceTagger, private readonly vocabs: TagVocabs,
    private readonly splits: { train: EncodedSentence[]; valid: EncodedSentence[]; test: EncodedSentence[] }, private readonly opts: TagTaskOptions) {
    this.model = model;
    this.lengths = splits.train.map((s) => s.wordIds.length);
    this.batches = bucketedBatches(this.lengths, opts.batchSize, opts.seed, 0);
  }

  /** The same for every epoch: it depends only on the number of sentences. */
  batchesPerEpoch(): number {
    return this.batches.length;
  }

  startEpoch(epoch: number): void {
    this.batches = bucketedBatches(this.lengths, this.opts.batchSize, this.opts.seed, epoch);
  }

  trainBatch(index: number): { loss: Tensor; count: number } {
    const b = makeTagBatch(this.vocabs, this.splits.train, this.batches[index]!);
    return { loss: this.model.loss(b), count: b.tokens };
  }

  async evaluate(split: 'valid' | 'test'): Promise<EvalResult> {
    const limit = split === 'valid' ? this.opts.validLimit : undefined;
    const all = this.splits[split];
    // Every k-th sentence, so the subset spans the whole development set (all genres).
    const stride = limit ? Math.ceil(all.length / limit) : 1;
    const sents = stride > 1 ? all.filter((_, i) => i % stride === 0) : all;
    const r = await evaluateTagger(this.model, this.vocabs, sents, this.opts.evalBatchSize);
    const metrics: Record<string, number> = { accuracy: r.accuracy, tokens: r.tokens };
    if (r.chunks) Object.assign(metrics, { precision: r.chunks.precision, recall: r.chunks.recall, f1: r.chunks.f1 });
    return { loss: r.loss, metrics };
  }

  getState(): unknown {
    return null;
  }

  setState(): void {}
}

export interface TagEvaluation {
  /** Mean loss per token. */
  loss: number;
  accuracy: number;
  tokens: number;
  /** conlleval scores when the tags are chunk tags (scheme bio/bioes). */
  chunks: ConllReport | null;
  /** Predicted tag strings per sentence. */
  predictions: string[][];
}

/**
 * Tags sentences (length-sorted batches, memory reclaimed between them); returns tag ids per
 * sentence in input order, and the summed loss when the sentences have gold tags.
 */
export async function predictTags(model: SequenceTagger, vocabs: TagVocabs, sents: readonly EncodedSentence[], batchSize = 64):
  Promise<{ paths: number[][]; lossSum: number }> {
  const paths: number[][] = new Array<number[]>(sents.length);
  let lossSum = 0;
  await forEachLengthSortedBatch(model, sents.map((s) => s.wordIds.length), batchSize, (which) => {
    const b = makeTagBatch(vocabs, sents, which);
    const em = model.forward(b);
    model.decode(b, em).forEach((p, i) => { paths[which[i]!] = p; });
    if (b.tagIds) lossSum += model.loss(b, em).item() * b.tokens;
  });
  return { paths, lossSum };
}

export async function evaluateTagger(model: SequenceTagger, vocabs: TagVocabs, sents: readonly EncodedSentence[], batchSize = 64): Promise<TagEvaluation> {
  const { paths, lossSum } = await predictTags(model, vocabs, sents, batchSize);
  const tags = vocabs.tags;
  let tokens = 0, correct = 0;
  const gold: string[][] = [], predictions: string[][] = [];
  sents.forEach((s, i) => {
    const p = paths[i]!;
    tokens += p.length;
    for (let t = 0; t < p.length; t++) if (p[t] === s.tagIds![t]) correct++;
    gold.push(Array.from(s.tagIds!, (id) => tags[id]!));
    predictions.push(p.map((id) => tags[id]!));
  });
  const scheme: SchemeChoice = model.config.scheme;
  return {
    loss: tokens > 0 ? lossSum / tokens : NaN, accuracy: tokens > 0 ? correct / tokens : 0, tokens,
    chunks: scheme === 'none' ? null : conllEval(gold, predictions), predictions,
  };
}
