/**
 * `npm run test:browser`: recur in headless Chromium, twice.
 *
 *   node --import tsx test/browser/run.ts [--keep] [--skip-without-chromium]
 *
 * 1. Bundles test/browser/page.ts (which imports the package entry, src/index.ts) with esbuild
 *    for the browser platform: any Node-only module on the library path (node:fs, …) fails the
 *    build. The .wasm builds (`npm run build:wasm`) are copied next to the bundle, where the
 *    loader fetches them from (`new URL('./generated/…', import.meta.url)`).
 * 2. Serves it from a local http server, once WITH cross-origin isolation (COOP same-origin +
 *    COEP require-corp: SharedArrayBuffer, shared wasm memory, the GEMM worker; .wasm fetched)
 *    and once WITHOUT (non-shared memory, one thread; the .wasm is NOT served, so the loader's
 *    fallback to the base64 copy inside the bundle is what loads it).
 * 3. Starts Chromium (CHROMIUM env, else /usr/bin/chromium; Debian: `apt-get install chromium`)
 *    headless on the page; the page POSTs its log lines and a final report (protocol.ts) back.
 *    No DevTools protocol, no npm browser package.
 *
 * Fails (exit 1) on a page failure (golden mismatch, loss not falling, GEMM error, uncaught
 * error), when the mode is not what the headers ask for (threads with isolation, none without),
 * or when the page does not report within the timeout. Timings are printed, never asserted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { PageReport } from './protocol.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GENERATED = join(ROOT, 'src/kernels/wasm/generated');
const FIXTURES = join(ROOT, 'fixtures/rnn');
const TIMEOUT_MS = Number(process.env.RECUR_BROWSER_TIMEOUT_MS) || 180_000;
const keep = process.argv.includes('--keep');
/** `npm test` passes this: no Chromium is a loud skip, unless RECUR_REQUIRE_BROWSER=1 (.ci/run). */
const skipWithoutChromium = process.argv.includes('--skip-without-chromium');

/** Modules that must never reach the browser bundle (they are Node-only by design). */
const NODE_ONLY_INPUTS = ['src/data/corpora.ts', 'src/data/text-file.ts', 'src/io/files.ts', 'src/train/', 'src/cli/'];

function die(msg: string): never {
  console.error(`test:browser: ${msg}`);
  process.exit(1);
}

function findChromium(): string {
  const cands = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  const hit = cands.find((p) => existsSync(p));
  if (hit) return hit;
  const msg = `no Chromium found (tried ${cands.join(', ')}); install it with \`apt-get install -y chromium\` or set CHROMIUM=/path`;
  if (skipWithoutChromium && process.env.RECUR_REQUIRE_BROWSER !== '1') {
    console.log(`# test:browser: SKIPPED, ${msg}`);
    process.exit(0);
  }
  die(msg);
}

