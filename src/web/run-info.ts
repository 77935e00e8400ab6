import { closeSync, openSync, readSync } from 'node:fs';
import { RecurError } from '../errors.js';

/** Largest safetensors header read to learn a checkpoint's task (the header holds the config). */
const MAX_HEADER = 64 << 20;

/** The task named in a recur checkpoint's header, read without loading its tensors. */
export function readSafetensorsHeader(path: string): { task: string } {
  const fd = openSync(path, 'r');
  try {
    const len = Buffer.alloc(8);
    if (readSync(fd, len, 0, 8, 0) !== 8) throw new RecurError(`${path}: truncated safetensors file (no header length)`);
    const n = Number(len.readBigUInt64LE(0));
    if (n <= 0 || n > MAX_HEADER) throw new RecurError(`${path}: safetensors header length ${n} is out of range`);
    const buf = Buffer.alloc(n);
    if (readSync(fd, buf, 0, n, 8) !== n) throw new RecurError(`${path}: truncated safetensors header`);
    let header: unknown;
    try {
      header = JSON.parse(buf.toString('utf8'));
    } catch {
      throw new RecurError(`${path}: safetensors header is not JSON`);
    }
    const meta = (header as { __metadata__?: { config?: unknown } }).__metadata__;
    let task: unknown;
    try {
      task = typeof meta?.config === 'string' ? (JSON.parse(meta.config) as { task?: unknown }).task : undefined;
    } catch {
      task = undefined;
    }
    if (typeof task !== 'string') throw new RecurError(`${path}: not a recur checkpoint (no task in its config)`);
    return { task };
  } finally {
    closeSync(fd);
  }
}
