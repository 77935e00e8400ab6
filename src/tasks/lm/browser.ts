/**
 * A trained language model in any JavaScript runtime, browser included (no file system):
 * `import { lm } from 'recur'; const { model, tokenizer } = lm.fromCheckpoint(bytes)`, then
 * `lm.generateText(model, tokenizer, { prompt, length, temperature })` streams text.
 */
import { RecurError } from '../../errors.js';
import { parseCheckpoint } from '../../io/checkpoint.js';
import { tokenizerFromJSON } from '../../text/from-json.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import { checkLmRun, LanguageModel } from './model.js';

export { LanguageModel, type LanguageModelConfig, type LmState } from './model.js';
export { generateText, beamContinue, nextTokens, type GenerateOptions } from './generate.js';
export { traceLstm, type LstmTrace } from './inspect.js';

/** Rebuilds a language model and its tokenizer from a run's checkpoint bytes (best/last.safetensors). */
export function fromCheckpoint(bytes: Uint8Array | ArrayBuffer, name = 'checkpoint'): { model: LanguageModel; tokenizer: Tokenizer; config: Record<string, unknown> } {
  const ck = parseCheckpoint(bytes, name);
  if (ck.config.task !== 'lm') throw new RecurError(`${name} is a '${ck.config.task}' run, not a language model`);
  const config = checkLmRun(ck, name);
  const model = new LanguageModel(config.model);
  model.loadStateDict(ck.weights);
  model.eval();
  return { model, tokenizer: tokenizerFromJSON(config.tokenizer), config: ck.config };
}
