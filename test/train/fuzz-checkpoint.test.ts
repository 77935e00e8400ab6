/**
 * Runs the checkpoint fuzzer (test/train/fuzz-worker.ts) in a child process and watches it:
 * a load that has not finished within the time bound is a hang (a runaway loop may never
 * yield to a timer in its own process), so the child is killed and the case reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const HANG_MS = 20_000;

test('fuzzed checkpoints of every task load, resume or fail with a RecurError; none hangs', { timeout: 300_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/train/fuzz-worker.ts', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let last = 'starting', lastAt = Date.now(), stderr = '';
  const done: Record<string, number> = {};
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lastAt = Date.now();
    const msg = JSON.parse(line) as { case?: string; done?: Record<string, number> };
    if (msg.done) Object.assign(done, msg.done);
    else last = line;
  });
  let hung = false;
  const watchdog = setInterval(() => {
    if (Date.now() - lastAt > HANG_MS) {
      hung = true;
      child.kill('SIGKILL');
    }
  }, 500);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(watchdog);
  assert.ok(!hung, `a load hung for ${HANG_MS / 1000} s: ${last}`);
  assert.equal(code, 0, `fuzzer failed after ${last}\n${stderr.slice(-4000)}`);
  assert.equal(Object.keys(done).length, 8, 'the fuzzer reported its runs');
  for (const [target, runs] of Object.entries(done)) assert.ok(runs >= 10, `too few fuzz runs for ${target}: ${runs}`);
});
