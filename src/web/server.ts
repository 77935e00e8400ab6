/**
 * The local web app's server (`recur serve`): the static app bundle plus the checkpoints of the
 * run directories it was given, read-only, and nothing else.
 *
 * | route | what |
 * |---|---|
 * | GET /, /index.html, /app.js, ... | files of the bundle folder (build/web by `npm run build`) |
 * | GET /runs.json | the runs: name, task, and which checkpoints each has |
 * | GET /runs/NAME/best.safetensors (last, metrics.jsonl) | that file of run NAME |
 *
 * Every response carries COOP/COEP, so the page is cross-origin isolated and the WebAssembly
 * backend gets its worker thread. Paths are decoded once; a `..` segment, an encoded slash or
 * backslash, a NUL, or a file whose real path (symlinks resolved) leaves its folder is a 404,
 * as is anything not listed above. Only GET and HEAD are answered.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, resolve, sep } from 'node:path';
import { RecurError } from '../errors.js';
import { readSafetensorsMetadata } from '../io/files.js';

export interface ServeOptions {
  /** The app bundle folder (index.html, app.js, ...). */
  appDir: string;
  /** Run directories to serve, each by the name of its folder. */
  runs: string[];
  host?: string;
  port?: number;
}

export interface RunListing {
  name: string;
  task: string;
  checkpoints: string[];
}

const RUN_FILES = ['best.safetensors', 'last.safetensors', 'metrics.jsonl'] as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream',
  '.jsonl': 'application/x-ndjson', '.svg': 'image/svg+xml', '.png': 'image/png', '.txt': 'text/plain; charset=utf-8',
};

/** The decoded path's segments, or null when the request path is not one this server can answer safely. */
export function safeSegments(rawUrl: string): string[] | null {
  const path = rawUrl.split('?')[0]!.split('#')[0]!;
  // Encoded separators would become separators only after decoding: refuse them outright.
  if (/%(2f|5c|00)/i.test(path) || path.includes('\\') || path.includes('\0')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/')) return null;
  const segs = decoded.split('/').filter((s) => s !== '');
  if (segs.some((s) => s === '..' || s === '.' || s.includes('\0'))) return null;
  return segs;
}

/** `file` if its real path lies inside `root` (a real path), else null. */
function inside(root: string, file: string): string | null {
  if (!existsSync(file)) return null;
  const real = realpathSync(file);
  if (real !== root && !real.startsWith(root + sep)) return null;
  return statSync(real).isFile() ? real : null;
}

function runName(dir: string, taken: Set<string>): string {
  let name = basename(resolve(dir)) || 'run';
  for (let i = 2; taken.has(name); i++) name = `${basename(resolve(dir))}-${i}`;
  taken.add(name);
  return name;
}

function listRun(name: string, dir: string): RunListing {
  const root = realpathSync(dir);
  const checkpoints = RUN_FILES.filter((f) => f.endsWith('.safetensors') && inside(root, join(dir, f)) !== null);
  if (checkpoints.length === 0) throw new RecurError(`${dir}: no checkpoint (best.safetensors or last.safetensors) to serve`);
  const path = join(dir, checkpoints[0]!);
  let task: unknown;
  try {
    task = (JSON.parse(readSafetensorsMetadata(path).config ?? 'null') as { task?: unknown } | null)?.task;
  } catch {
    task = undefined;
  }
  if (typeof task !== 'string') throw new RecurError(`${path}: not a recur checkpoint (no task in its config)`);
  return { name, task, checkpoints };
}

export interface WebServer {
  server: Server;
  url: string;
  runs: RunListing[];
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. Run directories are checked before it starts. */
export async function startWebServer(o: ServeOptions): Promise<WebServer> {
  if (!existsSync(join(o.appDir, 'index.html'))) {
    throw new RecurError(`the web app is not built (no ${join(o.appDir, 'index.html')}): run \`npm run build\``);
  }
  const taken = new Set<string>();
  const dirs = new Map<string, string>();
  const runs: RunListing[] = [];
  for (const d of o.runs) {
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new RecurError(`${d}: not a run directory`);
    const name = runName(d, taken);
    dirs.set(name, realpathSync(d));
    runs.push(listRun(name, d));
  }
  const listing = Buffer.from(JSON.stringify(runs));
  const appRoot = realpathSync(o.appDir);

  const send = (req: IncomingMessage, res: ServerResponse, status: number, type: string, body: Buffer, cache: string): void => {
    res.writeHead(status, {
      'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': cache,
      'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin', 'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const notFound = (req: IncomingMessage, res: ServerResponse): void => send(req, res, 404, 'text/plain; charset=utf-8', Buffer.from('not found\n'), 'no-store');

  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const segs = safeSegments(req.url ?? '/');
    if (segs === null) return notFound(req, res);
    if (segs.length === 1 && segs[0] === 'runs.json') return send(req, res, 200, TYPES['.json']!, listing, 'no-store');
    if (segs[0] === 'runs') {
      const dir = segs.length === 3 ? dirs.get(segs[1]!) : undefined;
      const file = segs[2] as (typeof RUN_FILES)[number];
      const real = dir && RUN_FILES.includes(file) ? inside(dir, join(dir, file)) : null;
      if (!real) return notFound(req, res);
      return send(req, res, 200, TYPES[extname(real)] ?? 'application/octet-stream', readFileSync(real), 'no-store');
    }
    const rel = segs.length === 0 ? ['index.html'] : segs;
    const real = inside(appRoot, join(appRoot, ...rel));
    if (!real) return notFound(req, res);
    send(req, res, 200, TYPES[extname(real)] ?? 'application/octet-stream', readFileSync(real), 'no-cache');
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(new RecurError(`cannot listen on ${host}:${o.port ?? 8080}: ${e.code ?? e.message}`)));
    server.listen(o.port ?? 8080, host, ok);
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server, runs, url: `http://${shown}:${addr.port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
