/**
 * safetensors reading and writing, browser-safe (no Node imports).
 *
 * Format (https://github.com/huggingface/safetensors): an 8-byte little-endian u64 `N`, then
 * `N` bytes of UTF-8 JSON header, then the data buffer. The header maps tensor names to
 * `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data buffer) plus an
 * optional `__metadata__` object of string → string.
 *
 * ## Reading
 * Every tensor comes back as a float32 {@link Tensor}, converted exactly as PyTorch's
 * `.float()` would convert it:
 *
 * | dtype | conversion |
 * |---|---|
 * | `F32` | bit-exact copy (NaN payloads and -0 kept) |
 * | `F16` | exact (every half is a float): subnormals, ±inf, NaN (payload shifted), -0 |
 * | `BF16` | exact: the 16 bits become the top half of a float32 |
 * | `F64` | round to nearest even float32; overflow → ±inf, underflow → subnormal/±0, -0 kept |
 * | `F8_E5M2`, `F8_E4M3` | exact (torch.float8_e5m2 / float8_e4m3fn) |
 * | `I64`, `I32`, `I16`, `I8`, `U64`, `U32`, `U16`, `U8` | the integer rounded once to the nearest float32 (exact up to 2^24 in magnitude) — for token ids, lengths, class indices |
 * | `BOOL` | 0 → 0, any other byte → 1 — for masks |
 *
 * Anything else (`F8`, `C64`, ...) is rejected with an error naming the tensor and dtype.
 *
 * The reader is strict, like the Rust `safetensors` crate that PyTorch uses: it throws a
 * {@link RecurError} naming the tensor for every malformed input — truncated file, header length
 * beyond the file or above `maxHeaderBytes` (default 100,000,000 as in the Rust crate), header not
 * UTF-8 / JSON / an object, missing or mistyped fields, unknown dtype, negative or non-integer
 * dims, byte range not equal to `numel × dtype size`, offsets outside the data buffer, overlapping
 * ranges, and **holes**: every byte of the data buffer must belong to exactly one tensor (trailing
 * bytes after the last tensor are rejected too). It never throws anything else, never reads out
 * of bounds and runs in time linear in the file size (plus a sort of the entries). Data may sit
 * at any alignment; it is always copied, so the returned tensors never alias `bytes`.
 *
 * ## Writing
 * {@link saveSafetensors} writes `F32` tensors in name order (code-point order = the UTF-8 byte
 * order the Rust crate sorts by), contiguous data offsets, `__metadata__` first with sorted keys,
 * and the header padded with spaces to a multiple of 8 bytes, so the data buffer is 8-aligned.
 * Output is deterministic: the same tensors and metadata always give the same bytes.
 */
import { RecurError } from '../errors.js';
import { allocStorage } from '../kernels/index.js';
import { Tensor } from '../tensor/tensor.js';

/** Default cap on the JSON header size, as in the Rust `safetensors` crate (MAX_HEADER_SIZE). */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsLoadOptions {
  /** Largest accepted header, in bytes (default {@link DEFAULT_MAX_HEADER_BYTES}). */
  maxHeaderBytes?: number;
  /** Largest accepted number of tensors (default unlimited; checkpoints pass a bound). */
  maxTensors?: number;
  /** Label that starts every error message (default `'safetensors'`; file helpers pass the path). */
  source?: string;
}

