import { Rng } from '../tensor/rng.js';

/**
 * Batches of similar-length sequences in random order: each epoch shuffles the sequences,
 * sorts windows of 50 batches by length (little padding), cuts them into batches and shuffles
 * the batches. All from a generator seeded by (seed, epoch), so resume replays the same batches.
 */
export function bucketedBatches(lengths: readonly number[], batchSize: number, seed: number, epoch: number): Int32Array[] {
  const rng = new Rng(seed * 1_000_003 + epoch + 1);
  const perm = rng.permutation(lengths.length);
  const batches: Int32Array[] = [];
  const window = batchSize * 50;
  for (let s = 0; s < perm.length; s += window) {
    const chunk = Array.from(perm.subarray(s, s + window)).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(Int32Array.from(chunk.slice(i, i + batchSize)));
  }
  const order = rng.permutation(batches.length);
  return Array.from(order, (i) => batches[i]!);
}
