import { test, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RecurError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/io/node.js';

afterEach(() => mock.restoreAll());

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'recur-atomic-'));
}

function rejects(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RecurError, `expected RecurError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('writeFileAtomic creates, then replaces content; no temp files remain', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'ckpt.bin');
  writeFileAtomic(file, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...fs.readFileSync(file)], [1, 2, 3]);
  writeFileAtomic(file, new Uint8Array([9]));
  assert.deepEqual([...fs.readFileSync(file)], [9]);
  writeFileAtomic(file, 'héllo ✓');
  assert.equal(fs.readFileSync(file, 'utf8'), 'héllo ✓');
  writeFileAtomic(file, new Uint8Array(0));
  assert.equal(fs.readFileSync(file).length, 0);
  const big = new Uint8Array(3_000_000).map((_, i) => i * 7);
  writeFileAtomic(file, big);
  assert.deepEqual(fs.readFileSync(file), Buffer.from(big));
  assert.deepEqual(fs.readdirSync(dir), ['ckpt.bin']);
  // a view into a larger buffer writes only the view
  const backing = new Uint8Array([0, 1, 2, 3, 4, 5]);
  writeFileAtomic(file, backing.subarray(2, 4));
  assert.deepEqual([...fs.readFileSync(file)], [2, 3]);
  // relative paths work too
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    writeFileAtomic('rel.txt', 'x');
  } finally {
    process.chdir(cwd);
  }
  assert.equal(fs.readFileSync(path.join(dir, 'rel.txt'), 'utf8'), 'x');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['ckpt.bin', 'rel.txt']);
});

test('writeFileAtomic into a missing directory throws RecurError naming the path', () => {
  const file = path.join(tmpDir(), 'no', 'such', 'dir', 'x.bin');
  rejects(() => writeFileAtomic(file, 'data'), new RegExp(`^${escape(file)}: cannot write: directory does not exist$`));
  assert.equal(fs.existsSync(path.dirname(file)), false);
});

test('writeFileAtomic over a directory fails and leaves it alone', () => {
  const dir = tmpDir();
  const sub = path.join(dir, 'sub');
  fs.mkdirSync(sub);
  fs.writeFileSync(path.join(sub, 'keep'), 'k');
  rejects(() => writeFileAtomic(sub, 'data'), /sub: is a directory/);
  assert.equal(fs.readFileSync(path.join(sub, 'keep'), 'utf8'), 'k');
  assert.deepEqual(fs.readdirSync(dir), ['sub']);
});

for (const [fn, label] of [
  ['writeSync', 'the write fails half-way'],
  ['fsyncSync', 'fsync fails'],
  ['renameSync', 'the rename fails'],
  ['openSync', 'the temp file cannot be created'],
] as const) {
  test(`writeFileAtomic: when ${label}, the old target is untouched and no temp file remains`, () => {
    const dir = tmpDir();
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, 'OLD CONTENT');
    const real = fs[fn] as (...a: unknown[]) => unknown;
    let calls = 0;
    mock.method(fs, fn, (...args: unknown[]) => {
      calls++;
      if (fn === 'writeSync') {
        // write a few bytes for real, then fail like a full disk
        if (calls === 1) return real(args[0], args[1], args[2], 4);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      throw Object.assign(new Error(`EIO: i/o error, ${fn}`), { code: 'EIO' });
    });
    rejects(() => writeFileAtomic(file, 'NEW CONTENT THAT IS LONGER'), new RegExp(`^${escape(file)}: cannot write: `));
    mock.restoreAll();
    assert.ok(calls > 0, `${fn} was not called`);
    assert.equal(fs.readFileSync(file, 'utf8'), 'OLD CONTENT');
    assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
  });
}

test('writeFileAtomic keeps the permission bits of an existing target', { skip: process.platform === 'win32' }, () => {
  const dir = tmpDir();
  const file = path.join(dir, 'secret.bin');
  fs.writeFileSync(file, 'a');
  fs.chmodSync(file, 0o600);
  writeFileAtomic(file, 'b');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  fs.chmodSync(file, 0o640);
  writeFileAtomic(file, 'c');
  assert.equal(fs.statSync(file).mode & 0o777, 0o640);
  assert.equal(fs.readFileSync(file, 'utf8'), 'c');
});

test('writeFileAtomic through a symlink replaces the file it points to', { skip: process.platform === 'win32' }, () => {
  const dir = tmpDir();
  const real = path.join(dir, 'real.bin');
  const link = path.join(dir, 'link.bin');
  fs.writeFileSync(real, 'old');
  fs.symlinkSync(real, link);
  writeFileAtomic(link, 'new');
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.equal(fs.readFileSync(real, 'utf8'), 'new');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['link.bin', 'real.bin']);
});

test('a process killed in the middle of writeFileAtomic leaves the old target intact', { skip: process.platform === 'win32' }, () => {
  const dir = tmpDir();
  const file = path.join(dir, 'ckpt.safetensors');
  fs.writeFileSync(file, 'OLD');
  const filesTs = fileURLToPath(new URL('../../src/io/files.ts', import.meta.url));
  // The child writes half of the new data, then dies with SIGKILL (no cleanup can run).
  const script = `
    import fs from 'node:fs';
    const { writeFileAtomic } = await import(${JSON.stringify(filesTs)});
    const real = fs.writeSync;
    fs.writeSync = (fd, buf, off, len) => { real(fd, buf, off, Math.ceil(len / 2)); process.kill(process.pid, 'SIGKILL'); };
    writeFileAtomic(${JSON.stringify(file)}, new Uint8Array(1 << 20).fill(65));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, 'SIGKILL', `child should have been killed: status ${r.status} ${r.stderr}`);
  assert.equal(fs.readFileSync(file, 'utf8'), 'OLD');
  // the crash leaves a stray temp file (hidden, .tmp), never a partial target
  const others = fs.readdirSync(dir).filter((f) => f !== 'ckpt.safetensors');
  assert.equal(others.length, 1);
  assert.match(others[0]!, /^\.ckpt\.safetensors\.\d+\.\d+\.tmp$/);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
