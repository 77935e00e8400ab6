/**
 * The rules of a run directory (`--out`), so that nothing a user trained is lost without being
 * asked: a directory holding a run is only continued (`--resume`) or replaced (`--overwrite`);
 * a path that cannot hold a run is refused with one line before any work starts; temp files
 * left by a killed run are removed when the next one starts.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RecurError } from '../errors.js';
import { readSafetensorsMetadata } from '../io/files.js';

/** What a run directory's checkpoint says about itself, from its header alone. */
export interface RunSummary {
  checkpoint: 'last' | 'best';
  task: string;
  step: number;
  /** The training options the run was started (or last resumed) with. */
  train: Record<string, unknown>;
}

/** The summary of the run in `dir` (its `last` checkpoint, else `best`), or null when it has none or it cannot be read. */
export function runSummary(dir: string): RunSummary | null {
  for (const checkpoint of ['last', 'best'] as const) {
    const path = join(dir, `${checkpoint}.safetensors`);
    if (!existsSync(path)) continue;
    try {
      const meta = readSafetensorsMetadata(path);
      const config = JSON.parse(meta.config ?? 'null') as { task?: unknown; train?: unknown } | null;
      const state = JSON.parse(meta.state ?? 'null') as { step?: unknown } | null;
      return {
        checkpoint, task: typeof config?.task === 'string' ? config.task : 'unknown',
        step: typeof state?.step === 'number' ? state.step : NaN,
        train: config?.train !== null && typeof config?.train === 'object' ? config.train as Record<string, unknown> : {},
      };
    } catch {
      return { checkpoint, task: 'unknown', step: NaN, train: {} };
    }
  }
  return null;
}

function fsCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | null)?.code ?? String(e);
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'not permitted', EROFS: 'read-only file system', ENOENT: 'no such directory',
  ENOTDIR: 'a parent is not a directory', ENOSPC: 'no space left on the device', EEXIST: 'exists',
};

/**
 * Checks that `out` can be a run directory, without creating anything: not empty, and either an
 * existing directory or a path whose nearest existing parent is a directory (not a file, a
 * device or a dangling symbolic link). Returns the absolute path.
 */
export function checkOutPath(out: string): string {
  if (typeof out !== 'string' || out.trim() === '') throw new RecurError('--out is empty: give the run directory (e.g. --out runs/my-run)');
  const abs = resolve(out);
  let p = abs;
  for (;;) {
    let st;
    try {
      st = lstatSync(p);
    } catch (e) {
      if (fsCode(e) === 'ENOENT') {
        const parent = dirname(p);
        if (parent === p) break;
        p = parent;
        continue;
      }
      if (fsCode(e) === 'ENOTDIR') throw new RecurError(`--out ${out}: ${dirname(p)} is a file, not a directory`);
      throw new RecurError(`--out ${out}: cannot inspect ${p} (${REASONS[fsCode(e)] ?? fsCode(e)})`);
    }
    if (st.isSymbolicLink()) {
      try {
        st = statSync(p);
      } catch {
        throw new RecurError(`--out ${out}: ${p} is a symbolic link to a missing target`);
      }
    }
    if (!st.isDirectory()) {
      const what = st.isFile() ? 'a file' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a directory';
      throw new RecurError(p === abs ? `--out ${out} is ${what}, not a directory` : `--out ${out}: ${p} is ${what}, not a directory`);
    }
    break;
  }
  return abs;
}

/**
 * Creates the run directory (one level at a time: Node's recursive mkdir never returns on some
 * pseudo file systems such as /proc) and checks that a file can be written in it. Returns
 * whether it was created, so that a run that saves nothing can remove it again.
 */
export function createRunDir(out: string): boolean {
  const abs = checkOutPath(out);
  const missing: string[] = [];
  for (let p = abs; !existsSync(p); p = dirname(p)) missing.unshift(p);
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (e) {
      throw new RecurError(`--out ${out}: cannot create ${p} (${REASONS[fsCode(e)] ?? fsCode(e)})`);
    }
  }
  const probe = join(abs, `.write-test.${process.pid}.tmp`);
  try {
    writeFileSync(probe, 'recur');
    unlinkSync(probe);
  } catch (e) {
    if (missing.length > 0) rmSync(missing[0]!, { recursive: true, force: true });
    throw new RecurError(`--out ${out}: cannot write in ${abs} (${REASONS[fsCode(e)] ?? fsCode(e)})`);
  }
  return missing.length > 0;
}

/** Removes a run directory this process created when it holds nothing worth keeping (no checkpoint). */
export function removeIfNothingSaved(out: string): void {
  const abs = resolve(out);
  if (!existsSync(abs) || readdirSync(abs).some((f) => f.endsWith('.safetensors'))) return;
  rmSync(abs, { recursive: true, force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return fsCode(e) === 'EPERM';
  }
}

/**
 * Deletes the temp files (`.NAME.PID.N.tmp`, io/files.ts) that a killed process left in a run
 * directory; a live process's are kept. Returns how many were removed.
 */
export function cleanStaleTemps(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir)) {
    const m = /^\..+\.(\d+)\.\d+\.tmp$/.exec(f);
    if (!m || (Number(m[1]) !== process.pid && processAlive(Number(m[1])))) continue;
    rmSync(join(dir, f), { force: true });
    n++;
  }
  return n;
}

/** Files a run writes: replaced by `--overwrite`. */
const RUN_FILES = /^(last\.safetensors|best\.safetensors|metrics\.jsonl|report\.html|\..+\.\d+\.\d+\.tmp)$/;

/**
 * Before training into `out`: refuses a directory that holds a run or other files unless
 * `resume` (continue it) or `overwrite` (replace the run's files; other files stay) is set,
 * naming the task and step found. Resuming needs a checkpoint. Stale temp files are removed.
 */
export function claimRunDir(o: { out: string; resume: boolean; overwrite?: boolean }): RunSummary | null {
  const abs = checkOutPath(o.out);
  if (o.resume && o.overwrite) throw new RecurError('--resume and --overwrite contradict each other: continue the run, or replace it');
  if (!existsSync(abs)) {
    if (o.resume) throw new RecurError(`nothing to resume: ${o.out} does not exist`);
    return null;
  }
  cleanStaleTemps(abs);
  const run = runSummary(abs);
  if (o.resume) {
    if (!run) throw new RecurError(`nothing to resume: no last.safetensors in ${o.out}`);
    return run;
  }
  const entries = readdirSync(abs);
  if (entries.length === 0) return null;
  if (!o.overwrite) {
    const what = run
      ? `holds a run of task '${run.task}' at step ${Number.isNaN(run.step) ? '?' : run.step} (${run.checkpoint}.safetensors)`
      : `is not empty (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}: ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''})`;
    throw new RecurError(`--out ${o.out} ${what}: add --resume to continue it, --overwrite to replace it, or choose another directory`);
  }
  for (const f of entries) if (RUN_FILES.test(f)) rmSync(join(abs, f), { force: true });
  return null;
}
