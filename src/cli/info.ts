import type { Command } from 'commander';
import { availableBackends, backendName } from '../kernels/index.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the active compute backend and the environment')
    .action(() => {
      console.log(`recur 0.1.0`);
      console.log(`backend: ${backendName()} (available: ${availableBackends().join(', ')})`);
      console.log(`node: ${process.version}, platform: ${process.platform}-${process.arch}`);
    });
}
