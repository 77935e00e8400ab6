import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecurError } from '../../src/errors.js';
import { tensor } from '../../src/tensor/tensor.js';
import * as ioNode from '../../src/io/node.js';
import * as io from '../../src/io/index.js';

const { readSafetensorsFile, loadSafetensorsFile, saveSafetensorsFile } = ioNode;

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'recur-files-'));
}

function rejects(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RecurError, `expected RecurError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('saveSafetensorsFile / readSafetensorsFile round trip', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.safetensors');
  saveSafetensorsFile(file, { w: tensor([1, 2, 3, 4], [2, 2]), b: tensor([0.5], []) }, { format: 'pt' });
  const { tensors, metadata } = readSafetensorsFile(file);
  assert.deepEqual(metadata, { format: 'pt' });
  assert.deepEqual(tensors.get('w')!.shape, [2, 2]);
  assert.deepEqual(tensors.get('w')!.toArray(), [1, 2, 3, 4]);
  assert.equal(tensors.get('b')!.item(), 0.5);
  assert.deepEqual([...loadSafetensorsFile(file).keys()], ['b', 'w']);
  assert.deepEqual(fs.readdirSync(dir), ['m.safetensors']);
  // the file is the same bytes as the in-memory writer produces
  assert.deepEqual(new Uint8Array(fs.readFileSync(file)), io.saveSafetensors({ b: tensor([0.5], []), w: tensor([1, 2, 3, 4], [2, 2]) }, { format: 'pt' }));
});

test('readSafetensorsFile reads the PyTorch fixture', () => {
  const file = fileURLToPath(new URL('../../fixtures/core/dtypes.safetensors', import.meta.url));
  const { tensors, metadata } = readSafetensorsFile(file);
  assert.equal(metadata.format, 'pt');
  assert.equal(tensors.size, 10);
});

test('readSafetensorsFile errors name the file', () => {
  const dir = tmpDir();
  const missing = path.join(dir, 'nope.safetensors');
  rejects(() => readSafetensorsFile(missing), new RegExp(`^file not found: ${escape(missing)}$`));
  rejects(() => readSafetensorsFile(dir), new RegExp(`^${escape(dir)}: is a directory$`));
  const bad = path.join(dir, 'bad.safetensors');
  fs.writeFileSync(bad, 'abc');
  rejects(() => readSafetensorsFile(bad), new RegExp(`^${escape(bad)}: file is 3 bytes long, too short`));
  const json = Buffer.from('{"x":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(bad, Buffer.concat([len, json, Buffer.from([0])]));
  rejects(() => readSafetensorsFile(bad), new RegExp(`^${escape(bad)}: tensor 'x': unknown dtype 'F8'`));
  rejects(() => readSafetensorsFile(bad, { maxHeaderBytes: 8 }), /exceeds the limit of 8 bytes/);
});

test('browser entry point does not import node modules', () => {
  const src = path.dirname(fileURLToPath(new URL('../../src/io/index.ts', import.meta.url)));
  for (const f of ['index.ts', 'safetensors.ts']) {
    const text = fs.readFileSync(path.join(src, f), 'utf8');
    assert.doesNotMatch(text, /from ['"](node:|fs|path|os)/, f);
    assert.doesNotMatch(text, /files\.js/, f);
  }
  assert.equal('readSafetensorsFile' in io, false);
  assert.equal(typeof ioNode.loadSafetensors, 'function');
});

test('readSafetensorsMetadata reads only the header and checks it as readSafetensorsFile does', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'm.safetensors');
  saveSafetensorsFile(file, { w: tensor([1, 2, 3]) }, { format: 'x', config: '{"task":"lm"}' });
  assert.deepEqual(ioNode.readSafetensorsMetadata(file), { format: 'x', config: '{"task":"lm"}' });
  // A cut-off data buffer does not matter to a header-only read; the full read rejects it.
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 4));
  assert.deepEqual(ioNode.readSafetensorsMetadata(file), { format: 'x', config: '{"task":"lm"}' });
  rejects(() => readSafetensorsFile(file), /data_offsets \[0,12\] are outside the data buffer/);
  // Header faults get the same messages as the full parse.
  for (const [cut, re] of [
    [bytes.subarray(0, 5), /file is 5 bytes long, too short for the 8-byte header length/],
    [bytes.subarray(0, 20), /declared header length \d+ bytes exceeds the 12 bytes that follow the length field/],
    [Buffer.concat([bytes.subarray(0, 8), Buffer.from('{"__metadata__":{"a":1}}'.padEnd(Number(bytes.readBigUInt64LE(0)), ' ')), bytes.subarray(8 + Number(bytes.readBigUInt64LE(0)))]),
      /__metadata__ value 'a' must be a string, got 1/],
  ] as const) {
    fs.writeFileSync(file, cut);
    rejects(() => ioNode.readSafetensorsMetadata(file), re);
    rejects(() => readSafetensorsFile(file), re);
  }
  rejects(() => ioNode.readSafetensorsMetadata(path.join(dir, 'missing.safetensors')), /file not found: .*missing\.safetensors/);
});
