#!/usr/bin/env node
// Builds the web app (web/) into a static folder with esbuild: app.js and train-worker.js (ES
// modules, the library bundled in), index.html, style.css and the .wasm kernels beside them.
//
//   node scripts/build-web.mjs [--out DIR] [--demo]
//
// Default --out is dist/web-app, which `recur serve` serves. --demo also writes runs.json and
// runs/NAME/*.safetensors (the LM demo of web/demo/ and the tiny runs of fixtures/web-runs/),
// so the folder works on any static host with a run for every pane.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : 'dist/web-app';
const demo = args.includes('--demo');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: 'web/app.ts', 'train-worker': 'web/train-worker.ts' },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
});
// The visualiser's single-file page inlines this classic script (src/cli/visualize.ts).
await build({
  entryPoints: { viz: 'web/viz-standalone.ts' }, outdir: out, bundle: true, format: 'iife', platform: 'browser',
  target: 'es2022', minify: true, logLevel: 'warning',
});
for (const f of ['index.html', 'style.css']) copyFileSync(join('web', f), join(out, f));
const gen = 'src/kernels/wasm/generated';
if (existsSync(gen)) {
  mkdirSync(join(out, 'generated'), { recursive: true });
  for (const f of readdirSync(gen)) if (f.endsWith('.wasm')) copyFileSync(join(gen, f), join(out, 'generated', f));
}
// The task a checkpoint holds, from its safetensors header (8-byte length, then JSON).
function taskOf(path) {
  const bytes = readFileSync(path);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
  return JSON.parse(header.__metadata__.config).task;
}
if (demo) {
  // The LM demo, and the tiny runs of the other panes (fixtures/web-runs, made by
  // scripts/fixtures/gen-web-runs-*.ts) so that every pane has something to run. The AFINN
  // classify run is only there for the test that the app refuses it.
  const runs = [{ name: 'demo', dir: 'web/demo' }];
  const fixtures = 'fixtures/web-runs';
  if (existsSync(fixtures)) {
    for (const name of readdirSync(fixtures).sort()) if (name !== 'classify-afinn') runs.push({ name, dir: join(fixtures, name) });
  }
  const listed = [];
  for (const { name, dir } of runs) {
    const checkpoints = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
    if (checkpoints.length === 0) continue;
    mkdirSync(join(out, 'runs', name), { recursive: true });
    for (const f of checkpoints) copyFileSync(join(dir, f), join(out, 'runs', name, f));
    listed.push({ name, task: taskOf(join(dir, checkpoints[0])), checkpoints });
  }
  writeFileSync(join(out, 'runs.json'), JSON.stringify(listed));
}
let gz = 0;
for (const f of ['app.js', 'train-worker.js', 'index.html', 'style.css']) gz += gzipSync(readFileSync(join(out, f))).length;
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
console.log(`build:web: ${out} (${kb(statSync(join(out, 'app.js')).size)} app.js; ${kb(gz)} gzipped without models${demo ? '; demo runs included' : ''})`);
