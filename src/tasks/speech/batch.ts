/**
 * Utterances as the model sees them and the padded batches made of them: browser-safe (the
 * data sets that produce utterances from files are in ./data.ts).
 */
import { specAugment, type SpecAugmentOptions } from '../../audio/augment.js';
import { RecurError } from '../../errors.js';
import { allocStorage } from '../../kernels/index.js';
import type { Rng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import type { FeatureBatch } from './model.js';

/** An utterance as the model sees it: features [frames, dim] and the transcript. */
export interface FeatureUtterance {
  id: string;
  transcript: string;
  features: Float32Array;
  frames: number;
}

/**
 * A padded batch [B, T, F] of the utterances `which` (zeros past each length), optionally with
 * SpecAugment masks drawn from `augment`'s generator.
 */
export function makeFeatureBatch(utts: readonly FeatureUtterance[], which: ArrayLike<number>, dim: number,
  augment?: { rng: Rng; opts: SpecAugmentOptions }): FeatureBatch {
  const B = which.length;
  let T = 0;
  for (let i = 0; i < B; i++) T = Math.max(T, utts[which[i]!]!.frames);
  const data = allocStorage(B * T * dim);
  const lengths: number[] = [];
  for (let i = 0; i < B; i++) {
    const u = utts[which[i]!]!;
    if (u.features.length !== u.frames * dim) {
      throw new RecurError(`utterance ${u.id}: ${u.features.length} feature values for ${u.frames} frames of ${dim} (features of another configuration?)`);
    }
    const f = augment ? specAugment({ data: u.features, frames: u.frames, dim }, augment.rng, augment.opts).data : u.features;
    data.set(f, i * T * dim);
    lengths.push(u.frames);
  }
  return { features: new Tensor(data, [B, T, dim]), lengths };
}
