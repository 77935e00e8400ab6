import { closeSync, openSync, readSync } from 'node:fs';
import { RecurError } from '../errors.js';

/**
 * The metadata of a safetensors file without reading its tensors: enough to learn which task
 * a run belongs to before loading megabytes of weights.
 */
export function readSafetensorsHeader(path: string): Record<string, string> {
  const fd = openSync(path, 'r');
  try {
    const len = Buffer.alloc(8);
    if (readSync(fd, len, 0, 8, 0) !== 8) throw new RecurError(`${path}: file is too short to be safetensors`);
    const n = Number(len.readBigUInt64LE(0));
    if (n > 100_000_000) throw new RecurError(`${path}: header length ${n} is too large`);
    const buf = Buffer.alloc(n);
    if (readSync(fd, buf, 0, n, 8) !== n) throw new RecurError(`${path}: header is truncated`);
    const header = JSON.parse(buf.toString('utf8')) as { __metadata__?: Record<string, string> };
    return header.__metadata__ ?? {};
  } catch (e) {
    if (e instanceof RecurError) throw e;
    throw new RecurError(`${path}: unreadable safetensors header`);
  } finally {
    closeSync(fd);
  }
}
