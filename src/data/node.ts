/** Node-only data: corpus loaders and text file readers. Everything in `./index.js` is re-exported. */
export * from './index.js';
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
export { firstBinaryByte, readTextFile, readTextFolder, readTextPath } from './text-file.js';
