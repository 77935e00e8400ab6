import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

/** Runs the recur CLI from source in a child process, as a user would, and returns its output. */
export function recur(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}
