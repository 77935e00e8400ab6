import type { TokenizerJSON } from '../../text/tokenizer.js';
import { loadRun, type RunConfig, type RunKind } from '../../train/run.js';
import { checkTranslateRun, TRANSLATE_KIND, type DecodeDefaults, type Seq2SeqConfig } from './config.js';
import type { TranslateMetric } from './data.js';
import { Seq2Seq } from './model.js';

export const TRANSLATE_RUN: RunKind = { ...TRANSLATE_KIND, changeable: ['evalDecode'], check: checkTranslateRun };

export { DEFAULT_DECODE, type DecodeDefaults } from './config.js';

/** What `recur train translate` stores with its checkpoints: enough to rebuild model and tokenizers. */
export interface TranslateRunConfig extends RunConfig {
  task: 'translate';
  /** kjv-es, cmudict, or the TSV path. */
  data: string;
  /** Target -> source instead (Spanish -> English for kjv-es). */
  reverse: boolean;
  metric: TranslateMetric;
  model: Seq2SeqConfig;
  srcTokenizer: TokenizerJSON;
  tgtTokenizer: TokenizerJSON;
  /** Defaults of `recur translate` / `recur eval`. */
  decode: DecodeDefaults;
}

/** Rebuilds a trained translation model and its tokenizers from a run directory. */
export function loadTranslateRun(dir: string, which: 'best' | 'last' = 'best'): { model: Seq2Seq; config: TranslateRunConfig } {
  return loadRun<TranslateRunConfig, { model: Seq2Seq }>(dir, TRANSLATE_RUN, (c) => ({ model: new Seq2Seq(c.model) }), which);
}
