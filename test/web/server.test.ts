import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { safeSegments, startWebServer, type WebServer } from '../../src/web/server.js';

/** A raw GET (no client-side URL normalisation, so `..` and encodings reach the server as written). */
function get(url: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('recur serve: only the bundle and the named runs, read-only', () => {
  let s: WebServer;
  const root = mkdtempSync(join(tmpdir(), 'recur-serve-'));
  const app = join(root, 'app'), run = join(root, 'demo'), secret = join(root, 'secret.txt');
  before(async () => {
    mkdirSync(app);
    mkdirSync(run);
    writeFileSync(join(app, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(app, 'app.js'), 'console.log(1)');
    writeFileSync(secret, 'do not serve');
    copyFileSync('web/demo/best.safetensors', join(run, 'best.safetensors'));
    writeFileSync(join(run, 'notes.txt'), 'not a run file');
    symlinkSync(secret, join(app, 'leak.txt'));
    symlinkSync(secret, join(run, 'last.safetensors'));
    s = await startWebServer({ appDir: app, runs: [run], port: 0 });
  });
  after(() => s.close());

  it('binds to localhost by default and lists the runs with their task', async () => {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await get(s.url, '/runs.json');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), [{ name: 'demo', task: 'lm', checkpoints: ['best.safetensors'] }]);
  });

  it('serves the bundle and run checkpoints with cross-origin isolation headers', async () => {
    for (const path of ['/', '/app.js', '/runs/demo/best.safetensors']) {
      const r = await get(s.url, path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
      assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
    }
  });

  it('answers 404 to every path that tries to leave the bundle or a run', async () => {
    const escapes = [
      '/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/app.js/..%5c..%5csecret.txt',
      '/runs/demo/..%2f..%2fsecret.txt', '/runs/demo/../../secret.txt', '/runs/demo/%2e%2e/notes.txt', '/runs/../secret.txt',
      '/leak.txt', '/runs/demo/last.safetensors', '/runs/demo/notes.txt', '/runs/nope/best.safetensors', '/runs/demo',
      '/%00', '/index.html%00.js', '/%E0%A4%A', `/${encodeURIComponent(secret)}`, '//etc/passwd',
    ];
    for (const path of escapes) {
      const r = await get(s.url, path);
      assert.equal(r.status, 404, `${path} -> ${r.status}`);
      assert.doesNotMatch(r.body, /do not serve/);
    }
  });

  it('is read-only: only GET and HEAD', async () => {
    for (const m of ['POST', 'PUT', 'DELETE']) assert.equal((await get(s.url, '/runs/demo/best.safetensors', m)).status, 405, m);
    const h = await get(s.url, '/app.js', 'HEAD');
    assert.equal(h.status, 200);
    assert.equal(h.body, '');
  });

  it('refuses a folder without a checkpoint, naming it', async () => {
    await assert.rejects(startWebServer({ appDir: app, runs: [app], port: 0 }), /app: no checkpoint \(best\.safetensors or last\.safetensors\) to serve/);
  });

  it('decodes paths once and rejects dot segments', () => {
    assert.deepEqual(safeSegments('/runs/a%20b/best.safetensors?x=1'), ['runs', 'a b', 'best.safetensors']);
    assert.equal(safeSegments('/a/%2e%2e/b'), null);
    assert.equal(safeSegments('/a/%2F/b'), null);
  });
});
