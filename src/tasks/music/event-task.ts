import { crossEntropy } from '../../nn/losses/index.js';
import { batchify, getWindow, windowCount, type Batched } from '../../data/streams.js';
import { augmentNotes } from '../../music/augment.js';
import { encodePerformance } from '../../music/performance.js';
import type { TimedNote } from '../../music/timed.js';
import { Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { EvalResult, TrainTask } from '../../train/task.js';
import type { LanguageModel, LmState } from '../lm/model.js';
import { evaluateLm } from '../lm/task.js';
import { concatIds } from './data.js';

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