async function bundle(out: string): Promise<{ bytes: number }> {
  for (const v of ['relaxed', 'simd']) {
    if (!existsSync(join(GENERATED, `recur-${v}.wasm`))) die('wasm kernels not built: run `npm run build:wasm` first');
  }
  const r = await build({
    entryPoints: [join(ROOT, 'test/browser/page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(out, 'page.js'),
    metafile: true,
    logLevel: 'error',
  });
  const inputs = Object.keys(r.metafile.inputs);
  const bad = inputs.filter((p) => NODE_ONLY_INPUTS.some((n) => p.includes(n)));
  if (bad.length) die(`Node-only modules in the browser bundle: ${bad.join(', ')}`);
  mkdirSync(join(out, 'generated'), { recursive: true });
  for (const v of ['relaxed', 'simd']) copyFileSync(join(GENERATED, `recur-${v}.wasm`), join(out, 'generated', `recur-${v}.wasm`));
  return { bytes: Object.values(r.metafile.outputs).reduce((s, o) => s + o.bytes, 0) };
}

const INDEX_HTML = '<!doctype html><meta charset="utf-8"><title>recur browser check</title><script type="module" src="/page.js"></script>\n';
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream', '.html': 'text/html' };

interface Run {
  isolated: boolean;
  server: Server;
  port: number;
  served: string[];
  report: Promise<PageReport>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function serve(dist: string, isolated: boolean, label: string): Promise<Run> {
  const served: string[] = [];
  let done!: (r: PageReport) => void;
  const report = new Promise<PageReport>((r) => (done = r));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const headers: Record<string, string> = { 'cache-control': 'no-store' };
      if (isolated) {
        headers['cross-origin-opener-policy'] = 'same-origin';
        headers['cross-origin-embedder-policy'] = 'require-corp';
        headers['cross-origin-resource-policy'] = 'same-origin';
      }
      if (req.method === 'POST') {
        const body = await readBody(req);
        if (url.pathname === '/log') console.log(`  [${label}] ${body}`);
        else if (url.pathname === '/done') {
          try {
            done(JSON.parse(body) as PageReport);
          } catch {
            done({ ok: false, failures: [`unreadable report: ${body.slice(0, 200)}`] });
          }
        }
        res.writeHead(204, headers).end();
        return;
      }
      let file: string | null = null;
      if (url.pathname === '/' || url.pathname === '/index.html') {
        res.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(INDEX_HTML);
        return;
      }
      // Without isolation the .wasm is not served: the loader must fall back to the copy embedded
      // in the bundle (generated/bytes.ts), so both ways of loading are covered.
      if (url.pathname === '/page.js' || (isolated && url.pathname.startsWith('/generated/'))) file = join(dist, normalize(url.pathname));
      else if (url.pathname.startsWith('/fixtures/rnn/')) file = join(FIXTURES, normalize(url.pathname.slice('/fixtures/rnn/'.length)));
      if (file && !file.includes('..') && existsSync(file)) {
        served.push(url.pathname);
        res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
      } else {
        served.push(`404 ${url.pathname}`);
        res.writeHead(404, headers).end();
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { isolated, server, port: (server.address() as AddressInfo).port, served, report };
}

function launch(chromium: string, url: string, profile: string): ChildProcess {
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage', '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    '--mute-audio', `--user-data-dir=${profile}`, url,
  ];
  // Own process group, so the whole browser (zygote, renderer, gpu) is stopped by its id.
  return spawn(chromium, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
}

function stop(p: ChildProcess): void {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  try {
    process.kill(-p.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function runMode(chromium: string, dist: string, isolated: boolean): Promise<{ report: PageReport; seconds: number }> {
  const label = isolated ? 'isolated' : 'not isolated';
  const run = await serve(dist, isolated, label);
  const profile = mkdtempSync(join(tmpdir(), 'recur-chromium-'));
  const t0 = Date.now();
  const browser = launch(chromium, `http://127.0.0.1:${run.port}/`, profile);
  let stderr = '';
  browser.stderr?.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4000); });
  const exited = new Promise<PageReport>((r) => browser.on('exit', (code, sig) =>
    r({ ok: false, failures: [`Chromium exited (code ${code}, signal ${sig}) before the page reported; stderr tail:\n${stderr}`] })));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<PageReport>((r) => {
    timer = setTimeout(() => r({ ok: false, failures: [`no report within ${TIMEOUT_MS / 1000} s; Chromium stderr tail:\n${stderr}`] }), TIMEOUT_MS);
  });
  console.log(`# ${label}: http://127.0.0.1:${run.port}/ ${isolated ? '(COOP same-origin, COEP require-corp)' : '(no COOP/COEP headers)'}`);
  const report = await Promise.race([run.report, exited, timeout]);
  clearTimeout(timer);
  stop(browser);
  run.server.close();
  rmSync(profile, { recursive: true, force: true });
  const seconds = (Date.now() - t0) / 1000;

  // What the headers promise.
  const i = report.info;
  if (i) {
    const expect = (cond: boolean, msg: string): void => {
      if (!cond) {
        report.ok = false;
        report.failures.push(msg);
      }
    };
    expect(i.backend === 'wasm', `backend is '${i.backend}', expected wasm`);
    expect(i.crossOriginIsolated === isolated, `crossOriginIsolated is ${i.crossOriginIsolated}`);
    expect(i.sharedMemory === isolated, `wasm memory shared=${i.sharedMemory}, expected ${isolated}`);
    if (isolated && i.maxThreads >= 2) expect(i.workersReady >= 1, 'cross-origin isolated, but no GEMM worker started');
    if (!isolated) expect(i.workersReady === 0, `not isolated, yet ${i.workersReady} workers`);
    const fetched = run.served.some((p) => p.startsWith('/generated/') && p.endsWith('.wasm'));
    if (isolated) expect(fetched, 'the .wasm was not fetched (fell back to the embedded copy)');
    else expect(!fetched && run.served.some((p) => p.startsWith('404 /generated/')), 'expected a failed .wasm fetch and the embedded fallback');
    console.log(`#   wasm loaded from ${fetched ? 'fetch (/generated/*.wasm)' : 'the base64 copy embedded in the bundle (fetch got 404)'}`);
  }
  console.log(`# ${label}: ${report.ok ? 'ok' : 'FAILED'} in ${seconds.toFixed(1)} s (page ${((report.ms ?? 0) / 1000).toFixed(1)} s)`);
  for (const f of report.failures.slice(0, 20)) console.log(`#   failure: ${f}`);
  if (report.failures.length > 20) console.log(`#   … and ${report.failures.length - 20} more failures`);
  return { report, seconds };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const chromium = findChromium();
  const dist = mkdtempSync(join(tmpdir(), 'recur-browser-'));
  try {
    const { bytes } = await bundle(dist);
    console.log(`# bundle: ${(bytes / 1024).toFixed(0)} KiB (${dist}), Chromium: ${chromium}`);
    const results = [];
    for (const isolated of [true, false]) results.push({ isolated, ...(await runMode(chromium, dist, isolated)) });
    console.log('\n# test:browser summary');
    for (const r of results) {
      const i = r.report.info, g = r.report.gemm;
      const mode = r.isolated ? 'isolated    ' : 'not isolated';
      console.log(`#   ${mode} ${r.report.ok ? 'ok    ' : 'FAILED'} ${r.seconds.toFixed(1)} s` +
        (i ? `; ${i.backend}/${i.variant}, shared=${i.sharedMemory}, workers=${i.workersReady}` : '') +
        (r.report.golden ? `; golden max rel ${r.report.golden.maxRelError.toExponential(2)}` : '') +
        (r.report.train ? `; loss ${r.report.train.first.toFixed(2)}->${r.report.train.last.toFixed(2)}` : '') +
        (g ? `; GEMM ${g.gflops.toFixed(1)} GFLOP/s${g.singleGflops !== null ? ` (1 thread ${g.singleGflops.toFixed(1)})` : ''}` : ''));
    }
    console.log(`#   total ${((Date.now() - t0) / 1000).toFixed(1)} s; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')} on ${availableParallelism()} cores (timings are printed, never asserted)`);
    if (results.some((r) => !r.report.ok)) process.exitCode = 1;
  } finally {
    if (keep) console.log(`# kept ${dist}`);
    else rmSync(dist, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => die(e instanceof Error ? e.stack ?? e.message : String(e)));
