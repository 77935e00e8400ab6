import { RecurError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { parseSafetensors } from './safetensors.js';

/** The format tag recur writes into every checkpoint's metadata (src/train/checkpoint.ts). */
export const CHECKPOINT_FORMAT = 'recur-checkpoint-1';
/** More tensors than any recur model and its optimizer state have: a bound for crafted files. */
export const MAX_CHECKPOINT_TENSORS = 100_000;

export interface CheckpointBytes {
  /** The run's config: `task` names the task, the rest is the task's own. */
  config: { task: string; [k: string]: unknown };
  /** Model weights with their PyTorch names (the `model.` prefix of the file removed). */
  weights: Map<string, Tensor>;
}

/**
 * A recur checkpoint (a run's best/last.safetensors) read from bytes, without the file system:
 * what a browser page needs to run a trained model. `name` labels errors.
 */
export function parseCheckpoint(bytes: Uint8Array | ArrayBuffer, name = 'checkpoint'): CheckpointBytes {
  const { tensors, metadata } = parseSafetensors(bytes, { source: name, maxTensors: MAX_CHECKPOINT_TENSORS });
  if (metadata.format !== CHECKPOINT_FORMAT) throw new RecurError(`${name}: not a recur checkpoint (format '${metadata.format ?? 'missing'}', expected '${CHECKPOINT_FORMAT}')`);
  let config: unknown;
  try {
    config = JSON.parse(metadata.config ?? 'null');
  } catch {
    throw new RecurError(`${name}: its config is not valid JSON`);
  }
  if (typeof config !== 'object' || config === null || typeof (config as { task?: unknown }).task !== 'string') {
    throw new RecurError(`${name}: its config does not say which task it is`);
  }
  const weights = new Map<string, Tensor>();
  for (const [k, t] of tensors) if (k.startsWith('model.')) weights.set(k.slice(6), t);
  checkFiniteWeights(weights, name);
  return { config: config as CheckpointBytes['config'], weights };
}

/** The first non-finite value among the weights, as an error naming the tensor. */
export function checkFiniteWeights(weights: ReadonlyMap<string, Tensor>, where: string): void {
  for (const [name, t] of weights) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (v - v !== 0) {
        throw new RecurError(`${where}: weight tensor '${name.length > 200 ? `${name.slice(0, 200)}…` : name}' holds a non-finite value (${v} at flat index ${i}); the checkpoint is corrupt`);
      }
    }
  }
}
