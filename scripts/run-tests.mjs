#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (TypeScript through tsx).
// Extra arguments filter by path substring: `node scripts/run-tests.mjs rnn optim`.
//
// Backends: `--backend js|wasm|native` runs the suite with RECUR_BACKEND set (without it, on
// whatever recur picks by default). `--backend all`, or the option repeated, runs the whole suite
// once per backend, one after the other (native is skipped, with a message, when the addon is
// not built; with RECUR_REQUIRE_NATIVE=1, as .ci/run sets, that is a failure), then prints the
// time of each run; the exit code is non-zero if any run failed.
// Filters apply to every run: `node scripts/run-tests.mjs --backend all rnn`.
//
// Suites that use no kernel (test/helpers/backend-independent.ts) run in the first backend pass
// only; `--skip-backend-independent` skips them in every pass (.ci/run, after npm test ran them).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
const filters = [];
let skipIndependent = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--skip-backend-independent') skipIndependent = true;
  else if (a === '--backend' || a.startsWith('--backend=')) {
    const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
    if (v === 'all') backends.push(...BACKENDS);
    else if (BACKENDS.includes(v)) backends.push(v);
    else {
      console.error(`run-tests: unknown backend '${v}' (use ${BACKENDS.join(', ')} or all)`);
      process.exit(2);
    }
  } else filters.push(a);
}

const files = find('test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

function run(backend, skipBackendIndependent) {
  const env = { ...process.env };
  if (skipBackendIndependent || skipIndependent) env.RECUR_SKIP_BACKEND_INDEPENDENT = '1';
  if (backend) {
    env.RECUR_BACKEND = backend;
    console.log(`\n# ---- RECUR_BACKEND=${backend}: ${files.length} test files ----`);
  }
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], { stdio: 'inherit', env });
  return { backend, status: r.status ?? 1, seconds: (Date.now() - t0) / 1000, files: files.length };
}

if (backends.length === 0) process.exit(run(null).status);

const results = [];
for (const b of new Set(backends)) {
  if (b === 'native' && !existsSync(NATIVE_ADDON) && process.env.RECUR_REQUIRE_NATIVE === '1') {
    console.log(`\n# ---- RECUR_BACKEND=native: FAILED, the addon is not built and RECUR_REQUIRE_NATIVE=1 (.ci/run) ----`);
    results.push({ backend: b, status: 1, seconds: 0, files: 0 });
    continue;
  }
  if (b === 'native' && !existsSync(NATIVE_ADDON)) {
    console.log(`\n# ---- RECUR_BACKEND=native: skipped, the addon is not built (npm run build:native; needs libopenblas-dev) ----`);
    results.push({ backend: b, status: 0, seconds: 0, files: 0, skipped: true });
    continue;
  }
  results.push(run(b, results.some((r) => !r.skipped)));
}
console.log('\n# backends:');
for (const r of results) {
  const what = r.skipped ? 'skipped (not built)' : `${r.status === 0 ? 'ok' : 'FAILED'}, ${r.files} files, ${r.seconds.toFixed(1)} s`;
  console.log(`#   ${r.backend.padEnd(7)} ${what}`);
}
process.exit(results.some((r) => r.status !== 0) ? 1 : 0);
