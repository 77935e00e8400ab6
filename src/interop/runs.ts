import { RecurError } from '../errors.js';
import { checkpointPath, hasCheckpoint, loadCheckpoint } from '../train/checkpoint.js';
import { loadClassifierRun } from '../tasks/classify/run.js';
import { loadLmRun } from '../tasks/lm/run.js';
import { loadTaggerRun } from '../tasks/tag/run.js';
import { loadTranslateRun } from '../tasks/translate/run.js';
import type { LanguageModel } from '../tasks/lm/model.js';
import type { SequenceClassifier } from '../tasks/classify/model.js';
import type { SequenceTagger } from '../tasks/tag/model.js';
import type { Seq2Seq } from '../tasks/translate/model.js';
import type { ClassifyRunConfig } from '../tasks/classify/run.js';
import type { LmRunConfig } from '../tasks/lm/run.js';
import type { TagRunConfig } from '../tasks/tag/run.js';
import type { TranslateRunConfig } from '../tasks/translate/run.js';

/** A finished run of any task, loaded through its task's own `loadXRun` (train/run.ts's loadRun). */
export type AnyRun =
  | { task: 'lm'; model: LanguageModel; config: LmRunConfig }
  | { task: 'classify'; model: SequenceClassifier; config: ClassifyRunConfig }
  | { task: 'tag'; model: SequenceTagger; config: TagRunConfig }
  | { task: 'translate'; model: Seq2Seq; config: TranslateRunConfig };

export const INTEROP_TASKS = ['lm', 'classify', 'tag', 'translate'] as const;

/** Which task a run directory holds, from its checkpoint's config. */
export function runTask(dir: string): string {
  const name = hasCheckpoint(dir, 'best') ? 'best' : 'last';
  if (!hasCheckpoint(dir, name)) throw new RecurError(`${dir} is not a recur run (no best.safetensors or last.safetensors)`);
  const task = (loadCheckpoint(dir, name).config as { task?: unknown } | null)?.task;
  if (typeof task !== 'string') throw new RecurError(`${checkpointPath(dir, name)}: the checkpoint does not say which task it is`);
  return task;
}

export function loadAnyRun(dir: string): AnyRun {
  const task = runTask(dir);
  switch (task) {
    case 'lm': return { task, ...loadLmRun(dir) };
    case 'classify': return { task, ...loadClassifierRun(dir) };
    case 'tag': return { task, ...loadTaggerRun(dir) };
    case 'translate': return { task, ...loadTranslateRun(dir) };
    default: throw new RecurError(`${dir}: a '${task}' run; export and import cover ${INTEROP_TASKS.join(', ')}`);
  }
}
