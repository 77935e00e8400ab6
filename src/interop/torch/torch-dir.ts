import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecurError } from '../../errors.js';
import { readSafetensorsFile } from '../../io/files.js';
import { saveSafetensors } from '../../io/safetensors.js';
import type { StateDict } from '../../nn/module.js';
import { saveCheckpoint } from '../../train/checkpoint.js';
import { loadAfinn } from '../../tasks/classify/lexicon.js';
import { INTEROP_TASKS, loadAnyRun, type AnyRun } from '../runs.js';
import { writeRunData } from './run-data.js';

/** The Python sources written beside the weights (python/recur_torch in the package). */
const PYTHON_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'python', 'recur_torch');
export const TORCH_EXPORT_FORMAT = 'recur-torch-export-1';

/** What an exported folder holds. */
export const TORCH_FILES = { config: 'config.json', weights: 'weights.safetensors', model: 'model.py', train: 'train_ddp.py' } as const;
/** A classifier's lexicon (word -> valence, negators), beside the weights when the model uses one. */
export const LEXICON_FILE = 'lexicon.json';

/** The run's config as the Python side reads it: a tagger's CRF constraints are added (Python does not rebuild them). */
function pythonConfig(run: AnyRun): Record<string, unknown> {
  const config: Record<string, unknown> = { ...(run.config as unknown as Record<string, unknown>) };
  if (run.task === 'tag' && run.model.crf?.constraints) config.crfAllowed = run.model.crf.constraints;
  return config;
}

/**
 * `recur export torch RUN --out DIR`: the run's model as a plain PyTorch module (model.py, with
 * recur's module and parameter names), its weights (weights.safetensors), its config
 * (config.json) and a torchrun/DDP training script (train_ddp.py) that saves checkpoints in the
 * same names. A classifier with a lexicon feature also gets lexicon.json; `withData` adds the
 * run's training and validation data under DIR/data (run-data.ts).
 */
export function exportTorch(runDir: string, out: string, options: { withData?: boolean } = {}): { task: string; files: string[] } {
  const run = loadAnyRun(runDir);
  ensureEmptyDir(out);
  const files: string[] = Object.values(TORCH_FILES);
  writeFileSync(join(out, TORCH_FILES.config), `${JSON.stringify(pythonConfig(run), null, 1)}\n`);
  writeFileSync(join(out, TORCH_FILES.weights), saveSafetensors(run.model.stateDict(), { format: TORCH_EXPORT_FORMAT, task: run.task }));
  for (const f of [TORCH_FILES.model, TORCH_FILES.train]) copyFileSync(join(PYTHON_DIR, f), join(out, f));
  if (run.task === 'classify' && (run.config.model.lexicon ?? 'none') !== 'none') {
    const lex = loadAfinn();
    writeFileSync(join(out, LEXICON_FILE), `${JSON.stringify({ name: run.config.model.lexicon, valence: Object.fromEntries(lex.valence), negators: [...lex.negators] })}\n`);
    files.push(LEXICON_FILE);
  }
  if (options.withData) files.push(...writeRunData(run, out));
  return { task: run.task, files };
}

/**
 * `recur import torch DIR --out RUN`: a PyTorch checkpoint in recur's names (DIR/config.json
 * plus `weights`, default the newest of train_ddp.py's checkpoint.safetensors and
 * weights.safetensors) as a recur run directory holding best.safetensors. The run is built in a
 * temp folder, loaded back through its task's loader (which checks every name and shape), and
 * only then moved to RUN.
 */
export function importTorch(dir: string, out: string, weights?: string): { task: string; weights: string } {
  const configPath = join(dir, TORCH_FILES.config);
  if (!existsSync(configPath)) throw new RecurError(`${dir}: no ${TORCH_FILES.config} (the folder \`recur export torch\` wrote)`);
  let config: { task?: unknown; crfAllowed?: unknown } & Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as typeof config;
  } catch {
    throw new RecurError(`${configPath}: not valid JSON`);
  }
  if (typeof config.task !== 'string' || !(INTEROP_TASKS as readonly string[]).includes(config.task)) {
    throw new RecurError(`${configPath}: task ${JSON.stringify(config.task)} is not one of ${INTEROP_TASKS.join(', ')}`);
  }
  const wPath = weights ?? (existsSync(join(dir, 'checkpoint.safetensors')) ? join(dir, 'checkpoint.safetensors') : join(dir, TORCH_FILES.weights));
  const { tensors } = readSafetensorsFile(wPath);
  const sd: StateDict = new Map();
  for (const [k, t] of tensors) {
    if (!t.data.every(Number.isFinite)) throw new RecurError(`${wPath}: tensor ${k} holds a NaN or infinite value`);
    sd.set(k.startsWith('module.') ? k.slice(7) : k, t);
  }
  const { crfAllowed: _, ...runConfig } = config;
  ensureEmptyDir(out);
  const tmp = `${out.replace(/\/+$/, '')}.import-tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    saveCheckpoint(tmp, 'best', { config: runConfig, weights: sd, state: null });
    loadAnyRun(tmp);
    rmSync(out, { recursive: true, force: true });
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { task: config.task, weights: wPath };
}

function ensureEmptyDir(dir: string): void {
  if (!dir) throw new RecurError('--out must name a folder');
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new RecurError(`${dir} is not empty; give a new folder to --out`);
  mkdirSync(dir, { recursive: true });
}
