import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CorpusError } from './corpus-error.js';

/** How much of a file is checked for binary data before it is accepted as text. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * Offset of the first NUL byte or invalid UTF-8 sequence in `bytes`, or -1. When
 * `truncated`, a multi-byte character cut off by the end of `bytes` is not an error
 * (the sniffed window may end inside one).
 */
export function firstBinaryByte(bytes: Uint8Array, truncated = false): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    if (c === 0) return i;
    if (c < 0x80) {
      i++;
      continue;
    }
    // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return truncated ? -1 : i;
      const d = bytes[i + k]!;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Reads a UTF-8 text file with the checks a corpus needs: it exists, is not binary in
 * its first 64 KB, and has some non-whitespace text. A BOM is dropped and CRLF becomes LF.
 */
export function readTextFile(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if (isNotFound(e)) throw new CorpusError(`corpus file not found: ${path}`, path);
    throw new CorpusError(`cannot read corpus file: ${path} (${(e as Error).message})`, path);
  }
  const window = bytes.subarray(0, SNIFF_BYTES);
  const bad = firstBinaryByte(window, bytes.length > SNIFF_BYTES);
  if (bad >= 0) throw new CorpusError(`not a text file: ${path} (binary data at byte ${bad})`, path);
  const text = normalize(new TextDecoder('utf-8').decode(bytes));
  if (text.trim() === '') throw new CorpusError(`corpus is empty: ${path}`, path);
  return text;
}

/** Every `.txt` file directly in `dir`, sorted by name (code-unit order, not locale), joined by newlines. */
export function readTextFolder(dir: string): string {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && d.name.toLowerCase().endsWith('.txt'))
    .map((d) => d.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (const name of names) {
    try {
      parts.push(readTextFile(join(dir, name)));
    } catch (e) {
      // An empty file in a folder is harmless; only an empty folder is an error.
      if (e instanceof CorpusError && e.message.startsWith('corpus is empty:')) continue;
      throw e;
    }
  }
  if (parts.length === 0) {
    throw new CorpusError(`corpus is empty: ${dir} (no non-empty .txt files in the folder)`, dir);
  }
  return parts.join('\n');
}

/** A file or a folder of .txt files. */
export function readTextPath(path: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    if (isNotFound(e)) throw new CorpusError(`corpus file not found: ${path}`, path);
    throw e;
  }
  return isDir ? readTextFolder(path) : readTextFile(path);
}

function normalize(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.includes('\r') ? noBom.replace(/\r\n?/g, '\n') : noBom;
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
