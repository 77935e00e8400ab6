/**
 * The character-level race shared by `npm run eval` (scripts/eval/lm.ts, quality) and
 * `npm run eval:lm-speed` (scripts/eval/lm-speed.ts, speed): Moby-Dick, 2x256 LSTM, and the
 * files and config its PyTorch twin (scripts/eval/torch_lm.py) reads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LmRunConfig } from '../../src/tasks/lm/run.js';
import { prepareLmData } from '../../src/tasks/lm/data.js';
import { lmModelConfig, type LmTrainOptions } from '../../src/tasks/lm/train.js';

export function charLmOptions(batch: number, bptt: number, out: string,
  run: Pick<LmTrainOptions, 'minutes' | 'seed' | 'evalEvery'> & Partial<LmTrainOptions>): LmTrainOptions {
  return {
    corpus: 'moby-dick', level: 'char', cell: 'lstm', layers: 2, hidden: 256, embed: 64, dropout: 0.1, tie: false,
    batch, bptt, lr: 0.003, optimizer: 'adam', clip: 5, out, resume: false, ...run,
  };
}

/**
 * The ids trainLm makes from o, written as DIR/train.i32 and DIR/valid.i32 for the twin, and the
 * twin's config for the same model and optimiser (plus `extra`).
 */
export function prepareTwin(o: LmTrainOptions, dir: string): {
  prep: ReturnType<typeof prepareLmData>; model: LmRunConfig['model']; config: (extra: Record<string, unknown>) => string;
} {
  const prep = prepareLmData(o, o);
  for (const s of ['train', 'valid'] as const) {
    const a = prep.splits[s];
    writeFileSync(join(dir, `${s}.i32`), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  }
  const model = lmModelConfig(o, prep.tokenizer.vocabSize);
  const config = (extra: Record<string, unknown>): string => JSON.stringify({
    model, lr: o.lr, batch: o.batch, bptt: o.bptt, clip: o.clip, minutes: o.minutes, seed: o.seed, threads: 2, ...extra,
  });
  return { prep, model, config };
}
