/**
 * What every task's browser.ts does with checkpoint bytes (no file system): parse, refuse a run
 * of another task, check the config against the weights with the task's own run check, build
 * the model, load the weights, switch to eval mode.
 */
import { RecurError } from '../errors.js';
import { parseCheckpoint } from '../io/checkpoint.js';
import type { Module, StateDict } from '../nn/module.js';

export function modelFromCheckpoint<C, M extends Module>(bytes: Uint8Array | ArrayBuffer, name: string, kind: { task: string; noun: string },
  check: (ck: { config: unknown; weights: StateDict }, name: string) => C, build: (config: C) => M): { model: M; config: C } {
  const ck = parseCheckpoint(bytes, name);
  if (ck.config.task !== kind.task) throw new RecurError(`${name} is a '${ck.config.task}' run, not a ${kind.noun} run`);
  const config = check(ck, name);
  const model = build(config);
  model.loadStateDict(ck.weights);
  model.eval();
  return { model, config };
}
