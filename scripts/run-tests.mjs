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
//
// `--leave-out B:PATH,PATH` leaves the files whose path contains one of the PATHs out of backend
// B's pass (repeatable). .ci/run leaves the CLI end-to-end files out of the js and wasm passes
// (the CLI is the same code on every backend, and npm test ran it on the default one), and out
// of the js pass the task and interop suites, the H=256 PyTorch goldens (test/rnn/golden.test.ts
// checks the reference against PyTorch at small sizes) and the training test/rnn/memory.test.ts:
// every backend's kernels are checked against the js reference by test/kernels, and those
// backends against PyTorch at full size by the suites left out here.
//
// `--parallel` runs the backend passes at the same time, each child's output held and printed
// whole when it ends (.ci/run: js and wasm on two cores; the tests bound no wall time tightly).
//
// Within a pass, test files run two at a time on a machine with two cores or more
// (`--concurrency N` to change; 1 with --parallel): most files spend their time in one thread,
// much of it starting tsx and CLI child processes. The files under SERIAL then run one at a
// time, alone: they time a Chromium page's event loop.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const SERIAL = ['test/web/'];

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

/** The value of `--name v` / `--name=v` at args[i]; i is advanced past it. */
function optionValue(args, i) {
  const a = args[i.value];
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i.value];
}

function backendList(v) {
  if (v === 'all') return BACKENDS;
  if (BACKENDS.includes(v)) return [v];
  console.error(`run-tests: unknown backend '${v}' (use ${BACKENDS.join(', ')} or all)`);
  process.exit(2);
}

const args = process.argv.slice(2);
const backends = [];
const leaveOut = new Map(); // backend -> path substrings
const filters = [];
let skipIndependent = false, parallel = false, concurrency = null;
for (const i = { value: 0 }; i.value < args.length; i.value++) {
  const a = args[i.value];
  if (a === '--skip-backend-independent') skipIndependent = true;
  else if (a === '--parallel') parallel = true;
  else if (a === '--concurrency' || a.startsWith('--concurrency=')) {
    concurrency = Number(optionValue(args, i));
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      console.error(`run-tests: --concurrency takes a positive integer, got '${args[i.value]}'`);
      process.exit(2);
    }
  }
  else if (a === '--backend' || a.startsWith('--backend=')) backends.push(...backendList(optionValue(args, i)));
  else if (a === '--leave-out' || a.startsWith('--leave-out=')) {
    const v = optionValue(args, i), colon = v.indexOf(':');
    if (colon < 0) {
      console.error(`run-tests: --leave-out takes BACKEND:PATH[,PATH...], got '${v}'`);
      process.exit(2);
    }
    for (const b of backendList(v.slice(0, colon))) leaveOut.set(b, [...(leaveOut.get(b) ?? []), ...v.slice(colon + 1).split(',').filter(Boolean)]);
  }
  else filters.push(a);
}

const files = find('test').filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

/** One pass: its command, environment and heading. */
function pass(backend, skipBackendIndependent) {
  const env = { ...process.env };
  if (skipBackendIndependent || skipIndependent) env.RECUR_SKIP_BACKEND_INDEPENDENT = '1';
  const out = leaveOut.get(backend) ?? [];
  const own = files.filter((f) => !out.some((p) => f.includes(p)));
  let heading = null;
  if (backend) {
    env.RECUR_BACKEND = backend;
    const left = files.length - own.length;
    heading = `\n# ---- RECUR_BACKEND=${backend}: ${own.length} test files${left ? ` (${left} left out: ${out.join(' ')})` : ''} ----`;
  }
  return { backend, env, heading, own, files: own.length };
}

/** The node --test command lines of a pass: its files `jobs` at a time, then the SERIAL ones alone. */
function commands(p, jobs) {
  const serial = p.own.filter((f) => SERIAL.some((s) => f.includes(s)));
  const rest = jobs > 1 ? p.own.filter((f) => !serial.includes(f)) : p.own;
  const run = (fs, n) => ['--import', 'tsx', '--test', `--test-concurrency=${n}`, ...fs];
  return [...(rest.length ? [run(rest, jobs)] : []), ...(jobs > 1 && serial.length ? [run(serial, 1)] : [])];
}

function runNow(p) {
  if (p.heading) console.log(p.heading);
  const t0 = Date.now();
  let status = 0;
  for (const argv of commands(p, concurrency ?? Math.min(2, availableParallelism()))) {
    const r = spawnSync(process.execPath, argv, { stdio: 'inherit', env: p.env });
    if (r.status !== 0) status = r.status ?? 1;
  }
  return { backend: p.backend, status, seconds: (Date.now() - t0) / 1000, files: p.files };
}

/** Starts a pass with its output held; resolves to its result and that output. */
async function runHeld(p) {
  const t0 = Date.now();
  const chunks = [];
  let status = 0;
  // The passes already share the cores: one file at a time in each, unless --concurrency.
  for (const argv of commands(p, concurrency ?? 1)) {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: p.env });
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    if (code !== 0) status = code ?? 1;
  }
  return {
    result: { backend: p.backend, status, seconds: (Date.now() - t0) / 1000, files: p.files },
    output: Buffer.concat(chunks).toString(),
  };
}

if (backends.length === 0) process.exit(runNow(pass(null, false)).status);

const results = [];
const passes = [];
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
  // Backend-independent suites run in the first pass that runs at all.
  passes.push(pass(b, results.some((r) => !r.skipped) || passes.length > 0));
}
if (parallel) {
  const t0 = Date.now();
  const held = passes.map(runHeld);
  for (const h of held) {
    const { result, output } = await h;
    const p = passes.find((q) => q.backend === result.backend);
    if (p.heading) console.log(p.heading);
    process.stdout.write(output);
    results.push(result);
  }
  console.log(`\n# ${passes.length} passes in parallel: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
} else {
  for (const p of passes) results.push(runNow(p));
}
console.log('\n# backends:');
for (const r of results) {
  const what = r.skipped ? 'skipped (not built)' : `${r.status === 0 ? 'ok' : 'FAILED'}, ${r.files} files, ${r.seconds.toFixed(1)} s`;
  console.log(`#   ${r.backend.padEnd(7)} ${what}`);
}
process.exit(results.some((r) => r.status !== 0) ? 1 : 0);
