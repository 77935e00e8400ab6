/**
 * A trained sequence-to-sequence model (translation, spelling -> phonemes) in any JavaScript
 * runtime, browser included (no file system): `import { translate } from 'recur'; const run =
 * translate.fromCheckpoint(bytes)`, then `await translate.translateText(run, text, { beam: 5 })`
 * gives the output and, per output token, the attention over the source tokens.
 */
import { tokenizerFromJSON } from '../../text/from-json.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import { modelFromCheckpoint } from '../from-checkpoint.js';
import { checkTranslateRun, TRANSLATE_KIND } from './config.js';
import { Seq2Seq } from './model.js';
import type { TranslateRunConfig } from './run.js';
import { translateTexts, type TextTranslation } from './translate.js';

export { Seq2Seq } from './model.js';
export type { Seq2SeqConfig } from './config.js';
export type { TextTranslation } from './translate.js';

export interface TranslatorModel {
  model: Seq2Seq;
  src: Tokenizer;
  tgt: Tokenizer;
  config: TranslateRunConfig;
}

/** Rebuilds a seq2seq model and its two tokenizers from a run's checkpoint bytes (best/last.safetensors). */
export function fromCheckpoint(bytes: Uint8Array | ArrayBuffer, name = 'checkpoint'): TranslatorModel {
  const { model, config } = modelFromCheckpoint(bytes, name, TRANSLATE_KIND, checkTranslateRun, (c) => new Seq2Seq(c.model));
  return { model, src: tokenizerFromJSON(config.srcTokenizer), tgt: tokenizerFromJSON(config.tgtTokenizer), config };
}

/**
 * One text's translation with the run's decoding defaults (length penalty, maximum length);
 * `beam` 1 is greedy, default the run's. The attention rows are kept when the model attends.
 */
export async function translateText(run: TranslatorModel, text: string, o: { beam?: number } = {}): Promise<TextTranslation> {
  const d = run.config.decode;
  const [t] = await translateTexts(run.model, run.src, run.tgt, [text], {
    beam: o.beam ?? d.beam, lengthPenalty: d.lengthPenalty, maxLenA: d.maxLenA, maxLenB: d.maxLenB, attention: true,
  });
  return t!;
}