export interface SafetensorsContents {
  /** Tensors in header order (the order the writer used). */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` entries (empty when absent). */
  metadata: Record<string, string>;
}

/** dtype name → element size in bytes. */
const DTYPE_SIZE: Readonly<Record<string, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E5M2: 1, F8_E4M3: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};
const SUPPORTED = Object.keys(DTYPE_SIZE).join(', ');
/** Dtypes of the safetensors spec we know but cannot express as float32 tensors. */
const UNSUPPORTED = new Set(['C64', 'C128', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ']);

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Reads a safetensors file from memory: tensor name → float32 tensor (see module docs). */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer, opts: SafetensorsLoadOptions = {}): Map<string, Tensor> {
  return parseSafetensors(bytes, opts).tensors;
}

/**
 * Reads only the header of a safetensors file: `head` holds at least the first 8 + N bytes
 * (the length field and the JSON header) of a file of `fileSize` bytes. Returns the
 * `__metadata__` entries; the header is checked exactly as {@link parseSafetensors} checks it,
 * so a file that passes here may still fail there on its tensor entries.
 */
export function parseSafetensorsMetadata(head: Uint8Array, fileSize: number, opts: SafetensorsLoadOptions = {}): Record<string, string> {
  return readHeader(head, fileSize, opts).metadata;
}

/** Reads a safetensors file from memory: tensors and `__metadata__`. Throws RecurError on any malformed input. */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer, opts: SafetensorsLoadOptions = {}): SafetensorsContents {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  const { n, entries, metadata, fail, view } = readHeader(bytes, bytes instanceof Uint8Array ? bytes.length : 0, opts);
  const total = bytes.length;
  // ---- entries
  const dataStart = 8 + n;
  const dataLen = total - dataStart;
  const maxTensors = opts.maxTensors ?? Infinity;
  const count = Object.keys(entries).length - (Object.prototype.hasOwnProperty.call(entries, '__metadata__') ? 1 : 0);
  if (count > maxTensors) fail(`header lists ${count} tensors, more than the limit of ${maxTensors}`);
  interface Entry { name: string; dtype: string; shape: number[]; begin: number; end: number }
  const list: Entry[] = [];
  for (const [name, info] of Object.entries(entries)) {
    if (name === '__metadata__') continue;
    const where = `tensor '${clip(name)}'`;
    if (typeof info !== 'object' || info === null || Array.isArray(info)) {
      fail(`${where}: entry must be an object with dtype, shape and data_offsets, got ${describe(info)}`);
    }
    const o = info as Record<string, unknown>;
    for (const key of ['dtype', 'shape', 'data_offsets']) {
      if (!Object.prototype.hasOwnProperty.call(o, key)) fail(`${where}: entry is missing '${key}'`);
    }
    const dtype = o.dtype;
    if (typeof dtype !== 'string') fail(`${where}: 'dtype' must be a string, got ${describe(dtype)}`);
    const size = Object.prototype.hasOwnProperty.call(DTYPE_SIZE, dtype as string) ? DTYPE_SIZE[dtype as string]! : 0;
    if (size === 0) {
      const kind = UNSUPPORTED.has(dtype as string) ? 'unsupported' : 'unknown';
      fail(`${where}: ${kind} dtype '${clip(dtype as string)}' (supported: ${SUPPORTED})`);
    }
    const shapeRaw = o.shape;
    if (!Array.isArray(shapeRaw)) fail(`${where}: 'shape' must be an array of non-negative integers, got ${describe(shapeRaw)}`);
    const shape: number[] = [];
    let elems = 1;
    for (const d of shapeRaw as unknown[]) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        fail(`${where}: 'shape' ${describe(shapeRaw)} has an invalid dimension ${describe(d)} (expected non-negative integers)`);
      }
      const dim = (d as number) + 0; // -0 → 0
      shape.push(dim);
      elems *= dim;
    }
    if (!Number.isSafeInteger(elems) && !shape.includes(0)) {
      fail(`${where}: shape ${describe(shape)} has too many elements`);
    }
    const offs = o.data_offsets;
    if (
      !Array.isArray(offs) || offs.length !== 2 ||
      typeof offs[0] !== 'number' || typeof offs[1] !== 'number' ||
      !Number.isSafeInteger(offs[0]) || !Number.isSafeInteger(offs[1]) || offs[0] < 0 || offs[1] < offs[0]
    ) {
      return fail(`${where}: 'data_offsets' must be [begin, end] with integers 0 <= begin <= end, got ${describe(offs)}`);
    }
    const begin = (offs[0] as number) + 0;
    const end = (offs[1] as number) + 0;
    if (shape.includes(0)) elems = 0;
    const need = elems * size!;
    if (end - begin !== need) {
      fail(`${where}: shape ${describe(shape)} of ${dtype} needs ${need} bytes (${elems} × ${size}) but data_offsets [${begin},${end}] span ${end - begin} bytes`);
    }
    if (end > dataLen) {
      fail(`${where}: data_offsets [${begin},${end}] are outside the data buffer (${dataLen} bytes after the header)`);
    }
    list.push({ name, dtype: dtype as string, shape, begin, end });
  }

  // ---- coverage: no overlaps, no holes (as the Rust crate validates)
  const sorted = [...list].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let prev: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < covered) {
      fail(`tensor '${clip(e.name)}': data_offsets [${e.begin},${e.end}] overlap tensor '${clip(prev!.name)}' [${prev!.begin},${prev!.end}]`);
    }
    if (e.begin > covered) {
      const after = prev ? ` after tensor '${clip(prev.name)}'` : ' at the start of the data buffer';
      fail(`tensor '${clip(e.name)}': data_offsets [${e.begin},${e.end}] leave bytes ${covered}..${e.begin}${after} belonging to no tensor (holes are not allowed)`);
    }
    covered = e.end;
    prev = e;
  }
  if (covered !== dataLen) {
    const after = prev ? `after tensor '${clip(prev.name)}'` : 'with no tensors in the header';
    fail(`data buffer has ${dataLen - covered} trailing bytes (${covered}..${dataLen}) ${after} that belong to no tensor`);
  }

  // ---- decode
  const tensors = new Map<string, Tensor>();
  for (const e of list) {
    const count = (e.end - e.begin) / DTYPE_SIZE[e.dtype]!;
    const storage = allocStorage(count);
    const f32 = storage instanceof Float32Array ? storage : new Float32Array(count);
    decode(e.dtype, bytes, view, dataStart + e.begin, count, f32);
    if (f32 !== storage) (storage as unknown as Float64Array).set(f32);
    tensors.set(e.name, new Tensor(storage, e.shape));
  }
  return { tensors, metadata };
}

/** The length field, JSON header and `__metadata__` of a safetensors file of `total` bytes whose first bytes are `bytes`. */
function readHeader(bytes: Uint8Array, total: number, opts: SafetensorsLoadOptions) {
  const src = opts.source ?? 'safetensors';
  const fail = (msg: string): never => {
    throw new RecurError(`${src}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
  const cap = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (typeof cap !== 'number' || !(cap >= 0)) fail(`maxHeaderBytes must be a non-negative number, got ${describe(cap)}`);

