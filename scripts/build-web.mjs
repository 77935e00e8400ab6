#!/usr/bin/env node
// Builds the web app (web/) into a static folder with esbuild: app.js and train-worker.js (ES
// modules, the library bundled in), index.html, style.css and the .wasm kernels beside them.
//
//   node scripts/build-web.mjs [--out DIR] [--demo]
//
// Default --out is dist/web-app, which `recur serve` serves. --demo also writes runs.json and
// runs/demo/best.safetensors (web/demo/), so the folder works on any static host.
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
if (demo) {
  mkdirSync(join(out, 'runs', 'demo'), { recursive: true });
  copyFileSync('web/demo/best.safetensors', join(out, 'runs', 'demo', 'best.safetensors'));
  writeFileSync(join(out, 'runs.json'), JSON.stringify([{ name: 'demo', task: 'lm', checkpoints: ['best.safetensors'] }]));
}
let gz = 0;
for (const f of ['app.js', 'train-worker.js', 'index.html', 'style.css']) gz += gzipSync(readFileSync(join(out, f))).length;
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
console.log(`build:web: ${out} (${kb(statSync(join(out, 'app.js')).size)} app.js; ${kb(gz)} gzipped without models${demo ? '; demo run included' : ''})`);
