import { RecurError } from '../../errors.js';
import { tokenizerFromJSON } from '../../text/from-json.js';
import type { TokenizerJSON } from '../../text/tokenizer.js';
import type { CheckpointContent } from '../../train/checkpoint.js';
import { loadRun, type RunConfig, type RunKind } from '../../train/run.js';
import { runConfig } from '../../train/validate.js';
import type { Level, LmDataSpec } from './data.js';
import { checkLmConfig, LanguageModel, type LanguageModelConfig } from './model.js';

export const LM_RUN: RunKind = { task: 'lm', noun: 'language-model', check: checkLmRun };

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

/** The config of a language-model checkpoint, checked against its weights (see src/train/validate.ts). */
export function checkLmRun(ck: CheckpointContent, dir: string): LmRunConfig {
  const f = runConfig(ck.config, LM_RUN, dir);
  const model = checkLmConfig(f.present('model'), `${f.where}.model`, ck.weights);
  const tokenizer = tokenizerFromJSON(f.present('tokenizer') as LmRunConfig['tokenizer']);
  if (tokenizer.vocabSize !== model.vocabSize) {
    throw new RecurError(`${f.where}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabSize is ${model.vocabSize}`);
  }
  const train = f.obj('train');
  train.optional('bptt', (k) => train.int(k, 1, 1 << 20));
  const valid = f.optional('valid', (k) => f.str(k)), test = f.optional('test', (k) => f.str(k));
  return {
    task: 'lm', corpus: f.str('corpus'), ...(valid !== undefined ? { valid } : {}), ...(test !== undefined ? { test } : {}), level: f.oneOf('level', ['char', 'word', 'bpe'] as const), model,
    tokenizer: tokenizer.toJSON(), train: train.o,
  };
}
