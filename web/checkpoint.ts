/**
 * The app's side of recur checkpoints: reading a served run goes through the library
 * (`lm.fromCheckpoint`); writing one of a model trained in the page happens here, in the format
 * src/train/checkpoint.ts writes, so `recur generate DIR` loads it as DIR/last.safetensors.
 */
import { io, type Tensor } from '../src/index.js';
import type { LanguageModel } from '../src/tasks/lm/model.js';
import type { CharTokenizer } from '../src/text/char-tokenizer.js';

export function writeLmCheckpoint(model: LanguageModel, tokenizer: CharTokenizer, train: Record<string, unknown>, step: number): Uint8Array {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of model.stateDict()) tensors.set(`model.${k}`, t);
  const config = { task: 'lm', corpus: 'browser', level: 'char', model: model.config, tokenizer: tokenizer.toJSON(), train };
  return io.saveSafetensors(tensors, { format: io.CHECKPOINT_FORMAT, config: JSON.stringify(config), state: JSON.stringify({ step, weightsOnly: true }) });
}
