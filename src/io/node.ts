/** Node-only I/O: safetensors files and atomic writes. Everything in `./index.js` is re-exported. */
export * from './index.js';
export { readFileBytes, readSafetensorsFile, readSafetensorsMetadata, loadSafetensorsFile, saveSafetensorsFile, writeFileAtomic } from './files.js';
