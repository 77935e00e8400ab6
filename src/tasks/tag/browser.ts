/**
 * A trained sequence tagger in any JavaScript runtime, browser included (no file system):
 * `import { tag } from 'recur'; const run = tag.fromCheckpoint(bytes)`, then
 * `tag.tagText(run, text)` splits the text into words (with their offsets) and tags each,
 * grouping chunk tags (B-/I-/E-/S-) into typed spans.
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { extractChunks, type Chunk } from '../../metrics/conlleval.js';
import { Vocabulary } from '../../text/vocab.js';
import { encodeSentences, makeTagBatch, type TagVocabs } from './encode.js';
import { modelFromCheckpoint } from '../from-checkpoint.js';
import { checkTagRun, SequenceTagger, TAG_KIND } from './model.js';
import type { TagRunConfig } from './run.js';

export { SequenceTagger, type SequenceTaggerConfig } from './model.js';
export type { Chunk } from '../../metrics/conlleval.js';

export interface TaggerModel {
  model: SequenceTagger;
  vocabs: TagVocabs;
  config: TagRunConfig;
}

/** Rebuilds a tagger and its vocabularies from a run's checkpoint bytes (best/last.safetensors). */
export function fromCheckpoint(bytes: Uint8Array | ArrayBuffer, name = 'checkpoint'): TaggerModel {
  const { model, config } = modelFromCheckpoint(bytes, name, TAG_KIND, checkTagRun, (c) => new SequenceTagger(c.model));
  return { model, vocabs: { words: Vocabulary.fromJSON(config.words), chars: Vocabulary.fromJSON(config.chars), tags: config.model.tags }, config };
}

export interface TaggedWord {
  word: string;
  /** Offsets of the word in the text ([start, end) in UTF-16 code units). */
  start: number;
  end: number;
  tag: string;
}

/**
 * Words as the corpora the taggers learn from write them (CoNLL, Brown): punctuation apart;
 * initials and common titles keep their dot ("F.", "U.S.", "Mr."); inner apostrophes, hyphens
 * and dots stay ("don't", "well-known"); numbers whole ("1,000.5").
 */
const WORDS = /(?:\p{Lu}\.)+(?![\p{L}\p{N}])|(?:Mrs|Mr|Ms|Dr|St|Jr|Sr|Mt)\.|[\p{L}\p{M}\p{N}]+(?:['’.,-][\p{L}\p{M}\p{N}]+)*|\S/gu;

export function splitWords(text: string): { word: string; start: number; end: number }[] {
  return Array.from(text.matchAll(WORDS), (m) => ({ word: m[0], start: m.index!, end: m.index! + m[0].length }));
}

/** Tags of already split words (the CLI's `recur tag` input), with no offsets. */
export function tagWords(run: TaggerModel, words: readonly string[]): string[] {
  if (words.length === 0) return [];
  const enc = encodeSentences(run.vocabs, [{ words: [...words], tags: [], where: 'the text' }], false);
  const path = noGrad(() => run.model.decode(makeTagBatch(run.vocabs, enc, [0])))[0]!;
  return path.map((id) => run.vocabs.tags[id]!);
}

/** The text's words and their tags; with chunk tags (scheme bio/bioes), the typed chunks as word ranges. */
export function tagText(run: TaggerModel, text: string): { words: TaggedWord[]; chunks: Chunk[] | null } {
  const split = splitWords(text);
  const tags = tagWords(run, split.map((w) => w.word));
  const words = split.map((w, i) => ({ ...w, tag: tags[i]! }));
  return { words, chunks: run.config.model.scheme === 'none' ? null : extractChunks(tags) };
}
