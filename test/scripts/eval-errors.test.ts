/**
 * The eval scripts (scripts/eval/*.ts) answer a bad option or a missing corpus with one line, as
 * the CLI does, not a stack trace (scripts/eval/errors.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { backendIndependent } from '../helpers/backend-independent.js';

function evalScript(name: string, ...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `scripts/eval/${name}.ts`, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

test('eval scripts: a missing corpus or a bad option gives one line and exit 1', backendIndependent, () => {
  const cases: [string, string[], RegExp][] = [
    ['music', ['--data', '/nonexistent-midi', '--minutes', '0.01'], /^eval: MIDI data not found: '\/nonexistent-midi'/],
    ['lm', ['--seed', '-1'], /^eval: --seed must be a non-negative integer, got -1$/],
    ['lm', ['--batch', '0'], /^eval: --batch and --bptt must be whole numbers/],
    ['translate', ['--seed', '1.5'], /^eval: --seed must be a non-negative integer, got 1.5$/],
    ['lm-speed', ['--rounds', '0'], /^eval: --rounds must be a whole number >= 1, got 0$/],
    ['lm-speed', ['--window-s', 'x'], /^eval: --window-s must be a number of seconds > 0, got NaN$/],
  ];
  for (const [name, args, want] of cases) {
    const r = evalScript(name, ...args);
    const what = `${name} ${args.join(' ')}`;
    assert.equal(r.status, 1, `${what}: exit 1 (stderr: ${r.stderr})`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${what}: one line, got:\n${r.stderr}`);
    assert.match(lines[0]!, want, what);
  }
});
