import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { RecurError } from '../errors.js';
import { startWebServer } from '../web/server.js';
import { intArg } from './args.js';

/** The app bundle: dist/web-app beside the compiled CLI, or the repository's when run from source. */
function appDir(): string {
  const candidates = [new URL('../web-app/', import.meta.url), new URL('../../dist/web-app/', import.meta.url)].map((u) => fileURLToPath(u));
  const hit = candidates.find((d) => existsSync(`${d}index.html`));
  if (!hit) throw new RecurError(`the web app is not built (looked in ${candidates.join(', ')}): run \`npm run build\``);
  return hit;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the web app (generate, train in the browser) with these runs, read-only, on localhost')
    .argument('[run-dir...]', 'run directories to offer in the app')
    .option('--port <n>', 'port (0 = any free one)', intArg('port', 0), 8080)
    .option('--host <addr>', 'address to bind (default localhost only)', '127.0.0.1')
    .action(async (runs: string[], o: { port: number; host: string }) => {
      const s = await startWebServer({ appDir: appDir(), runs, host: o.host, port: o.port });
      console.log(`recur web app on ${s.url} (${s.runs.length} run${s.runs.length === 1 ? '' : 's'}: ${s.runs.map((r) => `${r.name} [${r.task}]`).join(', ') || 'none'}); Ctrl-C stops it`);
      await new Promise<void>((resolve) => {
        const stop = (): void => { void s.close().then(resolve); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
