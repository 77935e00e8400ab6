/**
 * Browser-safe I/O: safetensors in memory. File helpers (Node only) live in `./node.js` so a
 * browser bundle never pulls in `node:fs`.
 */
export {
  loadSafetensors,
  parseSafetensors,
  parseSafetensorsMetadata,
  saveSafetensors,
  DEFAULT_MAX_HEADER_BYTES,
  type SafetensorsLoadOptions,
  type SafetensorsContents,
} from './safetensors.js';
export { parseCheckpoint, CHECKPOINT_FORMAT, type CheckpointBytes } from './checkpoint.js';
