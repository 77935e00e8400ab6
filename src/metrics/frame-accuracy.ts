import { RecurError } from '../errors.js';

/** Counts of a multi-label frame comparison, summed over frames and keys. */
export interface FrameCounts {
  tp: number;
  fp: number;
  fn: number;
}

/** Adds the true/false positives and false negatives of predicted vs reference 0/1 frames. */
export function countFrames(pred: ArrayLike<number>, ref: ArrayLike<number>, into: FrameCounts = { tp: 0, fp: 0, fn: 0 }): FrameCounts {
  if (pred.length !== ref.length) throw new RecurError(`frame accuracy: ${pred.length} predicted values for ${ref.length} reference values`);
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i]! > 0, r = ref[i]! > 0;
    if (p && r) into.tp++;
    else if (p) into.fp++;
    else if (r) into.fn++;
  }
  return into;
}

/**
 * Frame-level accuracy of Bay, Ehmann and Downie (2009), as Boulanger-Lewandowski et al. (2012)
 * report it: TP / (TP + FP + FN) summed over all frames; 1 when both are silent throughout.
 */
export function frameAccuracy(c: FrameCounts): number {
  const d = c.tp + c.fp + c.fn;
  return d === 0 ? 1 : c.tp / d;
}
