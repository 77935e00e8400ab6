import { RecurError } from '../../errors.js';
import { tokenizerFromJSON } from '../../text/from-json.js';
import type { TokenizerJSON } from '../../text/tokenizer.js';
import type { CheckpointContent } from '../../train/checkpoint.js';
import { loadRun, type RunConfig, type RunKind } from '../../train/run.js';
import { runConfig } from '../../io/validate.js';
import { checkSeq2SeqConfig, type Seq2SeqConfig } from './config.js';
import type { TranslateMetric } from './data.js';
import { Seq2Seq } from './model.js';

export const TRANSLATE_RUN: RunKind = { task: 'translate', noun: 'translation', changeable: ['evalDecode'], check: checkTranslateRun };

/** What `recur train translate` stores with its checkpoints: enough to rebuild model and tokenizers. */
export interface TranslateRunConfig extends RunConfig {
  task: 'translate';
  /** kjv-es, cmudict, or the TSV path. */
  data: string;
  /** Target -> source instead (Spanish -> English for kjv-es). */
  reverse: boolean;
  metric: TranslateMetric;
  model: Seq2SeqConfig;
  srcTokenizer: TokenizerJSON;
  tgtTokenizer: TokenizerJSON;
  /** Defaults of `recur translate` / `recur eval`. */
  decode: DecodeDefaults;
}

export interface DecodeDefaults {
  beam: number;
  lengthPenalty: number;
  /** Maximum output length = maxLenA · source length + maxLenB (fairseq's rule). */
  maxLenA: number;
  maxLenB: number;
}

export const DEFAULT_DECODE: DecodeDefaults = { beam: 5, lengthPenalty: 1, maxLenA: 2, maxLenB: 10 };

/** Rebuilds a trained translation model and its tokenizers from a run directory. */
export function loadTranslateRun(dir: string, which: 'best' | 'last' = 'best'): { model: Seq2Seq; config: TranslateRunConfig } {
  return loadRun<TranslateRunConfig, { model: Seq2Seq }>(dir, TRANSLATE_RUN, (c) => ({ model: new Seq2Seq(c.model) }), which);
}

/** The config of a translation checkpoint, checked against its weights (see src/io/validate.ts). */
export function checkTranslateRun(ck: CheckpointContent, dir: string): TranslateRunConfig {
  const f = runConfig(ck.config, TRANSLATE_RUN, dir);
  const model = checkSeq2SeqConfig(f.present('model'), `${f.where}.model`, ck.weights);
  const src = tokenizerFromJSON(f.present('srcTokenizer')), tgt = tokenizerFromJSON(f.present('tgtTokenizer'));
  if (src.vocabSize !== model.srcVocabSize || tgt.vocabSize !== model.tgtVocabSize) {
    throw new RecurError(`${f.where}: tokenizers of ${src.vocabSize} and ${tgt.vocabSize} tokens for a model of ${model.srcVocabSize} and ${model.tgtVocabSize}`);
  }
  const d = f.obj('decode');
  const decode: DecodeDefaults = {
    beam: d.int('beam', 1, 1000), lengthPenalty: d.num('lengthPenalty', -100, 100), maxLenA: d.num('maxLenA', 0, 1000), maxLenB: d.int('maxLenB', 0, 1 << 20),
  };
  return {
    task: 'translate', data: f.str('data'), reverse: f.bool('reverse'), metric: f.oneOf('metric', ['bleu', 'g2p'] as const), model,
    srcTokenizer: src.toJSON(), tgtTokenizer: tgt.toJSON(), decode, train: f.obj('train').o,
  };
}
