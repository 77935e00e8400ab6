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
