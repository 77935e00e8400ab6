/**
 * File helpers for Node.js (they import `node:fs`; browser code uses `./safetensors.js`).
 *
 * All functions are synchronous: a checkpoint write must be finished (and durable) before the
 * caller goes on, and synchronous calls make the atomic-replace sequence easy to reason about.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RecurError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  DEFAULT_MAX_HEADER_BYTES, parseSafetensors, parseSafetensorsMetadata, saveSafetensors, type SafetensorsContents, type SafetensorsLoadOptions,
} from './safetensors.js';

/** Reads a whole file, with errors that name it: `file not found: PATH`, `PATH: permission denied`. */
export function readFileBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new RecurError(describeFsError(file, e, 'cannot read'));
  }
}

/**
 * Reads a safetensors file: tensors (float32, see `parseSafetensors` for dtype conversion) and
 * `__metadata__`. Every error is a RecurError naming the file: `file not found: PATH`, or
 * `PATH: <reason>` (e.g. `PATH: tensor 'w': unknown dtype 'F8' ...`).
 */
export function readSafetensorsFile(file: string, opts: Omit<SafetensorsLoadOptions, 'source'> = {}): SafetensorsContents {
  const bytes = readFileBytes(file);
  return parseSafetensors(bytes, { ...opts, source: file });
}

/**
 * Reads only the `__metadata__` of a safetensors file (its first 8 + N bytes, not its tensors),
 * checked as {@link readSafetensorsFile} checks the header; errors name the file.
 */
export function readSafetensorsMetadata(file: string, opts: Omit<SafetensorsLoadOptions, 'source'> = {}): Record<string, string> {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const len = Buffer.alloc(Math.min(8, size));
    fs.readSync(fd, len, 0, len.length, 0);
    const declared = len.length === 8 ? len.readBigUInt64LE(0) : -1n;
    const cap = BigInt(Math.floor(Math.min(opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, Number.MAX_SAFE_INTEGER)));
    let head: Uint8Array = len; // too short or a bad length: the parser reports it from these 8 bytes
    if (declared >= 0n && declared <= cap && declared <= BigInt(size - 8)) {
      head = Buffer.alloc(8 + Number(declared));
      fs.readSync(fd, head, 0, head.length, 0);
    }
    return parseSafetensorsMetadata(head, size, { ...opts, source: file });
  } catch (e) {
    if (e instanceof RecurError) throw e;
    throw new RecurError(describeFsError(file, e, 'cannot read'));
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Like {@link readSafetensorsFile} but returns only the tensors (a state dict). */
export function loadSafetensorsFile(file: string, opts: Omit<SafetensorsLoadOptions, 'source'> = {}): Map<string, Tensor> {
  return readSafetensorsFile(file, opts).tensors;
}

/** Writes tensors (+ string metadata) as an F32 safetensors file, atomically (see {@link writeFileAtomic}). */
export function saveSafetensorsFile(
  file: string,
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(file, saveSafetensors(tensors, metadata));
}

let counter = 0;

/**
 * Replaces `file` with `data` atomically: writes a temporary file in the same directory
 * (`.<name>.<pid>.<n>.tmp`), fsyncs it, renames it over the target and fsyncs the directory.
 * Readers see either the old content or the new, never a partial file; after a crash at any
 * point the target is intact (a stray temp file may remain after a crash, never after an error).
 * A symlink target is followed (the file it points to is replaced). An existing target keeps
 * its permission bits; a new one gets 0o666 minus the umask. Strings are written as UTF-8.
 * Throws RecurError naming the file; on error the temp file is removed and the target untouched.
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  if (typeof file !== 'string' || file === '') throw new RecurError(`writeFileAtomic: expected a file path, got ${String(file)}`);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  if (!(bytes instanceof Uint8Array)) throw new RecurError(`${file}: writeFileAtomic expects a Uint8Array or string`);

  let target = path.resolve(file);
  let mode: number | undefined;
  try {
    target = fs.realpathSync(target); // follow symlinks so the link itself survives
  } catch {
    // target does not exist yet (or a dangling link): write to the path as given
  }
  try {
    const st = fs.statSync(target);
    if (st.isDirectory()) throw new RecurError(`${file}: is a directory`);
    mode = st.mode & 0o7777;
  } catch (e) {
    if (e instanceof RecurError) throw e;
  }
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${++counter}.tmp`);

  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', mode ?? 0o666);
    if (mode !== undefined) fs.fchmodSync(fd, mode); // openSync's mode is masked by the umask
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw new RecurError(describeFsError(file, e, 'cannot write'));
  }
  syncDir(dir);
}

/** fsync a directory so a rename in it is durable. Not possible on every platform (Windows): best effort. */
function syncDir(dir: string): void {
  let dfd: number | undefined;
  try {
    dfd = fs.openSync(dir, 'r');
    fs.fsyncSync(dfd);
  } catch {
    // EISDIR/EPERM/EINVAL on platforms without directory fsync
  } finally {
    if (dfd !== undefined) {
      try {
        fs.closeSync(dfd);
      } catch {
        // ignore
      }
    }
  }
}

function describeFsError(file: string, e: unknown, action: string): string {
  const code = (e as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return action === 'cannot read' ? `file not found: ${file}` : `${file}: ${action}: directory does not exist`;
    case 'EISDIR':
      return `${file}: is a directory`;
    case 'ENOTDIR':
      return `${file}: ${action}: a parent path is not a directory`;
    case 'EACCES':
    case 'EPERM':
      return `${file}: ${action}: permission denied`;
    case 'ENOSPC':
      return `${file}: ${action}: no space left on device`;
    case 'EROFS':
      return `${file}: ${action}: read-only file system`;
    default: {
      const msg = e instanceof Error ? e.message : String(e);
      return `${file}: ${action}: ${msg}`;
    }
  }
}
