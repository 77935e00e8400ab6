export {
  CORPUS_NAMES,
  isCorpusName,
  loadBrown,
  loadBrownSentences,
  loadCorpus,
  loadMobyDick,
  loadSotu,
  loadSotuSpeeches,
  loadTextCorpus,
  type BrownSentence,
  type CorpusName,
  type SotuSpeech,
} from './corpora.js';
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
export { firstBinaryByte, readTextFile, readTextFolder, readTextPath } from './text-file.js';
