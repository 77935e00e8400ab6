import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RecurError } from '../../src/errors.js';
import { tensor, Tensor } from '../../src/tensor/tensor.js';
import { loadSafetensors, parseSafetensors, saveSafetensors, DEFAULT_MAX_HEADER_BYTES } from '../../src/io/index.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/core/dtypes.safetensors', import.meta.url));

// ---------------------------------------------------------------- helpers

function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

function f32Bits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0]!;
}

/** Builds a safetensors file from a header (object or raw JSON text) and a data buffer. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function rawHeader(bytes: Uint8Array): Record<string, unknown> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
}

/** Asserts a RecurError whose message matches every pattern. */
function rejects(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RecurError, `expected RecurError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

// ---------------------------------------------------------------- round trip

test('round trip: values bit-exact, shapes incl. scalar and zero-size, metadata', () => {
  const special = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1.4e-45, 3.4028234663852886e38, -1.5]);
  const tensors = new Map<string, Tensor>([
    ['weight_ih_l0', tensor([1, 2, 3, 4, 5, 6], [2, 3])],
    ['scalar', tensor([2.5], [])],
    ['empty', tensor([], [0])],
    ['empty3', tensor([], [3, 0, 2])],
    ['special', new Tensor(special.slice(), [8])],
    ['a.b.c', tensor([7], [1, 1, 1])],
    ['ünï✓😀', tensor([8, 9], [2])],
  ]);
  const meta = { format: 'pt', config: JSON.stringify({ hiddenSize: 4 }), 'ключ': 'значение' };
  const bytes = saveSafetensors(tensors, meta);
  const { tensors: back, metadata } = parseSafetensors(bytes);
  assert.deepEqual(metadata, meta);
  assert.equal(back.size, tensors.size);
  for (const [name, t] of tensors) {
    const b = back.get(name);
    assert.ok(b, name);
    assert.deepEqual(b.shape, t.shape, name);
    assert.deepEqual(bitsOf(b.data), bitsOf(t.data), name);
    assert.notEqual(b.data, t.data);
  }
  assert.ok(Object.is(back.get('special')!.data[1], -0));
  assert.ok(Number.isNaN(back.get('special')!.data[4]));
  assert.deepEqual(back.get('scalar')!.shape, []);
  assert.equal(back.get('scalar')!.item(), 2.5);
});

test('save: layout is deterministic, sorted, contiguous, padded to 8, metadata first', () => {
  const a = tensor([1, 2], [2]);
  const b = tensor([3, 4, 5], [3]);
  const c = tensor([6], []);
  const one = saveSafetensors(new Map([['b', b], ['c', c], ['a', a]]), { z: '1', y: '2' });
  const two = saveSafetensors({ a, c, b }, { y: '2', z: '1' });
  assert.deepEqual(one, two);
  const n = Number(new DataView(one.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  assert.equal(one.length, 8 + n + 6 * 4);
  const text = new TextDecoder().decode(one.subarray(8, 8 + n));
  assert.match(text, /^\{"__metadata__":\{"y":"2","z":"1"\},"a":/);
  assert.match(text, / *$/);
  const h = rawHeader(one);
  assert.deepEqual(Object.keys(h), ['__metadata__', 'a', 'b', 'c']);
  assert.deepEqual(h.a, entry('F32', [2], 0, 8));
  assert.deepEqual(h.b, entry('F32', [3], 8, 20));
  assert.deepEqual(h.c, entry('F32', [], 20, 24));
  // the map loaded back keeps file order
  assert.deepEqual([...loadSafetensors(one).keys()], ['a', 'b', 'c']);
  // without metadata: no __metadata__ key; empty dict is a valid file
  assert.deepEqual(Object.keys(rawHeader(saveSafetensors({ a }))), ['a']);
  const empty = saveSafetensors(new Map());
  assert.equal(empty.length, 16); // "{}" padded to 8
  assert.deepEqual(parseSafetensors(empty), { tensors: new Map(), metadata: {} });
});

test('save: names sort by code point (UTF-8 byte order, as Rust does)', () => {
  const t = tensor([1], [1]);
  // '\uffff' < '😀' (U+1F600) in code points, but not in UTF-16 code units
  const bytes = saveSafetensors({ '😀': t, '\uffff': t, B: t, a: t });
  assert.deepEqual(Object.keys(rawHeader(bytes)), ['B', 'a', '\uffff', '😀']);
});

test('save: rejects bad input with RecurError', () => {
  const t = tensor([1], [1]);
  rejects(() => saveSafetensors({ a: t }, { k: 1 as unknown as string }), /metadata value 'k' must be a string, got 1/);
  rejects(() => saveSafetensors({ __metadata__: t }), /'__metadata__' is reserved/);
  rejects(() => saveSafetensors({ a: { shape: [2], data: new Float32Array(3) } as unknown as Tensor }), /tensor 'a': data has 3 elements but shape \[2\] needs 2/);
  rejects(() => saveSafetensors({ a: 5 as unknown as Tensor }), /'a' is not a tensor/);
  rejects(() => saveSafetensors({ ['x\ud800']: t }), /not valid Unicode/);
  rejects(() => saveSafetensors(null as unknown as Map<string, Tensor>), /expected a Map or object/);
});

test('load: accepts ArrayBuffer and Uint8Array views at odd offsets', () => {
  const bytes = saveSafetensors({ w: tensor([1, -2, 3], [3]) });
  const big = new Uint8Array(bytes.length + 3);
  big.set(bytes, 3);
  const view = big.subarray(3); // data is no longer 4-byte aligned in the underlying buffer
  assert.deepEqual(loadSafetensors(view).get('w')!.toArray(), [1, -2, 3]);
  assert.deepEqual(loadSafetensors(bytes.slice().buffer).get('w')!.toArray(), [1, -2, 3]);
  // the result never aliases the input
  const t = loadSafetensors(bytes).get('w')!;
  bytes.fill(0);
  assert.deepEqual(t.toArray(), [1, -2, 3]);
});

// ---------------------------------------------------------------- the PyTorch fixture

test('fixture core/dtypes.safetensors: F16/BF16/F64 convert exactly like torch .float()', () => {
  const { tensors, metadata } = parseSafetensors(readFileSync(FIXTURE));
  assert.deepEqual(metadata.format, 'pt');
  assert.equal(metadata.author, 'recur fixtures');
  assert.equal(JSON.parse(metadata.config!).note, 'dtype conversion test');
  assert.deepEqual([...tensors.keys()], ['f32', 'f16', 'bf16', 'f64', 'expected.f16', 'expected.bf16', 'expected.f64', 'scalar', 'odd.f16', 'odd.f32']);
  for (const k of ['f16', 'bf16', 'f64']) {
    const got = tensors.get(k)!;
    const want = tensors.get(`expected.${k}`)!;
    assert.deepEqual(got.shape, [2, 3]);
    assert.deepEqual(bitsOf(got.data), bitsOf(want.data), k);
  }
  const f16 = tensors.get('f16')!.data;
  assert.ok(Object.is(f16[1], -0));
  assert.equal(f16[2], Infinity);
  assert.equal(f16[3], 65504);
  assert.equal(f16[0], 17 * 2 ** -24); // the subnormal half nearest 1e-6
  const bf16 = tensors.get('bf16')!.data;
  assert.equal(bf16[3], 1);
  assert.equal(bf16[4], 1.0078125);
  assert.equal(bf16[5], -Infinity);
  const f64 = tensors.get('f64')!.data;
  assert.ok(Object.is(f64[0], 0));
  assert.ok(Object.is(f64[1], -0));
  assert.equal(f64[2], Infinity);
  assert.equal(f64[5], Math.fround(1e-40));
  const f32 = tensors.get('f32')!.data;
  assert.deepEqual(bitsOf(f32), [1.5, -2.25, 1e-45, -0, 3.4e38, 0.1].map(f32Bits));
  assert.deepEqual(tensors.get('scalar')!.shape, []);
  assert.equal(tensors.get('scalar')!.item(), 2.5);
  assert.deepEqual(tensors.get('odd.f16')!.toArray(), [0.5, -1, 2]);
  assert.deepEqual(tensors.get('odd.f32')!.toArray(), [-7, 0.25]);
});

test('fixture core/dtypes.safetensors: loads again after a save round trip', () => {
  const first = loadSafetensors(readFileSync(FIXTURE));
  const again = loadSafetensors(saveSafetensors(first));
  for (const [k, t] of first) assert.deepEqual(bitsOf(again.get(k)!.data), bitsOf(t.data), k);
});

// ---------------------------------------------------------------- other dtypes

function le(kind: 'i64' | 'u64' | 'i32' | 'u32' | 'i16' | 'u16' | 'i8' | 'u8', values: (number | bigint)[]): Uint8Array {
  const size = { i64: 8, u64: 8, i32: 4, u32: 4, i16: 2, u16: 2, i8: 1, u8: 1 }[kind];
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    const o = i * size;
    if (kind === 'i64') v.setBigInt64(o, BigInt(x), true);
    else if (kind === 'u64') v.setBigUint64(o, BigInt(x), true);
    else if (kind === 'i32') v.setInt32(o, Number(x), true);
    else if (kind === 'u32') v.setUint32(o, Number(x), true);
    else if (kind === 'i16') v.setInt16(o, Number(x), true);
    else if (kind === 'u16') v.setUint16(o, Number(x), true);
    else if (kind === 'i8') v.setInt8(o, Number(x));
    else v.setUint8(o, Number(x));
  });
  return out;
}

function one(dtype: string, shape: number[], data: Uint8Array): Float32Array {
  return loadSafetensors(build({ x: entry(dtype, shape, 0, data.length) }, data)).get('x')!.data;
}

test('integer and bool dtypes convert to float32 (indices, masks)', () => {
  // I64 → float32 with a single rounding; bit patterns from torch.tensor(v, dtype=torch.int64).float()
  const big = 2n ** 60n + 2n ** 36n + 1n; // rounding via float64 first would give 2^60 (double rounding)
  const i64 = [big, -big, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 24n + 1n, 2n ** 24n + 3n, 16777217n * 3n, -7n, 0n];
  assert.deepEqual(bitsOf(one('I64', [9], le('i64', i64))),
    [1568669697, 3716153345, 1593835520, 3741319168, 1266679808, 1266679810, 1279262721, 3235905536, 0]);
  assert.deepEqual(Array.from(one('U64', [3], le('u64', [2n ** 64n - 1n, 5n, 2n ** 53n + 1n]))), [2 ** 64, 5, 2 ** 53]);
  assert.deepEqual(Array.from(one('I32', [4], le('i32', [2 ** 31 - 1, -(2 ** 31), 2 ** 25 + 3, -100]))), [2 ** 31, -(2 ** 31), 33554436, -100]);
  assert.deepEqual(Array.from(one('U32', [2], le('u32', [2 ** 32 - 1, 7]))), [2 ** 32, 7]);
  assert.deepEqual(Array.from(one('I16', [3], le('i16', [-32768, 32767, -1]))), [-32768, 32767, -1]);
  assert.deepEqual(Array.from(one('U16', [2], le('u16', [65535, 3]))), [65535, 3]);
  assert.deepEqual(Array.from(one('I8', [3], le('i8', [-128, 127, -1]))), [-128, 127, -1]);
  assert.deepEqual(Array.from(one('U8', [3], le('u8', [0, 255, 9]))), [0, 255, 9]);
  assert.deepEqual(Array.from(one('BOOL', [2, 2], le('u8', [0, 1, 1, 0]))), [0, 1, 1, 0]);
  assert.deepEqual(Array.from(one('BOOL', [2], le('u8', [2, 255]))), [1, 1]);
});

test('float8 dtypes (e5m2, e4m3fn) convert exactly', () => {
  const e5m2 = one('F8_E5M2', [7], new Uint8Array([0x3c, 0xbc, 0x7c, 0xfc, 0x01, 0x80, 0x7b]));
  assert.deepEqual(Array.from(e5m2), [1, -1, Infinity, -Infinity, 2 ** -16, -0, 57344]);
  assert.ok(Object.is(e5m2[5], -0));
  assert.ok(Number.isNaN(one('F8_E5M2', [1], new Uint8Array([0x7e]))[0]));
  const e4m3 = one('F8_E4M3', [6], new Uint8Array([0x38, 0xb8, 0x7e, 0x01, 0x80, 0x39]));
  assert.deepEqual(Array.from(e4m3), [1, -1, 448, 2 ** -9, -0, 1.125]);
  assert.ok(Number.isNaN(one('F8_E4M3', [2], new Uint8Array([0x7f, 0xff]))[1]));
});

test('F16 conversion matches the definition for all 65536 halves', () => {
  const all = new Uint8Array(65536 * 2);
  const v = new DataView(all.buffer);
  for (let h = 0; h < 65536; h++) v.setUint16(2 * h, h, true);
  const got = one('F16', [65536], all);
  const bits = bitsOf(got);
  for (let h = 0; h < 65536; h++) {
    const s = h >> 15 ? -1 : 1;
    const e = (h >> 10) & 31;
    const m = h & 1023;
    if (e === 31 && m !== 0) {
      // NaN: payload moves to the top of the f32 mantissa, as in torch's half → float
      assert.equal(bits[h], ((h & 0x8000) << 16 | 0x7f800000 | (m << 13)) >>> 0);
      continue;
    }
    const want = e === 31 ? s * Infinity : e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
    if (!Object.is(got[h], want)) assert.fail(`half 0x${h.toString(16)}: got ${got[h]}, want ${want}`);
  }
});

test('BF16 is the top half of a float32; F64 rounds to nearest even', () => {
  const bf = le('u16', [0x3f80, 0x8000, 0x7f80, 0x0001, 0x7fc1]);
  assert.deepEqual(bitsOf(one('BF16', [5], bf)), [0x3f800000, 0x80000000, 0x7f800000, 0x00010000, 0x7fc10000]);
  const d = new Uint8Array(5 * 8);
  const dv = new DataView(d.buffer);
  [1 + 2 ** -24, 1 + 3 * 2 ** -24, -1e39, 2 ** -150, 2 ** -149 * 1.5].forEach((x, i) => dv.setFloat64(8 * i, x, true));
  assert.deepEqual(Array.from(one('F64', [5], d)), [1, 1 + 2 ** -22, -Infinity, 0, 2 ** -148]);
});

// ---------------------------------------------------------------- malformed input

const f32data = (n: number) => new Uint8Array(4 * n);

test('malformed: truncated file', () => {
  rejects(() => loadSafetensors(new Uint8Array(0)), /file is 0 bytes long, too short/);
  rejects(() => loadSafetensors(new Uint8Array(5)), /file is 5 bytes long/);
  const good = saveSafetensors({ w: tensor([1, 2, 3], [3]) });
  rejects(() => loadSafetensors(good.subarray(0, good.length - 1)), /tensor 'w': data_offsets \[0,12\] are outside the data buffer \(11 bytes/);
  rejects(() => loadSafetensors(good.subarray(0, 20)), /declared header length \d+ bytes exceeds the 12 bytes that follow/);
});

test('malformed: huge or out-of-file header length', () => {
  rejects(() => loadSafetensors(build('{}', undefined, 2n ** 53n)), /declared header length 9007199254740992 bytes exceeds the limit of 100000000 bytes/);
  rejects(() => loadSafetensors(build('{}', undefined, 2n ** 40n)), /declared header length 1099511627776 bytes exceeds the limit/);
  rejects(() => loadSafetensors(build('{}', undefined, 2n ** 64n - 1n)), /18446744073709551615 bytes exceeds the limit/);
  rejects(() => loadSafetensors(build('{}', undefined, 1000n)), /declared header length 1000 bytes exceeds the 2 bytes that follow the length field/);
  assert.equal(DEFAULT_MAX_HEADER_BYTES, 100_000_000);
  const ok = build({ a: entry('F32', [1], 0, 4) }, f32data(1));
  assert.equal(loadSafetensors(ok).size, 1);
  rejects(() => loadSafetensors(ok, { maxHeaderBytes: 16 }), /exceeds the limit of 16 bytes \(maxHeaderBytes\)/);
  rejects(() => loadSafetensors(ok, { maxHeaderBytes: -1 }), /maxHeaderBytes must be a non-negative number/);
  rejects(() => loadSafetensors(ok, { maxHeaderBytes: NaN }), /maxHeaderBytes must be a non-negative number/);
  assert.equal(loadSafetensors(ok, { maxHeaderBytes: Infinity }).size, 1);
  rejects(() => loadSafetensors(build('{}', undefined, 2n ** 53n), { maxHeaderBytes: Infinity }), /exceeds the 2 bytes that follow/);
});

test('malformed: header not UTF-8, not JSON, not an object', () => {
  const bad = build('{}');
  bad[9] = 0xff;
  rejects(() => loadSafetensors(bad), /header is not valid UTF-8/);
  rejects(() => loadSafetensors(build('{"a": ')), /header is not valid JSON/);
  rejects(() => loadSafetensors(build('')), /header is not valid JSON/);
  rejects(() => loadSafetensors(build('[1,2]')), /header must be a JSON object, got \[1,2\]/);
  rejects(() => loadSafetensors(build('null')), /header must be a JSON object, got null/);
  rejects(() => loadSafetensors(build('"x"')), /header must be a JSON object, got "x"/);
  rejects(() => loadSafetensors('abc' as unknown as Uint8Array), /expected a Uint8Array or ArrayBuffer/);
});

test('malformed: entries missing fields or with wrong types name the tensor', () => {
  rejects(() => loadSafetensors(build({ w: 3 })), /tensor 'w': entry must be an object with dtype, shape and data_offsets, got 3/);
  rejects(() => loadSafetensors(build({ w: [] })), /tensor 'w': entry must be an object/);
  rejects(() => loadSafetensors(build({ w: { shape: [1], data_offsets: [0, 4] } }, f32data(1))), /tensor 'w': entry is missing 'dtype'/);
  rejects(() => loadSafetensors(build({ w: { dtype: 'F32', data_offsets: [0, 4] } }, f32data(1))), /tensor 'w': entry is missing 'shape'/);
  rejects(() => loadSafetensors(build({ w: { dtype: 'F32', shape: [1] } }, f32data(1))), /tensor 'w': entry is missing 'data_offsets'/);
  rejects(() => loadSafetensors(build({ w: { dtype: 32, shape: [1], data_offsets: [0, 4] } }, f32data(1))), /tensor 'w': 'dtype' must be a string, got 32/);
  rejects(() => loadSafetensors(build({ w: { dtype: 'F32', shape: '1', data_offsets: [0, 4] } }, f32data(1))), /tensor 'w': 'shape' must be an array/);
  rejects(() => loadSafetensors(build({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32data(1))), /tensor 'w': 'data_offsets' must be \[begin, end\].*got \[0\]/);
  rejects(() => loadSafetensors(build({ w: { dtype: 'F32', shape: [1], data_offsets: [0, '4'] } }, f32data(1))), /tensor 'w': 'data_offsets' must be/);
  rejects(() => loadSafetensors(build({ w: entry('F32', [1], 4, 0) }, f32data(1))), /tensor 'w': 'data_offsets' must be \[begin, end\] with integers 0 <= begin <= end, got \[4,0\]/);
  rejects(() => loadSafetensors(build({ w: entry('F32', [1], -4, 0) }, f32data(1))), /tensor 'w': 'data_offsets'/);
  rejects(() => loadSafetensors(build({ w: entry('F32', [1], 0.5, 4) }, f32data(1))), /tensor 'w': 'data_offsets'/);
  rejects(() => loadSafetensors(build('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,1e400]}}', f32data(1))), /tensor 'w': 'data_offsets'/);
});

test('malformed: unknown or unsupported dtype', () => {
  rejects(() => loadSafetensors(build({ x: entry('F8', [1], 0, 1) }, new Uint8Array(1))), /tensor 'x': unknown dtype 'F8' \(supported: F64, F32, F16, BF16/);
  rejects(() => loadSafetensors(build({ x: entry('f32', [1], 0, 4) }, f32data(1))), /tensor 'x': unknown dtype 'f32'/);
  rejects(() => loadSafetensors(build({ x: entry('C64', [1], 0, 8) }, f32data(2))), /tensor 'x': unsupported dtype 'C64'/);
  rejects(() => loadSafetensors(build({ x: entry('toString', [1], 0, 8) }, f32data(2))), /tensor 'x': unknown dtype 'toString'/);
});

test('malformed: negative, fractional or huge dims', () => {
  rejects(() => loadSafetensors(build({ w: entry('F32', [2, -1], 0, 0) })), /tensor 'w': 'shape' \[2,-1\] has an invalid dimension -1/);
  rejects(() => loadSafetensors(build({ w: entry('F32', [1.5], 0, 6) }, new Uint8Array(6))), /tensor 'w': 'shape' \[1.5\] has an invalid dimension 1.5/);
  rejects(() => loadSafetensors(build({ w: { dtype: 'F32', shape: [null], data_offsets: [0, 0] } })), /tensor 'w': 'shape' \[null\] has an invalid dimension null/);
  rejects(() => loadSafetensors(build({ w: entry('F32', [2 ** 30, 2 ** 30, 2 ** 30], 0, 4) }, f32data(1))), /tensor 'w': shape \[1073741824,1073741824,1073741824\] has too many elements/);
  rejects(() => loadSafetensors(build({ w: entry('F32', [2 ** 53], 0, 4) }, f32data(1))), /tensor 'w': 'shape' .* has an invalid dimension/);
  // a zero dim makes any other dim legal (numel 0)
  assert.deepEqual(loadSafetensors(build({ w: entry('F32', [0, 2 ** 40], 0, 0) })).get('w')!.shape, [0, 2 ** 40]);
});

test('malformed: byte range does not match shape × dtype size', () => {
  rejects(() => loadSafetensors(build({ w: entry('F32', [2, 3], 0, 20) }, new Uint8Array(20))),
    /tensor 'w': shape \[2,3\] of F32 needs 24 bytes \(6 × 4\) but data_offsets \[0,20\] span 20 bytes/);
  rejects(() => loadSafetensors(build({ w: entry('F16', [3], 0, 12) }, new Uint8Array(12))), /tensor 'w': shape \[3\] of F16 needs 6 bytes/);
  rejects(() => loadSafetensors(build({ w: entry('F32', [], 0, 0) })), /tensor 'w': shape \[\] of F32 needs 4 bytes/);
});

test('malformed: offsets outside the data buffer', () => {
  rejects(() => loadSafetensors(build({ w: entry('F32', [2], 0, 8) }, f32data(1))),
    /tensor 'w': data_offsets \[0,8\] are outside the data buffer \(4 bytes after the header\)/);
  rejects(() => loadSafetensors(build({ w: entry('F32', [1], 2 ** 52, 2 ** 52 + 4) }, f32data(1))), /tensor 'w': data_offsets .* outside the data buffer/);
});

test('malformed: overlapping ranges and holes', () => {
  rejects(() => loadSafetensors(build({ a: entry('F32', [2], 0, 8), b: entry('F32', [2], 4, 12) }, f32data(3))),
    /tensor 'b': data_offsets \[4,12\] overlap tensor 'a' \[0,8\]/);
  rejects(() => loadSafetensors(build({ a: entry('F32', [2], 0, 8), b: entry('F32', [2], 0, 8) }, f32data(2))), /overlap tensor '[ab]' \[0,8\]/);
  rejects(() => loadSafetensors(build({ a: entry('F32', [1], 0, 4), b: entry('F32', [1], 8, 12) }, f32data(3))),
    /tensor 'b': data_offsets \[8,12\] leave bytes 4..8 after tensor 'a' belonging to no tensor \(holes are not allowed\)/);
  rejects(() => loadSafetensors(build({ a: entry('F32', [1], 4, 8) }, f32data(2))), /tensor 'a': .*leave bytes 0..4 at the start of the data buffer/);
  rejects(() => loadSafetensors(build({ a: entry('F32', [1], 0, 4) }, f32data(2))), /data buffer has 4 trailing bytes \(4..8\) after tensor 'a' that belong to no tensor/);
  rejects(() => loadSafetensors(build({}, f32data(1))), /4 trailing bytes .* with no tensors/);
  // zero-size tensors may share an offset; tensors may appear in any header order
  const ok = loadSafetensors(build({ b: entry('F32', [1], 4, 8), z: entry('F32', [0], 4, 4), a: entry('F32', [1], 0, 4), y: entry('F32', [0, 3], 8, 8) }, f32data(2)));
  assert.deepEqual([...ok.keys()], ['b', 'z', 'a', 'y']);
});

test('malformed: metadata must be an object of strings', () => {
  const data = f32data(1);
  const a = entry('F32', [1], 0, 4);
  rejects(() => loadSafetensors(build({ __metadata__: { k: 1 }, a }, data)), /__metadata__ value 'k' must be a string, got 1/);
  rejects(() => loadSafetensors(build({ __metadata__: { k: { x: 'y' } }, a }, data)), /__metadata__ value 'k' must be a string, got an object/);
  rejects(() => loadSafetensors(build({ __metadata__: ['a'], a }, data)), /__metadata__ must be an object of strings/);
  rejects(() => loadSafetensors(build({ __metadata__: 'x', a }, data)), /__metadata__ must be an object of strings, got "x"/);
  // null metadata is accepted as none (the Rust crate reads it as Option::None)
  assert.deepEqual(parseSafetensors(build({ __metadata__: null, a }, data)).metadata, {});
  // __proto__ is an ordinary key, not a prototype change
  const m = parseSafetensors(build('{"__metadata__":{"__proto__":"x"},"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', data));
  assert.equal(Object.getOwnPropertyDescriptor(m.metadata, '__proto__')?.value, 'x');
  assert.equal(Object.getPrototypeOf(m.metadata), Object.prototype);
  assert.ok(m.tensors.get('__proto__') instanceof Tensor);
});

test('errors carry a custom source label; long names are clipped', () => {
  rejects(() => loadSafetensors(new Uint8Array(3), { source: 'model.safetensors' }), /^model\.safetensors: file is 3 bytes/);
  const long = 'n'.repeat(10_000);
  assert.throws(() => loadSafetensors(build({ [long]: entry('F8', [1], 0, 1) }, new Uint8Array(1))), (e: unknown) => {
    assert.ok(e instanceof RecurError);
    assert.ok(e.message.length < 600, `message length ${e.message.length}`);
    return true;
  });
});

// ---------------------------------------------------------------- fuzz

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: 2000 mutations/truncations each load or throw RecurError', { timeout: 60_000 }, () => {
  // a base file with several dtypes, a scalar, a zero-size tensor, odd offsets and metadata
  const parts: [string, string, number[], Uint8Array][] = [
    ['a', 'F32', [2, 3], f32data(6).map((_, i) => i * 37)],
    ['b', 'F16', [3], new Uint8Array([0, 0x3c, 0, 0xbc, 0xff, 0x7f])],
    ['c', 'BF16', [2], new Uint8Array([0x80, 0x3f, 0x80, 0xff])],
    ['d', 'F64', [1], new Uint8Array(8).fill(0x41)],
    ['e', 'I64', [2], new Uint8Array(16).fill(0x81)],
    ['f', 'BOOL', [3], new Uint8Array([0, 1, 2])],
    ['g', 'F32', [], new Uint8Array([0, 0, 0x80, 0x3f])],
    ['h', 'F32', [0, 4], new Uint8Array(0)],
    ['i', 'I8', [1], new Uint8Array([0x80])],
  ];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', note: 'fuzz' } };
  let off = 0;
  for (const [name, dtype, shape, d] of parts) {
    header[name] = entry(dtype, shape, off, off + d.length);
    off += d.length;
  }
  const data = new Uint8Array(off);
  off = 0;
  for (const [, , , d] of parts) {
    data.set(d, off);
    off += d.length;
  }
  const base = build(header, data);
  assert.equal(loadSafetensors(base).size, parts.length);
  const headerEnd = 8 + Number(new DataView(base.buffer).getBigUint64(0, true));

  const rand = rng(12345);
  const int = (n: number) => Math.floor(rand() * n);
  let loaded = 0;
  const kinds = new Map<string, number>();
  for (let iter = 0; iter < 2000; iter++) {
    let m: Uint8Array = base.slice();
    const kind = iter % 7;
    if (kind === 0) {
      // truncate anywhere
      m = m.subarray(0, int(m.length));
    } else if (kind === 1) {
      // flip random bytes anywhere
      for (let k = 1 + int(4); k > 0; k--) m[int(m.length)] = int(256);
    } else if (kind === 2) {
      // change a digit in the header: JSON stays valid, shapes/offsets change
      const digits: number[] = [];
      for (let i = 8; i < headerEnd; i++) if (m[i]! >= 0x30 && m[i]! <= 0x39) digits.push(i);
      for (let k = 1 + int(2); k > 0; k--) m[digits[int(digits.length)]!] = 0x30 + int(10);
    } else if (kind === 3) {
      // corrupt the length field
      const v = new DataView(m.buffer);
      const choices = [0n, 1n, 7n, BigInt(headerEnd - 9), BigInt(headerEnd - 7), BigInt(m.length), 2n ** 32n + BigInt(headerEnd - 8), BigInt(int(2 ** 31))];
      v.setBigUint64(0, choices[int(choices.length)]!, true);
    } else if (kind === 4) {
      // header punctuation/letters swapped for other JSON-significant bytes
      const sig = [0x22, 0x2c, 0x3a, 0x5b, 0x5d, 0x7b, 0x7d, 0x2d, 0x2e, 0x65, 0x20, 0x5c];
      for (let k = 1 + int(3); k > 0; k--) m[8 + int(headerEnd - 8)] = sig[int(sig.length)]!;
    } else if (kind === 5) {
      // structured: move a tensor's range, resize a dim (maybe negative) or swap a dtype, keep the data
      const h = JSON.parse(JSON.stringify(header)) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
      const names = parts.map((p) => p[0]);
      const t = h[names[int(names.length)]!]!;
      const what = int(3);
      if (what === 0) {
        const shift = int(9) - 4;
        t.data_offsets = t.data_offsets.map((x) => x + shift);
      } else if (what === 1 && t.shape.length > 0) {
        t.shape[int(t.shape.length)] = int(7) - 2;
      } else {
        t.dtype = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'U8', 'BOOL', 'I8'][int(9)]!;
      }
      m = build(h, data);
    } else {
      // insert or delete a byte inside the file
      const at = int(m.length);
      const out = new Uint8Array(rand() < 0.5 ? m.length + 1 : m.length - 1);
      if (out.length > m.length) {
        out.set(m.subarray(0, at));
        out[at] = int(256);
        out.set(m.subarray(at), at + 1);
      } else {
        out.set(m.subarray(0, at));
        out.set(m.subarray(at + 1), at);
      }
      m = out;
    }
    try {
      const r = parseSafetensors(m);
      for (const t of r.tensors.values()) assert.ok(t instanceof Tensor);
      loaded++;
    } catch (e) {
      if (!(e instanceof RecurError)) {
        assert.fail(`iteration ${iter} (kind ${kind}): ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
      const key = e.message.replace(/^safetensors: /, '').replace(/tensor '[^']*'/g, 'T').replace(/[\d,[\]]+/g, '#').slice(0, 40);
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
    }
  }
  // the mutations reach both outcomes and many different checks
  assert.ok(loaded > 0, 'some mutations should still load');
  assert.ok(kinds.size >= 10, `only ${kinds.size} distinct errors: ${[...kinds.keys()].join(' | ')}`);
});

test('load: accepts bytes backed by a SharedArrayBuffer', () => {
  const bytes = saveSafetensors({ w: tensor([4, 5], [2]) }, { k: 'v' });
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  const r = parseSafetensors(shared);
  assert.deepEqual(r.tensors.get('w')!.toArray(), [4, 5]);
  assert.deepEqual(r.metadata, { k: 'v' });
});
