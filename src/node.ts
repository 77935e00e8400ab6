/**
 * recur for Node.js: everything in the package root, with `io` and `data` extended by what
 * needs the file system (safetensors files, atomic writes, the npm corpora, text files).
 * `import { nn, io, data } from 'recur/node'`. The root entry stays browser-safe.
 */
export * from './index.js';
// Explicit exports take precedence over the same names re-exported by `export *`.
export * as io from './io/node.js';
export * as data from './data/node.js';
export * as interop from './interop/index.js';
export * as audio from './audio/node.js';
