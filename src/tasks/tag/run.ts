import type { ConllReport } from '../../metrics/conlleval.js';
import { Vocabulary, type VocabularyJSON } from '../../text/vocab.js';
import { RecurError } from '../../errors.js';
import type { CheckpointContent } from '../../train/checkpoint.js';
import { loadRun, type RunConfig, type RunKind } from '../../train/run.js';
import { runConfig } from '../../io/validate.js';
import { encodeSentences, loadTagSplits, normalizeChunkTags, readConll, type TagDataSpec, type TagVocabs } from './data.js';
import { checkTaggerConfig, SequenceTagger, type SequenceTaggerConfig } from './model.js';
import { evaluateTagger, predictTags } from './task.js';

export const TAG_RUN: RunKind = { task: 'tag', noun: 'tagging', changeable: ['validLimit'], check: checkTagRun };

export interface TagRunConfig extends RunConfig {
  task: 'tag';
  data: TagDataSpec;
  words: VocabularyJSON;
  chars: VocabularyJSON;
  model: SequenceTaggerConfig;
}

export interface TaggerRun {
  model: SequenceTagger;
  vocabs: TagVocabs;
  config: TagRunConfig;
}

export function loadTaggerRun(dir: string, which: 'best' | 'last' = 'best'): TaggerRun {
  return loadRun<TagRunConfig, Omit<TaggerRun, 'config'>>(dir, TAG_RUN, (c) => ({
    model: new SequenceTagger(c.model),
    vocabs: { words: Vocabulary.fromJSON(c.words), chars: Vocabulary.fromJSON(c.chars), tags: c.model.tags },
  }), which);
}

/** Tags of each (already tokenized) sentence. */
export async function tagSentences(run: TaggerRun, sentences: readonly string[][]): Promise<string[][]> {
  const enc = encodeSentences(run.vocabs, sentences.map((words, i) => ({ words, tags: [], where: `sentence ${i + 1}` })), false);
  const { paths } = await predictTags(run.model, run.vocabs, enc);
  return paths.map((p) => p.map((id) => run.vocabs.tags[id]!));
}

/** Scores of a run on its own split, or on a CoNLL file (`data`). */
export async function evaluateTaggerRun(run: TaggerRun, o: { split: 'valid' | 'test'; data?: string }):
  Promise<{ where: string; loss: number; accuracy: number; tokens: number; chunks: ConllReport | null }> {
  const { config } = run;
  let sents = o.data ? readConll(o.data, config.data) : loadTagSplits(config.data)[o.split];
  if (config.model.scheme !== 'none') sents = normalizeChunkTags(sents, config.model.scheme);
  const r = await evaluateTagger(run.model, run.vocabs, encodeSentences(run.vocabs, sents, true));
  return { where: o.data ?? `${config.data.source} ${o.split} split`, loss: r.loss, accuracy: r.accuracy, tokens: r.tokens, chunks: r.chunks };
}

/** The config of a tagging checkpoint, checked against its weights (see src/io/validate.ts). */
export function checkTagRun(ck: CheckpointContent, dir: string): TagRunConfig {
  const f = runConfig(ck.config, TAG_RUN, dir);
  const model = checkTaggerConfig(f.present('model'), `${f.where}.model`, ck.weights);
  const words = Vocabulary.fromJSON(f.present('words')), chars = Vocabulary.fromJSON(f.present('chars'));
  if (words.size !== model.wordVocabSize || chars.size !== model.charVocabSize) {
    throw new RecurError(`${f.where}: vocabularies of ${words.size} words and ${chars.size} characters for a model of ` +
      `${model.wordVocabSize} and ${model.charVocabSize}`);
  }
  const d = f.obj('data');
  const tagColumn = d.optional('tagColumn', (k) => d.int(k, -1e6, 1e6));
  const validData = d.optional('validData', (k) => d.str(k)), testData = d.optional('testData', (k) => d.str(k));
  const data: TagDataSpec = {
    source: d.str('source'), seed: d.int('seed', 0, Number.MAX_SAFE_INTEGER), ...(tagColumn !== undefined ? { tagColumn } : {}),
    ...(validData !== undefined ? { validData } : {}), ...(testData !== undefined ? { testData } : {}),
  };
  return { task: 'tag', data, words: words.toJSON(), chars: chars.toJSON(), model, train: f.obj('train').o };
}
