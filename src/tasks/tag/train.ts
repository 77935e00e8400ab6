import { RecurError } from '../../errors.js';
import type { ConllReport } from '../../metrics/conlleval.js';
import { manualSeed } from '../../tensor/rng.js';
import { Vocabulary } from '../../text/vocab.js';
import { dataPath, resumeConfig, runTraining, type RunOptions } from '../../train/run.js';
import type { TrainEvent, TrainResult } from '../../train/trainer.js';
import type { CharEncoderKind } from './char-encoder.js';
import { BUILTIN_TAG_DATA, buildTagVocabs, encodeSentences, loadTagSplits, normalizeChunkTags, resolveScheme, type SchemeChoice, type TagDataSpec, type TagVocabs } from './data.js';
import { SequenceTagger, type SequenceTaggerConfig } from './model.js';
import { loadTaggerRun, TAG_RUN, type TagRunConfig } from './run.js';
import { evaluateTagger, TagTask } from './task.js';

export interface TagTrainOptions extends RunOptions {
  data: string;
  tagColumn?: number;
  validData?: string;
  testData?: string;
  crf: boolean;
  /** 'auto' detects BIO/BIOES chunk tags; 'none' treats tags as plain labels. */
  scheme: SchemeChoice | 'auto';
  charEncoder: CharEncoderKind;
  charEmbed: number;
  charHidden: number;
  wordEmbed: number;
  hidden: number;
  layers: number;
  dropout: number;
  minFreq: number;
  batch: number;
  /** Score about N validation sentences (every k-th) during training (default all). */
  validLimit?: number;
}

export interface TagTrainResult extends TrainResult {
  /** The best checkpoint on the test split. */
  test: { loss: number; accuracy: number; chunks: ConllReport | null };
}

/**
 * `recur train tag`: sentences -> vocabularies (training split) -> SequenceTagger (softmax or
 * CRF) -> shared training loop (best checkpoint by validation loss) -> test scores.
 */
export async function trainTagger(options: TagTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TagTrainResult> {
  const o = { ...options, data: dataPath(options.data, BUILTIN_TAG_DATA), validData: dataPath(options.validData), testData: dataPath(options.testData) };
  manualSeed(o.seed);
  const saved = resumeConfig<TagRunConfig>(o, TAG_RUN, (s) => {
    if (s.data.source !== o.data) throw new RecurError(`data mismatch on resume: ${o.out} was trained on '${s.data.source}', not '${o.data}'`);
  });
  const dataSpec = (d: TagTrainOptions): TagDataSpec => ({
    source: d.data, seed: d.seed, ...(d.tagColumn !== undefined ? { tagColumn: d.tagColumn } : {}),
    ...(d.validData ? { validData: d.validData } : {}), ...(d.testData ? { testData: d.testData } : {}),
  });
  // Read as given (messages name the files as the user wrote them), stored absolute.
  const spec = saved?.data ?? dataSpec(o);
  const raw = loadTagSplits(saved?.data ?? dataSpec(options));
  const scheme = saved?.model.scheme ?? resolveScheme(o.scheme, raw.train);
  const parts = scheme === 'none' ? raw : {
    train: normalizeChunkTags(raw.train, scheme), valid: normalizeChunkTags(raw.valid, scheme), test: normalizeChunkTags(raw.test, scheme),
  };
  const vocabs: TagVocabs = saved
    ? { words: Vocabulary.fromJSON(saved.words), chars: Vocabulary.fromJSON(saved.chars), tags: saved.model.tags }
    : buildTagVocabs(parts.train, o.minFreq);
  const splits = {
    train: encodeSentences(vocabs, parts.train, true), valid: encodeSentences(vocabs, parts.valid, true), test: encodeSentences(vocabs, parts.test, true),
  };
  const modelConfig: SequenceTaggerConfig = saved?.model ?? {
    wordVocabSize: vocabs.words.size, charVocabSize: vocabs.chars.size, tags: vocabs.tags, wordEmbed: o.wordEmbed,
    charEncoder: o.charEncoder, charEmbed: o.charEmbed, charHidden: o.charHidden, hiddenSize: o.hidden, numLayers: o.layers,
    dropout: o.dropout, crf: o.crf, scheme,
  };
  const model = new SequenceTagger(modelConfig);
  const task = new TagTask(model, vocabs, splits, { batchSize: o.batch, seed: o.seed, ...(o.validLimit ? { validLimit: o.validLimit } : {}) });
  const config: TagRunConfig = {
    task: 'tag', data: spec, words: vocabs.words.toJSON(), chars: vocabs.chars.toJSON(), model: modelConfig, train: { ...o },
  };
  const result = await runTraining(task, o, config, { onEvent, signal });
  const best = loadTaggerRun(o.out);
  const r = await evaluateTagger(best.model, best.vocabs, splits.test);
  return { ...result, test: { loss: r.loss, accuracy: r.accuracy, chunks: r.chunks } };
}
