/** Ctrl-C stops training after the current step and saves a checkpoint; a second one exits. */
export function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: saving a checkpoint (Ctrl-C again to quit now)\n');
    ac.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  return ac.signal;
}
