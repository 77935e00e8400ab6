/** Node-only data: corpus loaders, text file readers and speech data sets. Everything in `./index.js` is re-exported. */
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
export {
  defaultWarning,
  loadEntries,
  loadSpeechManifest,
  readManifest,
  summarizeSpeechSet,
  type ManifestEntry,
  type SkippedFile,
  type SpeechLoadOptions,
  type SpeechSet,
  type Utterance,
} from './speech-set.js';
export {
  ASTERISK_LANGUAGES,
  ASTERISK_SOUNDS_DIR,
  asteriskAptHint,
  asteriskEntries,
  findAsteriskVoice,
  loadAsteriskDigits,
  type AsteriskLanguage,
  type AsteriskOptions,
  type AsteriskSubset,
} from './asterisk-digits.js';
export {
  ESPEAK_APT_HINT,
  buildEspeakDigits,
  checkEspeak,
  defaultCacheDir,
  drawEspeakDigits,
  espeakVoices,
  loadEspeakDigits,
  variantSplit,
  type EspeakDigitsOptions,
  type EspeakSplit,
  type EspeakUtteranceSpec,
} from './espeak-digits.js';
