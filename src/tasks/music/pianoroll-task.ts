import { noGrad } from '../../autograd/grad-mode.js';
import { reclaimMemory } from '../../kernels/index.js';
import { countFrames, frameAccuracy } from '../../metrics/frame-accuracy.js';
import { binaryCrossEntropyWithLogits } from '../../nn/losses/bce.js';
import { KEYS, transposeRoll, type PianoRoll } from '../../music/pianoroll.js';
import { MAX_TRANSPOSE } from '../../music/augment.js';
import { Rng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import type { EvalResult, TrainTask } from '../../train/task.js';
import type { PianoRollModel } from './pianoroll-model.js';

export interface PianoRollTaskOptions {
  batchSize: number;
  /** Frames per training chunk. */
  bptt: number;
  /** Random transposition (±6 keys) of every training piece, redrawn each epoch. */
  augment: boolean;
  seed: number;
}

/** Sequences of frames laid out for the model: previous frames, targets, lengths and a mask. */
export interface RollBatch {
  prev: Tensor;
  frames: Tensor;
  lengths: Int32Array;
  /** [T*B, 1]: 1 on real frames, 0 on padding. */
  mask: Tensor;
  count: number;
}

/**
 * Time-major batch of B pieces (or chunks starting at frame `starts[b]`, up to `len[b]`
 * frames): frames[t, b] = roll[start + t], prev[t, b] = roll[start + t - 1] (zeros before the
 * first frame).
 */
export function rollBatch(rolls: readonly PianoRoll[], starts: readonly number[], lens: readonly number[]): RollBatch {
  const B = rolls.length, T = Math.max(...lens);
  const prev = new Float32Array(T * B * KEYS), frames = new Float32Array(T * B * KEYS), mask = new Float32Array(T * B);
  let count = 0;
  for (let b = 0; b < B; b++) {
    const r = rolls[b]!, s = starts[b]!;
    for (let t = 0; t < lens[b]!; t++) {
      const o = (t * B + b) * KEYS, f = s + t;
      for (let k = 0; k < KEYS; k++) frames[o + k] = r.data[f * KEYS + k]!;
      if (f > 0) for (let k = 0; k < KEYS; k++) prev[o + k] = r.data[(f - 1) * KEYS + k]!;
      mask[t * B + b] = 1;
      count++;
    }
  }
  return { prev: new Tensor(prev, [T, B, KEYS]), frames: new Tensor(frames, [T, B, KEYS]), lengths: Int32Array.from(lens), mask: new Tensor(mask, [T * B, 1]), count };
}

/**
 * NLL of the frames of a batch in nats, summed over keys and frames: BCE with logits summed
 * over the 88 keys, as the piano-roll literature reports it (Boulanger-Lewandowski et al.
 * 2012), padding masked out.
 */
export function rollNll(model: PianoRollModel, b: RollBatch): Tensor {
  const { logits } = model.forward(b.prev, b.frames, null, b.lengths);
  return binaryCrossEntropyWithLogits(logits, b.frames.reshape([b.mask.shape[0]!, KEYS]), { weight: b.mask, reduction: 'sum' });
}

/**
 * Piano-roll training: every piece cut into chunks of `bptt` frames (the last one shorter),
 * shuffled each epoch with a generator keyed by (seed, epoch), each chunk starting from a zero
 * state. The loss is the mean NLL per frame.
 */
export class PianoRollTask implements TrainTask {
  readonly model: PianoRollModel;
  private readonly chunks: Array<{ piece: number; start: number; len: number }> = [];
  private order: Int32Array;
  private rolls: PianoRoll[];

  constructor(model: PianoRollModel, private readonly splits: { train: PianoRoll[]; valid: PianoRoll[]; test: PianoRoll[] }, private readonly o: PianoRollTaskOptions) {
    this.model = model;
    this.rolls = splits.train;
    splits.train.forEach((r, piece) => {
      for (let start = 0; start < r.frames; start += o.bptt) this.chunks.push({ piece, start, len: Math.min(o.bptt, r.frames - start) });
    });
    this.order = Int32Array.from(this.chunks.keys());
  }

  batchesPerEpoch(): number {
    return Math.ceil(this.chunks.length / this.o.batchSize);
  }

  startEpoch(epoch: number): void {
    const rng = new Rng(this.o.seed * 7919 + epoch + 1);
    this.order = rng.permutation(this.chunks.length);
    if (this.o.augment) this.rolls = this.splits.train.map((r) => transposeRoll(r, rng.int(2 * MAX_TRANSPOSE + 1) - MAX_TRANSPOSE));
  }

  trainBatch(index: number): { loss: Tensor; count: number } {
    const picked = Array.from(this.order.subarray(index * this.o.batchSize, (index + 1) * this.o.batchSize), (i) => this.chunks[i]!);
    const b = rollBatch(picked.map((c) => this.rolls[c.piece]!), picked.map((c) => c.start), picked.map((c) => c.len));
    return { loss: rollNll(this.model, b).div(b.count), count: b.count };
  }

  evaluate(split: 'valid' | 'test'): Promise<EvalResult> {
    return evaluateRolls(this.model, this.splits[split]);
  }

  getState(): unknown {
    return null;
  }

  setState(): void {}
}

/**
 * NLL per frame (nats, summed over keys) of whole pieces from a zero state, and frame-level
 * accuracy of the model's own most likely frame given the true past (p > 0.5 per key; for
 * 'made', key by key in pitch order given the keys it already chose).
 */
export async function evaluateRolls(model: PianoRollModel, rolls: readonly PianoRoll[], batchSize = 8): Promise<EvalResult> {
  let nll = 0, frames = 0;
  const counts = { tp: 0, fp: 0, fn: 0 };
  const sampler = model.frameSampler();
  const order = [...rolls.keys()].sort((a, b) => rolls[a]!.frames - rolls[b]!.frames);
  for (let i = 0; i < order.length; i += batchSize) {
    const group = order.slice(i, i + batchSize).map((j) => rolls[j]!);
    const b = rollBatch(group, group.map(() => 0), group.map((r) => r.frames));
    noGrad(() => {
      const { h } = model.run(b.prev, null, b.lengths);
      nll += binaryCrossEntropyWithLogits(model.logits(h, b.frames), b.frames.reshape([b.mask.shape[0]!, KEYS]), { weight: b.mask, reduction: 'sum' }).item();
      const cond = model.conditioning(h);
      const Hm = cond.hidden ? cond.hidden.length / b.mask.shape[0]! : 0;
      for (let n = 0; n < b.mask.shape[0]!; n++) {
        if (!b.mask.data[n]) continue;
        const { frame } = sampler.sample(cond.bias.subarray(n * KEYS, (n + 1) * KEYS), cond.hidden ? cond.hidden.subarray(n * Hm, (n + 1) * Hm) : null, 1, null);
        countFrames(frame, b.frames.data.subarray(n * KEYS, (n + 1) * KEYS), counts);
      }
    });
    frames += b.count;
    await reclaimMemory();
  }
  const loss = frames > 0 ? nll / frames : NaN;
  return { loss, metrics: { nll_per_frame: loss, frame_accuracy: frameAccuracy(counts), frames } };
}
