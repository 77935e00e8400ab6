/** Exit codes of a stop by signal (128 + signal number), so scripts can tell it from completion. */
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof EXIT_CODES;

let received: StopSignal | null = null;
let current: AbortController | null = null;

/**
 * Ctrl-C (SIGINT), SIGTERM (`kill`, `timeout`, a container stop) and SIGHUP (a closed
 * terminal) stop training after the current step and save a checkpoint; a second signal exits
 * at once. The process then exits with `stopExitCode()`. Each call returns the signal for one
 * training run; the handlers are installed once.
 */
export function stopSignal(): AbortSignal {
  if (!current) {
    for (const name of Object.keys(EXIT_CODES) as StopSignal[]) {
      process.on(name, () => {
        if (received) process.exit(EXIT_CODES[name]);
        received = name;
        // Also when the command has already returned its code.
        process.exitCode = EXIT_CODES[name];
        if (name === 'SIGHUP') {
          // The terminal is gone: writes to it fail, and must not stop the checkpoint from being saved.
          process.stdout.on('error', () => {});
          process.stderr.on('error', () => {});
        }
        process.stderr.write(`\n${name === 'SIGINT' ? 'interrupted' : `${name} received`}: saving a checkpoint (${name === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to quit now)\n`);
        current?.abort();
      });
    }
  }
  current = new AbortController();
  if (received) current.abort();
  return current.signal;
}

/** 130, 143 or 129 after a stop by SIGINT, SIGTERM or SIGHUP; 0 otherwise. */
export function stopExitCode(): number {
  return received ? EXIT_CODES[received] : 0;
}
