import { ctcGreedy, ctcPrefixBeam, type FusionLm, type WordConstraint } from '../../decode/ctc.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { UnitSet } from './units.js';

/** How CTC outputs become text: greedy (beam 1, no LM, no word list) or prefix beam search. */
export interface DecodeOptions {
  beam: number;
  lm?: FusionLm<unknown> | null;
  lmWeight?: number;
  insertionBonus?: number;
  constraint?: WordConstraint | null;
}

/** The transcripts of a batch of CTC log-probabilities [T', B, C] (each utterance its first lengths[b] frames). */
export function decodeCtcBatch(logProbs: Tensor, lengths: readonly number[], units: UnitSet, o: DecodeOptions): string[] {
  const [T, B, C] = logProbs.shape as [number, number, number];
  const greedy = o.beam === 1 && !o.lm && !o.constraint;
  const out: string[] = [];
  const rows = new Float32Array(T * C);
  for (let b = 0; b < B; b++) {
    const L = lengths[b]!;
    for (let t = 0; t < L; t++) rows.set(logProbs.data.subarray((t * B + b) * C, (t * B + b + 1) * C), t * C);
    let ids: number[];
    if (greedy) ids = ctcGreedy(rows, L, C, 0);
    else {
      const hyps = ctcPrefixBeam(rows, L, C, {
        beamSize: o.beam, blank: 0, lm: o.lm ?? null, lmWeight: o.lmWeight ?? 0.5, insertionBonus: o.insertionBonus ?? 0,
        constraint: o.constraint ?? null, pruneLogProb: Math.log(1e-4),
      });
      ids = hyps[0]?.labels ?? [];
    }
    out.push(units.decode(ids));
  }
  return out;
}

/** Per frame, the most likely unit (0 = blank) of utterance b: the best-path alignment. */
export function bestPath(logProbs: Tensor, b: number, length: number): number[] {
  const [, B, C] = logProbs.shape as [number, number, number];
  const path: number[] = [];
  for (let t = 0; t < length; t++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logProbs.data[(t * B + b) * C + c]! > logProbs.data[(t * B + b) * C + best]!) best = c;
    path.push(best);
  }
  return path;
}
