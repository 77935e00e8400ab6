/**
 * recur checkpoints in the browser: a run's `best.safetensors` (or `last`) holds the weights
 * under `model.` and the run's config as JSON metadata (src/train/checkpoint.ts writes it). This
 * reads one from bytes and rebuilds the language model, and writes a weights-only checkpoint of
 * a model trained in the page, which `recur generate` loads like any run.
 */
import { io, RecurError, type Tensor } from '../src/index.js';
import { LanguageModel, type LanguageModelConfig } from '../src/tasks/lm/model.js';
import { CharTokenizer } from '../src/text/char-tokenizer.js';
import { tokenizerFromJSON } from '../src/text/from-json.js';
import type { Tokenizer } from '../src/text/tokenizer.js';

export const CHECKPOINT_FORMAT = 'recur-checkpoint-1';

export interface Checkpoint {
  config: { task: string; [k: string]: unknown };
  weights: Map<string, Tensor>;
}

export function readCheckpoint(bytes: Uint8Array, name: string): Checkpoint {
  const { tensors, metadata } = io.parseSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) throw new RecurError(`${name}: not a recur checkpoint (format '${metadata.format ?? 'missing'}')`);
  let config: unknown;
  try {
    config = JSON.parse(metadata.config ?? 'null');
  } catch {
    throw new RecurError(`${name}: its config is not JSON`);
  }
  if (typeof config !== 'object' || config === null || typeof (config as { task?: unknown }).task !== 'string') {
    throw new RecurError(`${name}: its config does not say which task it is`);
  }
  const weights = new Map<string, Tensor>();
  for (const [k, t] of tensors) if (k.startsWith('model.')) weights.set(k.slice(6), t);
  return { config: config as Checkpoint['config'], weights };
}

export interface LoadedLm {
  model: LanguageModel;
  tokenizer: Tokenizer;
  level: string;
}

export function buildLm(ck: Checkpoint, name: string): LoadedLm {
  if (ck.config.task !== 'lm') throw new RecurError(`${name} is a '${ck.config.task}' run, not a language model`);
  const model = new LanguageModel(ck.config.model as LanguageModelConfig);
  model.loadStateDict(ck.weights);
  model.eval();
  return { model, tokenizer: tokenizerFromJSON(ck.config.tokenizer), level: String(ck.config.level ?? 'char') };
}

/** A checkpoint of a char LM trained in the page: `recur generate DIR` loads it as DIR/last.safetensors. */
export function writeLmCheckpoint(model: LanguageModel, tokenizer: CharTokenizer, train: Record<string, unknown>, step: number): Uint8Array {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of model.stateDict()) tensors.set(`model.${k}`, t);
  const config = { task: 'lm', corpus: 'browser', level: 'char', model: model.config, tokenizer: tokenizer.toJSON(), train };
  return io.saveSafetensors(tensors, { format: CHECKPOINT_FORMAT, config: JSON.stringify(config), state: JSON.stringify({ step, weightsOnly: true }) });
}
