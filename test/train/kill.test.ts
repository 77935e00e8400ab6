import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { Rng } from '../../src/tensor/rng.js';
import { backendIndependent } from '../helpers/backend-independent.js';

// The run directory logic does not depend on the kernels: one backend's pass is enough.
const { skip } = backendIndependent;

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

// Long enough that ten kills land before the end on the fastest backend (native runs this
// model several times faster than wasm; 400 steps ended after 2-4 kills there).
const STEPS = 2000;

function trainArgs(corpus: string, out: string): string[] {
  return ['train', 'lm', '--corpus', corpus, '--hidden', '8', '--embed', '4', '--layers', '1', '--batch', '4', '--bptt', '8',
    '--dropout', '0.2', '--steps', String(STEPS), '--eval-every', '250', '--save-every', '0.001', '--seed', '5', '--out', out];
}

/** The highest step logged in metrics.jsonl (0 when there is none yet). */
function loggedStep(dir: string): number {
  let text: string;
  try {
    text = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  } catch (e) {
    // Not written yet, or removed by the --overwrite of the run being started.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  let step = 0;
  for (const line of text.split('\n')) {
    try {
      step = Math.max(step, (JSON.parse(line) as { step: number }).step);
    } catch {
      // torn last line
    }
  }
  return step;
}

/** Whether the run in `dir` has saved its last step. */
function finished(dir: string): boolean {
  return existsSync(join(dir, 'last.safetensors')) && (loadCheckpoint(dir, 'last').state as { step: number }).step === STEPS;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts training, waits until it has logged a step past `after`, waits `delayMs` more, sends `signal`; resolves with the exit code and signal. */
async function killDuring(args: string[], dir: string, after: number, delayMs: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, sig) => r({ code, signal: sig })));
  let done = false;
  void exited.then(() => (done = true));
  while (!done && loggedStep(dir) <= after) await sleep(10);
  if (done) return { ...(await exited), killed: false };
  await sleep(delayMs);
  const killed = !done && child.kill(signal);
  const r = await exited;
  if (r.code !== null && r.code !== 0 && r.code !== 143) assert.fail(`training exited with ${r.code}: ${stderr}`);
  return { ...r, killed };
}

test('killed 10 times by SIGKILL or SIGTERM and resumed each time, training ends with the weights of an uninterrupted run', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-kill-'));
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, 'It was the best of times, it was the worst of times, it was the age of wisdom. '.repeat(30));
  const straight = join(dir, 'straight'), killed = join(dir, 'killed');
  const s = spawnSync(process.execPath, [...CLI, ...trainArgs(corpus, straight)], { encoding: 'utf8' });
  assert.equal(s.status, 0, s.stderr);

  const rng = new Rng(2026);
  let kills = 0;
  for (let round = 0; round < 10; round++) {
    const signal: NodeJS.Signals = rng.random() < 0.5 ? 'SIGKILL' : 'SIGTERM';
    // Killed before its first save, a run has nothing to resume: it starts again, as a user would.
    const saved = existsSync(join(killed, 'last.safetensors')) || existsSync(join(killed, 'best.safetensors'));
    const args = [...trainArgs(corpus, killed), ...(saved ? ['--resume'] : existsSync(killed) ? ['--overwrite'] : [])];
    const r = await killDuring(args, killed, loggedStep(killed), 5 + Math.floor(rng.random() * 60), signal);
    // The signal may land as the run ends (native runs this model fast): it then completed, and
    // a SIGTERM during the process's own exit is taken by the default action.
    if (!r.killed || r.code === 0 || finished(killed)) break;
    kills++;
    if (signal === 'SIGTERM') {
      assert.equal(r.code, 143, 'SIGTERM saves, then exits 143');
      assert.ok(existsSync(join(killed, 'last.safetensors')));
    } else assert.equal(r.signal, 'SIGKILL');
  }
  t.diagnostic(`${kills} kills landed`);
  assert.ok(kills >= 5, `only ${kills} kills landed before training ended`);
  const f = spawnSync(process.execPath, [...CLI, ...trainArgs(corpus, killed), '--resume'], { encoding: 'utf8' });
  assert.equal(f.status, 0, f.stderr);

  const a = loadCheckpoint(straight, 'last'), b = loadCheckpoint(killed, 'last');
  assert.equal((b.state as { step: number }).step, STEPS);
  for (const [name, t] of a.weights) {
    const u = b.weights.get(name)!;
    assert.ok(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)
      .equals(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength)), `${name} differs after ${kills} kills`);
  }
  assert.deepEqual(readdirSync(killed).filter((n) => n.endsWith('.tmp')), [], 'no temp files remain');
  const trainSteps = readFileSync(join(killed, 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l) as { type: string; step: number }).filter((r) => r.type === 'train').map((r) => r.step);
  assert.deepEqual(trainSteps, Array.from({ length: STEPS / 10 }, (_, i) => (i + 1) * 10), 'metrics.jsonl has each step once');
});
