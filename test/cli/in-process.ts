import { format } from 'node:util';
import { main } from '../../src/cli/main.js';

/**
 * Runs the recur CLI inside this process (no start-up cost) and returns its exit code, what it
 * printed with console.log and what it wrote to stderr. process.stdout itself is left alone:
 * the test runner reports through it. For commands that print with process.stdout.write
 * (generate), or that must end the process (signals, kills), use `recur()` of run-cli.ts.
 */
export async function recurHere(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const log = console.log, write = process.stderr.write;
  console.log = (...a: unknown[]): void => { stdout += format(...a) + '\n'; };
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    return { status: await main(['node', 'recur', ...args]), stdout, stderr };
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
}
