import { RecurError } from '../errors.js';

/** A corpus could not be loaded; `path` is the file or folder as the user named it. */
export class CorpusError extends RecurError {
  readonly path: string;

  constructor(message: string, path: string) {
    super(message);
    this.name = 'CorpusError';
    this.path = path;
  }
}
