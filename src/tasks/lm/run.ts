import type { TokenizerJSON } from '../../text/tokenizer.js';
import { loadRun, type RunConfig, type RunKind } from '../../train/run.js';
import type { Level, LmDataSpec } from './data.js';
import { checkLmRun, LanguageModel, LM_KIND, type LanguageModelConfig } from './model.js';

export const LM_RUN: RunKind = { ...LM_KIND, check: checkLmRun };

/** What a run directory's checkpoints carry as `config`: enough to rebuild model and tokenizer. */
export interface LmRunConfig extends RunConfig, LmDataSpec {
  task: 'lm';
  level: Level;
  model: LanguageModelConfig;
  tokenizer: TokenizerJSON;
}

/** Rebuilds a trained language model and its tokenizer from a run directory. */
export function loadLmRun(dir: string, which: 'best' | 'last' = 'best'): { model: LanguageModel; config: LmRunConfig } {
  return loadRun<LmRunConfig, { model: LanguageModel }>(dir, LM_RUN, (c) => ({ model: new LanguageModel(c.model) }), which);
}
