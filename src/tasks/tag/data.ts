import { RecurError } from '../../errors.js';
import { readConllFile } from '../../data/conll.js';
import { encodeChunks } from '../../metrics/conlleval.js';
import type { TagScheme } from '../../nn/crf-constraints.js';
import { Rng } from '../../tensor/rng.js';
import { PAD, UNK, Vocabulary } from '../../text/vocab.js';
import { loadBrownTagging } from './brown.js';
import { MAX_WORD_CHARS, normalizeWord, type TagVocabs } from './encode.js';

export { encodeSentences, makeTagBatch, MAX_WORD_CHARS, normalizeWord, type EncodedSentence, type TagBatch, type TagVocabs } from './encode.js';

/** One sentence of words and their tags, and where it came from (for messages). */
export interface TaggedSentence {
  words: string[];
  tags: string[];
  where: string;
}

/** Tag scheme of a data set: chunk tags (BIO / BIOES, scored with conlleval) or plain tags ('none'). */
export type SchemeChoice = TagScheme | 'none';

/**
 * The scheme the tags are written in: 'bioes' when every tag is O or [BIES]-TYPE and some is E-
 * or S-; 'bio' when every tag is O or [BI]-TYPE; else 'none' (part of speech and other plain tags).
 */
export function detectScheme(sentences: readonly TaggedSentence[]): SchemeChoice {
  let chunky = true, es = false, any = false;
  for (const s of sentences) {
    for (const t of s.tags) {
      any = true;
      if (t === 'O') continue;
      const m = /^([BIES])-./.exec(t);
      if (!m) { chunky = false; break; }
      if (m[1] === 'E' || m[1] === 'S') es = true;
    }
    if (!chunky) break;
  }
  return !any || !chunky ? 'none' : es ? 'bioes' : 'bio';
}

/**
 * Rewrites chunk tags in the clean form of the scheme (same chunks by conlleval's rules): IOB1
 * files (I- opening chunks, as the original CoNLL-2003) become IOB2, or BIO becomes BIOES, so a
 * constrained CRF can model every training sentence.
 */
export function normalizeChunkTags(sentences: readonly TaggedSentence[], scheme: TagScheme): TaggedSentence[] {
  return sentences.map((s) => ({ ...s, tags: encodeChunks(s.tags, scheme) }));
}

/**
 * Vocabularies from the training sentences: normalised words seen at least `minFreq` times,
 * every character, and the tag set (O first for chunk tags, then by frequency).
 */
export function buildTagVocabs(train: readonly TaggedSentence[], minFreq: number): TagVocabs {
  const words = Vocabulary.build(train.flatMap((s) => s.words.map(normalizeWord)), { specials: [PAD, UNK], minFreq });
  const chars = Vocabulary.build(train.flatMap((s) => s.words.flatMap((w) => [...w].slice(0, MAX_WORD_CHARS))), { specials: [PAD, UNK] });
  const tagVocab = Vocabulary.build(train.flatMap((s) => s.tags), { specials: [] });
  const tags = tagVocab.tokens();
  const o = tags.indexOf('O');
  if (o > 0) tags.unshift(...tags.splice(o, 1));
  return { words, chars, tags };
}

export const BUILTIN_TAG_DATA = ['brown-pos', 'brown-names'] as const;

/** Where a tagging run's sentences come from: enough to rebuild its splits. */
export interface TagDataSpec {
  /** 'brown-pos', 'brown-names' or a CoNLL file. */
  source: string;
  tagColumn?: number;
  /** Held-out CoNLL files; without them a user file is split 80/10/10 by sentence (seeded). */
  validData?: string;
  testData?: string;
  seed: number;
}

export function readConll(path: string, spec: TagDataSpec): TaggedSentence[] {
  return readConllFile(path, { tagColumn: spec.tagColumn ?? -1 }).map((s) => ({ words: s.words, tags: s.tags, where: `${path}:${s.line}` }));
}

/** The train/valid/test sentences a data spec describes. */
export function loadTagSplits(spec: TagDataSpec): Record<'train' | 'valid' | 'test', TaggedSentence[]> {
  if (spec.source === 'brown-pos') return loadBrownTagging('pos');
  if (spec.source === 'brown-names') return loadBrownTagging('names');
  const all = readConll(spec.source, spec);
  if (spec.validData && spec.testData) return { train: all, valid: readConll(spec.validData, spec), test: readConll(spec.testData, spec) };
  // A seeded 80/10/10 split by sentence of whatever is not given as a separate file.
  const perm = new Rng(spec.seed).permutation(all.length);
  const nTest = spec.testData ? 0 : Math.round(all.length * 0.1), nValid = spec.validData ? 0 : Math.round(all.length * 0.1);
  const pick = (from: number, to: number): TaggedSentence[] => Array.from(perm.subarray(from, to)).sort((a, b) => a - b).map((i) => all[i]!);
  const out = {
    test: spec.testData ? readConll(spec.testData, spec) : pick(0, nTest),
    valid: spec.validData ? readConll(spec.validData, spec) : pick(nTest, nTest + nValid),
    train: pick(nTest + nValid, all.length),
  };
  if (out.train.length === 0 || out.valid.length === 0 || out.test.length === 0) {
    throw new RecurError(`${spec.source}: ${all.length} sentences are too few to split into train/validation/test (pass --valid-data and --test-data)`);
  }
  return out;
}

export function resolveScheme(want: SchemeChoice | 'auto', train: readonly TaggedSentence[]): SchemeChoice {
  const found = detectScheme(train);
  if (want === 'auto') return found;
  if (want !== 'none' && found === 'none') {
    const bad = train.flatMap((s) => s.tags).find((t) => t !== 'O' && !/^[BIES]-./.test(t));
    throw new RecurError(`--scheme ${want}: the training tags are not chunk tags (found '${bad}'; expected O, B-TYPE, I-TYPE${want === 'bioes' ? ', E-TYPE, S-TYPE' : ''})`);
  }
  if (want === 'bio' && found === 'bioes') throw new RecurError('--scheme bio: the training tags use E- or S- (BIOES); use --scheme bioes');
  return want;
}
