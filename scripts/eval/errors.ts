/**
 * Imported first by every eval script: a RecurError (bad option, missing corpus or package) that
 * reaches the top prints its one line, as the CLI does (src/cli/main.ts), and exits with 1.
 * Anything else is a bug and keeps its stack trace.
 */
import { RecurError } from '../../src/errors.js';

process.on('uncaughtException', (e) => {
  if (e instanceof RecurError) {
    process.stderr.write(`eval: ${e.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
