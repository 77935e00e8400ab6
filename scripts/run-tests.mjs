#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (TypeScript through tsx).
// Extra arguments filter by path substring: `node scripts/run-tests.mjs rnn optim`.
//
// Backends: `--backend js|wasm|native` runs the suite with RECUR_BACKEND set (the default is
// whatever recur picks on its own); `--backend all` runs it once per backend, one after the
// other: wasm and native in full (native is skipped, with a message, when the addon is not
// built) and js on the JS_SUBSET below unless `--js-full` (the reference backend is slow on the
// training-sized tests). Filters apply to every run. A summary with the time of each run
// is printed at the end; the exit code is non-zero if any run failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Test files the js-backend run keeps under `--backend all` (path substrings). */
const JS_SUBSET = ['test/kernels/', 'test/autograd/', 'test/tensor/', 'test/nn/', 'test/optim/', 'test/rnn/golden', 'test/rnn/layers',
  'test/rnn/errors', 'test/rnn/gradcheck', 'test/io/', 'test/text/', 'test/decode/'];
const BACKENDS = ['js', 'wasm', 'native'];
const NATIVE_ADDON = 'native/build/Release/recur_native.node';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const backends = [];
let jsFull = false;
const filters = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--backend' || a.startsWith('--backend=')) {
    const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
    if (v === 'all') backends.push(...BACKENDS);
    else if (BACKENDS.includes(v)) backends.push(v);
    else {
      console.error(`run-tests: unknown backend '${v}' (use ${BACKENDS.join(', ')} or all)`);
      process.exit(2);
    }
  } else if (a === '--js-full') jsFull = true;
  else filters.push(a);
}
const all = args.some((a) => a === 'all' || a === '--backend=all');

const files = find('test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

function run(backend) {
  const env = { ...process.env };
  let list = files;
  if (backend) {
    env.RECUR_BACKEND = backend;
    if (backend === 'js' && all && !jsFull) list = files.filter((f) => JS_SUBSET.some((s) => f.includes(s)));
  }
  if (list.length === 0) return { backend, status: 0, seconds: 0, files: 0 };
  if (backend) console.log(`\n# ---- RECUR_BACKEND=${backend}: ${list.length} test files ----`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...list], { stdio: 'inherit', env });
  return { backend, status: r.status ?? 1, seconds: (Date.now() - t0) / 1000, files: list.length };
}

if (backends.length === 0) process.exit(run(null).status);

const results = [];
for (const b of backends) {
  if (b === 'native' && !existsSync(NATIVE_ADDON)) {
    console.log(`\n# ---- RECUR_BACKEND=native: skipped, the addon is not built (npm run build:native; needs libopenblas-dev) ----`);
    results.push({ backend: b, status: 0, seconds: 0, files: 0, skipped: true });
    continue;
  }
  results.push(run(b));
}
console.log('\n# backends:');
for (const r of results) {
  const what = r.skipped ? 'skipped (not built)' : `${r.status === 0 ? 'ok' : 'FAILED'}, ${r.files} files, ${r.seconds.toFixed(1)} s`;
  console.log(`#   ${r.backend.padEnd(7)} ${what}`);
}
process.exit(results.some((r) => r.status !== 0) ? 1 : 0);
