/**
 * Browser-safe data helpers: truncated-BPTT streams and batching. The corpus loaders and text
 * file readers (Node only: they read files) live in `./node.js`, which re-exports everything
 * here, so a browser bundle never pulls in `node:fs`.
 */
export { CorpusError } from './corpus-error.js';
export {
  batchify,
  bpttWindows,
  getWindow,
  splitContiguous,
  windowCount,
  type Batched,
  type Split,
  type SplitFractions,
  type Window,
  type WindowOptions,
} from './streams.js';