  // ---- header length
  if (total < 8 || bytes.length < 8) {
    fail(`file is ${total} byte${total === 1 ? '' : 's'} long, too short for the 8-byte header length (truncated or not a safetensors file)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (Number.isFinite(cap) && declared > BigInt(Math.floor(cap))) {
    fail(`declared header length ${declared} bytes exceeds the limit of ${cap} bytes (maxHeaderBytes); corrupt or not a safetensors file`);
  }
  if (declared > BigInt(total - 8) || declared > BigInt(bytes.length - 8)) {
    fail(`declared header length ${declared} bytes exceeds the ${total - 8} bytes that follow the length field (file truncated?)`);
  }
  const n = Number(declared);

  // ---- header JSON
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.slice(8, 8 + n)); // a copy: TextDecoder rejects views of a SharedArrayBuffer
  } catch {
    return fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail(`header must be a JSON object, got ${describe(header)}`);
  }
  const entries = header as Record<string, unknown>;

  // ---- metadata
  const metadata: Record<string, string> = {};
  const meta = Object.prototype.hasOwnProperty.call(entries, '__metadata__') ? entries.__metadata__ : null;
  if (meta !== null) {
    if (typeof meta !== 'object' || Array.isArray(meta)) fail(`__metadata__ must be an object of strings, got ${describe(meta)}`);
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`__metadata__ value '${clip(k)}' must be a string, got ${describe(v)}`);
      Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }

  return { n, entries, metadata, fail, view };
}

/** Converts `count` elements of `dtype` at byte `off` into `out` (float32). */
function decode(dtype: string, bytes: Uint8Array, view: DataView, off: number, count: number, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, count);
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN_HOST) {
        new Uint8Array(out.buffer, out.byteOffset, count * 4).set(bytes.subarray(off, off + count * 4));
      } else {
        for (let i = 0; i < count; i++) bits[i] = view.getUint32(off + 4 * i, true);
      }
      return;
    case 'F16':
      for (let i = 0; i < count; i++) bits[i] = halfToFloatBits(view.getUint16(off + 2 * i, true));
      return;
    case 'BF16':
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(off + 2 * i, true) << 16 >>> 0;
      return;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(off + 8 * i, true);
      return;
    case 'F8_E5M2': // the top byte of an IEEE half
      for (let i = 0; i < count; i++) bits[i] = halfToFloatBits(bytes[off + i]! << 8);
      return;
    case 'F8_E4M3':
      for (let i = 0; i < count; i++) out[i] = e4m3fnToNumber(bytes[off + i]!);
      return;
    case 'I64':
    case 'U64':
      for (let i = 0; i < count; i++) out[i] = int64ToFloat32(view, off + 8 * i, dtype === 'I64');
      return;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(off + 4 * i, true);
      return;
    case 'U32':
      for (let i = 0; i < count; i++) out[i] = view.getUint32(off + 4 * i, true);
      return;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(off + 2 * i, true);
      return;
    case 'U16':
      for (let i = 0; i < count; i++) out[i] = view.getUint16(off + 2 * i, true);
      return;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(off + i);
      return;
    case 'U8':
      for (let i = 0; i < count; i++) out[i] = bytes[off + i]!;
      return;
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = bytes[off + i] !== 0 ? 1 : 0;
      return;
    default:
      throw new RecurError(`safetensors: internal error: no decoder for dtype '${dtype}'`);
  }
}

/** IEEE binary16 bits → binary32 bits, exact (subnormals normalised, NaN payload kept). */
function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // subnormal half: mant × 2^-24; normalise
  let e = 113; // biased f32 exponent of 2^-14
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** float8_e4m3fn (bias 7, no infinities, S.1111.111 = NaN) → number, exact. */
function e4m3fnToNumber(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const mant = b & 7;
  if (exp === 15 && mant === 7) return NaN;
  const mag = exp === 0 ? mant * 2 ** -9 : (1 + mant / 8) * 2 ** (exp - 7);
  return sign * mag;
}

/** A 64-bit integer → nearest float32 with ONE rounding (Number() then fround would round twice). */
function int64ToFloat32(view: DataView, off: number, signed: boolean): number {
  const lo = view.getUint32(off, true);
  const hi = signed ? view.getInt32(off + 4, true) : view.getUint32(off + 4, true);
  if (hi >= -0x200000 && hi < 0x200000) return Math.fround(hi * 4294967296 + lo); // |x| < 2^53: exact in a double
  let v = signed ? view.getBigInt64(off, true) : view.getBigUint64(off, true);
  const neg = v < 0n;
  if (neg) v = -v;
  const shift = BigInt(v.toString(2).length - 24);
  let q = v >> shift;
  const rem = v - (q << shift);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  const r = Number(q) * 2 ** Number(shift); // q ≤ 2^24: exact
  return neg ? -r : r;
}

/** Writes float32 tensors as a safetensors file (see module docs for the exact layout). */
export function saveSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const fail = (msg: string): never => {
    throw new RecurError(`saveSafetensors: ${msg}`);
  };
  if (typeof tensors !== 'object' || tensors === null) fail(`expected a Map or object of tensors, got ${describe(tensors)}`);
  const pairs: [string, Tensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, t] of pairs) {
    if (typeof name !== 'string') fail(`tensor names must be strings, got ${describe(name)}`);
    if (name === '__metadata__') fail(`'__metadata__' is reserved and cannot be a tensor name`);
    if (!wellFormed(name)) fail(`tensor name '${clip(name)}' is not valid Unicode (lone surrogate)`);
    if (typeof t !== 'object' || t === null || !Array.isArray(t.shape) || !t.data || typeof t.data.length !== 'number') {
      fail(`'${clip(name)}' is not a tensor (got ${describe(t)})`);
    }
    let elems = 1;
    for (const d of t.shape as unknown[]) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) fail(`tensor '${clip(name)}': invalid shape ${describe(t.shape)}`);
      elems *= d as number;
    }
    if (t.data.length !== elems) fail(`tensor '${clip(name)}': data has ${t.data.length} elements but shape ${describe(t.shape)} needs ${elems}`);
  }
  pairs.sort((a, b) => compareCodePoints(a[0], b[0]));

  const head: Record<string, unknown> = {};
  const define = (k: string, v: unknown): void => {
    Object.defineProperty(head, k, { value: v, enumerable: true, writable: true, configurable: true });
  };
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) fail(`metadata must be an object of strings, got ${describe(metadata)}`);
    const keys = Object.keys(metadata).sort(compareCodePoints);
    const m: Record<string, string> = {};
    for (const k of keys) {
      const v = (metadata as Record<string, unknown>)[k];
      if (typeof v !== 'string') fail(`metadata value '${clip(k)}' must be a string, got ${describe(v)}`);
      if (!wellFormed(k) || !wellFormed(v as string)) fail(`metadata entry '${clip(k)}' is not valid Unicode (lone surrogate)`);
      Object.defineProperty(m, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    define('__metadata__', m);
  }
  let offset = 0;
  for (const [name, t] of pairs) {
    const nbytes = t.data.length * 4;
    define(name, { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + nbytes] });
    offset += nbytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(head));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const [, t] of pairs) {
    const d = t.data as ArrayLike<number>;
    if (LITTLE_ENDIAN_HOST && d instanceof Float32Array) {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.length * 4), pos);
    } else {
      for (let i = 0; i < d.length; i++) view.setFloat32(pos + 4 * i, d[i]!, true);
    }
    pos += d.length * 4;
  }
  return out;
}

/** Orders strings by Unicode code point, i.e. by their UTF-8 bytes (Rust's String order). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitKey(x) - unitKey(y);
  }
  return a.length - b.length;
}

/** Surrogates (halves of code points >= 0x10000) sort after U+E000..U+FFFF; order is otherwise kept. */
function unitKey(c: number): number {
  return c < 0xd800 ? c : c < 0xe000 ? c + 0x2000 : c - 0x800;
}

function wellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Shortens untrusted names in messages. */
function clip(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** A short description of an untrusted JSON value for error messages. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) {
    const items = v.slice(0, 8).map((x) => (Array.isArray(x) ? '[…]' : typeof x === 'object' && x !== null ? '{…}' : describe(x)));
    return `[${items.join(',')}${v.length > 8 ? `,… (${v.length} items)` : ''}]`;
  }
  switch (typeof v) {
    case 'string':
      return JSON.stringify(clip(v, 60));
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      return v instanceof Uint8Array || ArrayBuffer.isView(v) ? v.constructor.name : 'an object';
    default:
      return typeof v;
  }
}
