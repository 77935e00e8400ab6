import type { ConllReport } from '../../metrics/conlleval.js';
import { Vocabulary, type VocabularyJSON } from '../../text/vocab.js';
import { loadRun, type RunConfig, type RunKind } from '../../train/run.js';
import { encodeSentences, loadTagSplits, normalizeChunkTags, readConll, type TagDataSpec, type TagVocabs } from './data.js';
import { checkTagRun, SequenceTagger, TAG_KIND, type SequenceTaggerConfig } from './model.js';
import { evaluateTagger, predictTags } from './task.js';

export const TAG_RUN: RunKind = { ...TAG_KIND, changeable: ['validLimit'], check: checkTagRun };

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
