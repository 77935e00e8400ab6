import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RecurError } from '../errors.js';
import { checkFiniteWeights, CHECKPOINT_FORMAT, MAX_CHECKPOINT_TENSORS } from '../io/checkpoint.js';
import { saveSafetensors } from '../io/safetensors.js';
import { readSafetensorsFile, readSafetensorsMetadata, writeFileAtomic } from '../io/files.js';
import type { StateDict } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { packState, unpackState } from './pack.js';

export { CHECKPOINT_FORMAT } from '../io/checkpoint.js';

/** Everything a run needs to continue bit-for-bit: weights, optimizer, RNG, position. */
export interface CheckpointContent {
  /** Task/model configuration (incl. vocabulary), enough to rebuild the model. */
  config: unknown;
  weights: StateDict;
  /** Trainer and optimizer/scheduler/task state; typed arrays inside are stored as tensors. */
  state: unknown;
}

/**
 * Writes RUN_DIR/NAME.safetensors atomically (temp file, fsync, rename): a crash mid-write
 * leaves the previous checkpoint intact. Weights keep their PyTorch names under `model.`,
 * so the file also loads in Python with `safetensors.torch.load_file`.
 */
export function saveCheckpoint(dir: string, name: string, c: CheckpointContent): string {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of c.weights) tensors.set(`model.${k}`, t);
  const state = packState(c.state, 'state', tensors);
  const bytes = saveSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(c.config),
    state: JSON.stringify(state),
  });
  const path = join(dir, `${name}.safetensors`);
  writeFileAtomic(path, bytes);
  return path;
}

export function checkpointPath(dir: string, name: string): string {
  return join(dir, `${name}.safetensors`);
}

export function hasCheckpoint(dir: string, name: string): boolean {
  return existsSync(checkpointPath(dir, name));
}

function checkFormat(path: string, metadata: Record<string, string>): void {
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new RecurError(`${path}: not a recur checkpoint (format '${metadata.format ?? 'missing'}', expected '${CHECKPOINT_FORMAT}')`);
  }
}

/** The config of a checkpoint, read from its header alone (no weights), e.g. to learn the task. */
export function readCheckpointConfig(dir: string, name: string): unknown {
  const path = checkpointPath(dir, name);
  if (!existsSync(path)) throw new RecurError(`no checkpoint '${name}' in ${dir} (expected ${path})`);
  const metadata = readSafetensorsMetadata(path);
  checkFormat(path, metadata);
  if (metadata.config === undefined) throw new RecurError(`${path}: checkpoint has no config`);
  try {
    return JSON.parse(metadata.config);
  } catch {
    throw new RecurError(`${path}: checkpoint config is not valid JSON`);
  }
}

export function loadCheckpoint(dir: string, name: string): CheckpointContent {
  const path = checkpointPath(dir, name);
  if (!existsSync(path)) throw new RecurError(`no checkpoint '${name}' in ${dir} (expected ${path})`);
  const { tensors, metadata } = readSafetensorsFile(path, { maxTensors: MAX_CHECKPOINT_TENSORS });
  checkFormat(path, metadata);
  let config: unknown, state: unknown;
  try {
    config = JSON.parse(metadata.config ?? 'null');
    state = JSON.parse(metadata.state ?? 'null');
  } catch {
    throw new RecurError(`${path}: checkpoint metadata (config or state) is not valid JSON`);
  }
  const weights: StateDict = new Map();
  for (const [k, t] of tensors) if (k.startsWith('model.')) weights.set(k.slice(6), t);
  checkFiniteWeights(weights, path);
  return { config, weights, state: unpackState(state, tensors, path) };
}
