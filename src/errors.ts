/** Every error recur raises on bad input: the CLI prints its message as one line, no stack. */
export class RecurError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecurError';
  }
}
