import type { SpecAugmentOptions } from '../../audio/augment.js';
import { RecurError } from '../../errors.js';
import { errorRate, wordErrorRate } from '../../metrics/wer.js';
import { crossEntropy, ctcLoss } from '../../nn/losses/index.js';
import { Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import { bucketedBatches } from '../../data/bucketing.js';
import { forEachLengthSortedBatch } from '../../data/eval-batches.js';
import type { EvalResult, TrainTask } from '../../train/task.js';
import { makeFeatureBatch, type FeatureUtterance } from './batch.js';
import { decodeCtcBatch, type DecodeOptions } from './decode.js';
import type { FeatureBatch, SpeechRecognizer } from './model.js';
import type { UnitSet } from './units.js';

/** What the model predicts: CTC units, or one of a closed set of transcripts. */
export type SpeechTargets = { kind: 'ctc'; units: UnitSet } | { kind: 'classify'; classes: readonly string[] };

/** Unit ids of each utterance (CTC), or its class id; an utterance that cannot be encoded is an error naming it. */
export function encodeTargets(utts: readonly FeatureUtterance[], targets: SpeechTargets, where: string): Int32Array[] {
  return utts.map((u) => {
    if (targets.kind === 'ctc') {
      const { ids } = targets.units.encode(u.transcript);
      return Int32Array.from(ids);
    }
    const c = targets.classes.indexOf(classKey(u.transcript));
    if (c < 0) throw new RecurError(`${where}: utterance ${u.id} says ${JSON.stringify(u.transcript)}, which is not one of the ${targets.classes.length} classes of the training set`);
    return Int32Array.of(c);
  });
}

/** The class a transcript belongs to: lowercased, whitespace collapsed. */
export function classKey(transcript: string): string {
  return transcript.toLowerCase().replace(/\s+/g, ' ').trim();
}

export interface SpeechTaskOptions {
  batchSize: number;
  seed: number;
  /** SpecAugment masks on training batches (null: none). */
  specAugment: SpecAugmentOptions | null;
  evalBatchSize?: number;
}

/** Speech recognition for the shared training loop: CTC loss (or cross entropy) per utterance. */
export class SpeechTask implements TrainTask {
  readonly model: SpeechRecognizer;
  private batches: Int32Array[];
  private readonly lengths: number[];
  private readonly trainTargets: Int32Array[];
  private epoch = 0;

  constructor(model: SpeechRecognizer, private readonly targets: SpeechTargets,
    private readonly splits: { train: FeatureUtterance[]; valid: FeatureUtterance[]; test: FeatureUtterance[] },
    private readonly opts: SpeechTaskOptions) {
    this.model = model;
    this.lengths = splits.train.map((u) => u.frames);
    this.trainTargets = encodeTargets(splits.train, targets, 'training set');
    this.batches = bucketedBatches(this.lengths, opts.batchSize, opts.seed, 0);
  }

  batchesPerEpoch(): number {
    return this.batches.length;
  }

  startEpoch(epoch: number): void {
    this.epoch = epoch;
    this.batches = bucketedBatches(this.lengths, this.opts.batchSize, this.opts.seed, epoch);
  }

  trainBatch(index: number): { loss: Tensor; count: number } {
    const which = this.batches[index]!;
    // Masks from a generator keyed by (seed, epoch, batch), so a resumed run draws the same ones.
    const augment = this.opts.specAugment ? { rng: new Rng(this.opts.seed * 1_000_003 + this.epoch * 100_003 + index + 7), opts: this.opts.specAugment } : undefined;
    const batch = makeFeatureBatch(this.splits.train, which, this.model.config.inputSize, augment);
    return { loss: speechLoss(this.model, this.targets, batch, Array.from(which, (i) => this.trainTargets[i]!)), count: which.length };
  }

  async evaluate(split: 'valid' | 'test'): Promise<EvalResult> {
    const r = await evaluateSpeech(this.model, this.targets, this.splits[split], { beam: 1 }, this.opts.evalBatchSize);
    return { loss: r.loss, metrics: r.targets.kind === 'ctc' ? { wer: r.wer, cer: r.cer, accuracy: r.accuracy } : { accuracy: r.accuracy } };
  }

  getState(): unknown {
    return null;
  }

  setState(): void {}
}

/** Mean loss per utterance of a batch: CTC (each utterance's loss divided by its target length, as torch's 'mean') or cross entropy. */
export function speechLoss(model: SpeechRecognizer, targets: SpeechTargets, batch: FeatureBatch, ys: readonly Int32Array[]): Tensor {
  if (targets.kind === 'classify') return crossEntropy(model.forwardClassify(batch), Int32Array.from(ys, (y) => y[0]!));
  const { logProbs, lengths } = model.forwardCtc(batch);
  return ctcBatchLoss(logProbs, lengths, ys);
}

function ctcBatchLoss(logProbs: Tensor, lengths: readonly number[], ys: readonly Int32Array[]): Tensor {
  let total = 0;
  for (const y of ys) total += y.length;
  const flat = new Int32Array(total);
  let off = 0;
  for (const y of ys) { flat.set(y, off); off += y.length; }
  // zeroInfinity: an utterance too short for its transcript after subsampling adds nothing rather than NaN.
  return ctcLoss(logProbs, flat, lengths, ys.map((y) => y.length), { blank: 0, reduction: 'mean', zeroInfinity: true });
}

export interface SpeechEvaluation {
  targets: SpeechTargets;
  /** Mean loss per utterance. */
  loss: number;
  /** Word and character error rates (fractions), CTC only (0 for classify). */
  wer: number;
  cer: number;
  /** Utterances whose whole transcript is right. */
  accuracy: number;
  utterances: number;
  hypotheses: string[];
  references: string[];
}

/**
 * Decodes every utterance (length-sorted batches, memory reclaimed between them) and scores
 * the transcripts against the references, normalised as the units normalise them.
 */
export async function evaluateSpeech(model: SpeechRecognizer, targets: SpeechTargets, utts: readonly FeatureUtterance[],
  decode: DecodeOptions, batchSize = 32): Promise<SpeechEvaluation> {
  const ys = encodeTargets(utts, targets, 'evaluation set');
  const hyps = await transcribeUtterances(model, targets, utts, decode, batchSize, ys);
  const refs = utts.map((u) => (targets.kind === 'ctc' ? targets.units.normalize(u.transcript) : classKey(u.transcript)));
  const n = utts.length;
  const correct = hyps.texts.filter((h, i) => h === refs[i]).length;
  const wer = targets.kind === 'ctc' ? wordErrorRate(hyps.texts, refs).rate : 0;
  const cer = targets.kind === 'ctc' ? errorRate(hyps.texts.map((h) => [...h]), refs.map((r) => [...r])).rate : 0;
  return { targets, loss: hyps.lossSum / Math.max(n, 1), wer, cer, accuracy: n ? correct / n : 0, utterances: n, hypotheses: hyps.texts, references: refs };
}

/**
 * Transcripts (or class names) of utterances, in input order; with the utterances' encoded
 * targets `ys`, also the summed loss of the same forward passes.
 */
export async function transcribeUtterances(model: SpeechRecognizer, targets: SpeechTargets, utts: readonly FeatureUtterance[],
  decode: DecodeOptions, batchSize = 32, ys?: readonly Int32Array[]): Promise<{ texts: string[]; lossSum: number }> {
  const texts = new Array<string>(utts.length).fill('');
  let lossSum = 0;
  await forEachLengthSortedBatch(model, utts.map((u) => u.frames), batchSize, (which) => {
    const batch = makeFeatureBatch(utts, which, model.config.inputSize);
    const y = ys ? which.map((i) => ys[i]!) : null;
    let out: string[];
    if (targets.kind === 'ctc') {
      const { logProbs, lengths } = model.forwardCtc(batch);
      out = decodeCtcBatch(logProbs, lengths, targets.units, decode);
      if (y) lossSum += ctcBatchLoss(logProbs, lengths, y).item() * which.length;
    } else {
      const logits = model.forwardClassify(batch);
      if (y) lossSum += crossEntropy(logits, Int32Array.from(y, (v) => v[0]!)).item() * which.length;
      const C = logits.shape[1]!;
      out = which.map((_, r) => {
        let best = 0;
        for (let c = 1; c < C; c++) if (logits.data[r * C + c]! > logits.data[r * C + best]!) best = c;
        return targets.classes[best]!;
      });
    }
    out.forEach((t, r) => { texts[which[r]!] = t; });
  });
  return { texts, lossSum };
}
