import { CorpusError } from '../../data/corpus-error.js';
import { readLabeledTexts, type TabularOptions } from '../../data/tabular.js';
import { RecurError } from '../../errors.js';
import { PAD, UNK } from '../../text/vocab.js';
import { WordTokenizer } from '../../text/word-tokenizer.js';
import { encodeFeatures, encodeTexts } from './encode.js';
import { loadAfinn, type LexiconName } from './lexicon.js';
import { crossValidationSplit, stratifiedSplit, type SplitIndices } from './splits.js';
import type { ClassifySplit } from './task.js';
import { loadUciSentiment } from './uci-sentiment.js';

export { encodeFeatures, encodeTexts, makeBatch } from './encode.js';

/** One labelled text and where it came from (for messages). */
export interface Example {
  text: string;
  label: string;
  /** `file:line`, or `amazon#12` for the built-in data. */
  where: string;
}

export const BUILTIN_CLASSIFY_DATA = ['uci-sentiment'] as const;

/** Built-in data by name (`uci-sentiment`), else a CSV/TSV/JSONL file. */
export function loadExamples(source: string, o: TabularOptions = {}): Example[] {
  if (source === 'uci-sentiment') return loadUciSentiment().map((s) => ({ text: s.text, label: s.label, where: `${s.source}#${s.index}` }));
  return readLabeledTexts(source, o).map((r) => ({ text: r.text, label: r.label, where: `${source}:${r.line}` }));
}

/** Labels in a stable order: numerically when all are numbers, else by code unit. */
export function labelSet(examples: readonly Example[]): string[] {
  const set = [...new Set(examples.map((e) => e.label))];
  const numeric = set.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return set.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Label ids; a label the model does not know is an error naming where it appears. */
export function encodeLabels(examples: readonly Example[], labels: readonly string[]): Int32Array {
  const id = new Map(labels.map((l, i) => [l, i]));
  return Int32Array.from(examples, (e) => {
    const i = id.get(e.label);
    if (i === undefined) throw new CorpusError(`${e.where}: unknown label '${e.label}' (the model knows ${labels.map((l) => `'${l}'`).join(', ')})`, e.where);
    return i;
  });
}

/** The word tokenizer for classification: lower-cased, line breaks as spaces, `<pad>` = 0 and `<unk>`. */
export function buildClassifyTokenizer(texts: readonly string[], minFreq: number, maxVocab?: number): WordTokenizer {
  return WordTokenizer.fromCorpus(texts.join('\n'), {
    lowercase: true, lineBreaks: 'ignore', specials: [PAD, UNK], minFreq, ...(maxVocab ? { maxSize: maxVocab } : {}),
  });
}

/** How the data was read and split: enough to rebuild the exact same splits later. */
export interface ClassifyDataSpec {
  /** 'uci-sentiment' or a file path. */
  source: string;
  textColumn?: string | number;
  labelColumn?: string | number;
  /** A fixed stratified split with these fractions, or cross-validation round `fold` of `folds`. */
  split: { valid: number; test: number } | { folds: number; fold: number };
  seed: number;
  /** Number of examples read, to notice a changed file. */
  size: number;
}

/** The examples and split a data spec describes; checks the size still matches when given. */
export function prepareClassifyData(spec: Omit<ClassifyDataSpec, 'size'> & { size?: number }, labels?: readonly string[]):
  { examples: Example[]; labels: string[]; y: Int32Array; split: SplitIndices } {
  const examples = loadExamples(spec.source, { textColumn: spec.textColumn, labelColumn: spec.labelColumn });
  if (spec.size !== undefined && examples.length !== spec.size) {
    throw new RecurError(`${spec.source} now has ${examples.length} examples, but the run was trained when it had ${spec.size}: the split cannot be rebuilt`);
  }
  const names = labels ? [...labels] : labelSet(examples);
  if (names.length < 2) throw new RecurError(`${spec.source}: needs at least 2 different labels, found ${names.length} (${names.join(', ')})`);
  const y = encodeLabels(examples, names);
  const split = 'folds' in spec.split ? crossValidationSplit(y, spec.split.folds, spec.split.fold, spec.seed) : stratifiedSplit(y, spec.split, spec.seed);
  if (split.train.length === 0 || split.valid.length === 0 || split.test.length === 0) {
    throw new RecurError(`${spec.source}: ${examples.length} examples are too few for a train/validation/test split (got ${split.train.length}/${split.valid.length}/${split.test.length})`);
  }
  return { examples, labels: names, y, split };
}

/** Encodes texts (and their lexicon features when the model uses a lexicon). */
export function encodeForModel(tok: WordTokenizer, texts: readonly string[], labels: Int32Array, maxLength: number, lexicon: LexiconName | undefined): ClassifySplit {
  const ids = encodeTexts(tok, texts, maxLength);
  if ((lexicon ?? 'none') === 'none') return { ids, labels };
  return { ids, labels, features: encodeFeatures(tok, texts, loadAfinn(), maxLength) };
}

export function encodeSplit(tok: WordTokenizer, examples: readonly Example[], y: Int32Array, idx: readonly number[], maxLength: number, lexicon: LexiconName | undefined): ClassifySplit {
  return encodeForModel(tok, idx.map((i) => examples[i]!.text), Int32Array.from(idx, (i) => y[i]!), maxLength, lexicon);
}

