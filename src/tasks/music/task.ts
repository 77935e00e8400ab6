import { noGrad } from '../../autograd/grad-mode.js';
import { batchify, getWindow, windowCount, type Batched } from '../../data/streams.js';
import { reclaimMemory } from '../../kernels/index.js';
import { countFrames, frameAccuracy } from '../../metrics/frame-accuracy.js';
import { augmentNotes, MAX_TRANSPOSE } from '../../music/augment.js';
import { encodePerformance } from '../../music/performance.js';
import { KEYS, transposeRoll, type PianoRoll } from '../../music/pianoroll.js';
import type { TimedNote } from '../../music/timed.js';
import { binaryCrossEntropyWithLogits } from '../../nn/losses/bce.js';
import { crossEntropy } from '../../nn/losses/index.js';
import { Rng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import type { EvalResult, TrainTask } from '../../train/task.js';
import type { LanguageModel, LmState } from '../lm/model.js';
import { evaluateLm } from '../lm/task.js';
import { concatIds } from './data.js';
import type { PianoRollModel } from './model.js';

export interface EventTaskOptions {
  batchSize: number;
  bptt: number;
  /** Random transposition (±6) and time stretch (±5%) of every training piece, redrawn each epoch. */
  augment: boolean;
  /** Seeds the augmentation (with the epoch), so a resumed run redraws the same pieces. */
  seed: number;
}

function detachState(s: LmState): LmState {
  return { h: s.h.detach(), ...(s.c ? { c: s.c.detach() } : {}) };
}

/**
 * The performance-event language model (Oore et al. 2018) on the LM machinery: the training
 * pieces' events end to end as batchSize parallel streams, truncated BPTT with the hidden
 * state carried across windows. With augmentation each epoch re-encodes every piece
 * transposed and stretched; its stream is cut or repeated to the un-augmented length so every
 * epoch has the same number of batches.
 */
export class EventTask implements TrainTask {
  readonly model: LanguageModel;
  private readonly base: Int32Array;
  private train: Batched;
  private hidden: LmState | null = null;

  constructor(model: LanguageModel, private readonly pieces: { train: TimedNote[][]; valid: Int32Array; test: Int32Array }, private readonly o: EventTaskOptions) {
    this.model = model;
    this.base = concatIds(pieces.train.map(encodePerformance));
    this.train = batchify(this.base, o.batchSize);
  }

  batchesPerEpoch(): number {
    return windowCount(batchify(this.base, this.o.batchSize), this.o.bptt);
  }

  startEpoch(epoch: number): void {
    this.hidden = null;
    if (!this.o.augment) return;
    const rng = new Rng(this.o.seed * 7919 + epoch + 1);
    const stream = concatIds(this.pieces.train.map((p) => encodePerformance(augmentNotes(p, rng))));
    const fitted = new Int32Array(this.base.length);
    for (let i = 0; i < fitted.length; i++) fitted[i] = stream[i % stream.length]!;
    this.train = batchify(fitted, this.o.batchSize);
  }

  trainBatch(index: number): { loss: Tensor; count: number } {
    const w = getWindow(this.train, index * this.o.bptt, this.o.bptt);
    const { logits, state } = this.model.forward(w.input, w.steps, w.batchSize, this.hidden);
    this.hidden = detachState(state);
    return { loss: crossEntropy(logits, w.target), count: w.input.length };
  }

  async evaluate(split: 'valid' | 'test'): Promise<EvalResult> {
    return evaluateEvents(this.model, this.pieces[split], this.o.bptt);
  }

  getState(): unknown {
    return this.hidden ? { h: this.hidden.h, c: this.hidden.c ?? null } : null;
  }

  setState(state: unknown): void {
    const s = state as { h: Tensor; c: Tensor | null } | null;
    this.hidden = s ? { h: s.h, ...(s.c ? { c: s.c } : {}) } : null;
  }
}

/** NLL per event (nats) of a held-out event stream, as the LM evaluates text. */
export async function evaluateEvents(model: LanguageModel, ids: Int32Array, bptt: number): Promise<EvalResult> {
  const r = await evaluateLm(model, ids, 10, bptt);
  return { loss: r.loss, metrics: { nll_per_event: r.loss, perplexity: r.metrics.perplexity!, events: r.metrics.tokens! } };
}

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
