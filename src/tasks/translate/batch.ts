import { RecurError } from '../../errors.js';
import { Rng } from '../../tensor/rng.js';
import type { SourceBatch } from './encoder.js';
import type { Seq2SeqBatch } from './model.js';
import type { EncodedPair } from './data.js';

export interface Specials {
  srcPad: number;
  tgtPad: number;
  bos: number;
  eos: number;
}

/** Pads sources into a batch-major [B, S] batch. */
export function sourceBatch(srcs: readonly Int32Array[], pad: number): SourceBatch {
  const B = srcs.length;
  if (B === 0) throw new RecurError('empty batch');
  const S = Math.max(...srcs.map((s) => s.length));
  if (S === 0) throw new RecurError('every source in the batch is empty');
  const ids = new Int32Array(B * S).fill(pad);
  const lengths = new Int32Array(B);
  srcs.forEach((s, b) => {
    if (s.length === 0) throw new RecurError(`source ${b} of the batch is empty (encodes to no tokens)`);
    ids.set(s, b * S);
    lengths[b] = s.length;
  });
  return { ids, B, S, lengths };
}

/**
 * A training batch: sources padded batch-major, targets time-major with <bos> before the
 * decoder inputs and <eos> after the expected outputs; padding gets the target pad id, which
 * the loss ignores.
 */
export function makeBatch(pairs: readonly EncodedPair[], sp: Specials): Seq2SeqBatch {
  const src = sourceBatch(pairs.map((p) => p.src), sp.srcPad);
  const B = pairs.length;
  const T = Math.max(...pairs.map((p) => p.tgt.length)) + 1;
  const tgtIn = new Int32Array(T * B).fill(sp.tgtPad), tgtOut = new Int32Array(T * B).fill(sp.tgtPad);
  pairs.forEach((p, b) => {
    const n = p.tgt.length;
    tgtIn[b] = sp.bos;
    for (let t = 0; t < n; t++) {
      tgtIn[(t + 1) * B + b] = p.tgt[t]!;
      tgtOut[t * B + b] = p.tgt[t]!;
    }
    tgtOut[n * B + b] = sp.eos;
  });
  return { ...src, tgtIn, tgtOut, T };
}

/**
 * Batches of one epoch: a seeded shuffle, then pools of 64 batches sorted by source length
 * (little padding), cut into batches whose order is shuffled again. Depends only on
 * (seed, epoch), so a resumed run replays the same batches.
 */
export function epochBatches(pairs: readonly EncodedPair[], batchSize: number, seed: number, epoch: number): number[][] {
  const rng = new Rng((seed * 1_000_003 + epoch * 7919 + 17) >>> 0);
  const perm = Array.from(rng.permutation(pairs.length));
  const batches: number[][] = [];
  const pool = batchSize * 64;
  for (let i = 0; i < perm.length; i += pool) {
    const chunk = perm.slice(i, i + pool).sort((a, b) => pairs[b]!.src.length - pairs[a]!.src.length || pairs[b]!.tgt.length - pairs[a]!.tgt.length);
    for (let j = 0; j < chunk.length; j += batchSize) batches.push(chunk.slice(j, j + batchSize));
  }
  const order = rng.permutation(batches.length);
  return Array.from(order, (k) => batches[k]!);
}
