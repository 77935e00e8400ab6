#!/usr/bin/env node
// Builds the optional native backend (native/build/Release/recur_native.node) with node-gyp.
//
//   npm run build:native
//
// Needs a C compiler, make, python3 and OpenBLAS with its cblas.h (Debian/Ubuntu:
// `apt-get install libopenblas-dev`). Uses the node-gyp that npm ships (no extra dependency) and
// this Node's own headers when they are installed next to it (<prefix>/include/node), so nothing
// is downloaded. Exits non-zero if the build fails; recur then keeps using WebAssembly.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp, // set by npm for scripts
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'), // Windows layout
  ];
  return candidates.find((p) => p && existsSync(p));
}

const gyp = nodeGyp();
if (!gyp) {
  console.error('build:native: node-gyp not found (it ships with npm); run this through `npm run build:native`');
  process.exit(1);
}
const args = [gyp, 'rebuild', '--jobs=max'];
const prefix = join(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);
else if (process.env.npm_config_nodedir) args.push(`--nodedir=${process.env.npm_config_nodedir}`);

const r = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('build:native: failed. It needs a C compiler, make, python3 and OpenBLAS headers ' +
    '(Debian/Ubuntu: `apt-get install build-essential python3 libopenblas-dev`). recur works without it (WebAssembly backend).');
  process.exit(r.status ?? 1);
}
console.log('build:native: built native/build/Release/recur_native.node');
