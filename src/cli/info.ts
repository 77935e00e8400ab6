import type { Command } from 'commander';
import { availableBackends, backendName, backendReason, loadNative } from '../kernels/index.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the active compute backend and the environment')
    .action(() => {
      console.log(`recur 0.1.0`);
      console.log(`backend: ${backendName()} (available: ${availableBackends().join(', ')})`);
      console.log(`why: ${backendReason()}`);
      const native = availableBackends().includes('native') ? loadNative() : null;
      if (native) {
        const n = native.info();
        const timeout = n.blasThreadTimeout ? `, OPENBLAS_THREAD_TIMEOUT=${n.blasThreadTimeout}` : '';
        console.log(`native: ${n.blasConfig.split(' ').slice(0, 2).join(' ')} (${n.blasCore} kernels, ${n.threads} threads${timeout}), C kernels ${n.variant}`);
      }
      console.log(`node: ${process.version}, platform: ${process.platform}-${process.arch}`);
    });
}
