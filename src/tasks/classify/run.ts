import type { ClassificationReport } from '../../metrics/classification.js';
import type { WordTokenizerJSON } from '../../text/tokenizer.js';
import { WordTokenizer } from '../../text/word-tokenizer.js';
import { loadRun, type RunConfig, type RunKind } from '../../train/run.js';
import { encodeForModel, encodeLabels, loadExamples, prepareClassifyData, type ClassifyDataSpec } from './data.js';
import { checkClassifyRun, CLASSIFY_KIND, SequenceClassifier, type SequenceClassifierConfig } from './model.js';
import { argmaxRows, evaluateClassifier, predictProbabilities } from './task.js';

export const CLASSIFY_RUN: RunKind = { ...CLASSIFY_KIND, check: checkClassifyRun };

/** What a classification run's checkpoints carry as `config`. */
export interface ClassifyRunConfig extends RunConfig {
  task: 'classify';
  data: ClassifyDataSpec;
  labels: string[];
  tokenizer: WordTokenizerJSON;
  /** Texts are cut to this many tokens (0 = no limit). */
  maxLength: number;
  model: SequenceClassifierConfig;
}

/** A trained classifier, its tokenizer and config, rebuilt from a run directory. */
export interface ClassifierRun {
  model: SequenceClassifier;
  tokenizer: WordTokenizer;
  config: ClassifyRunConfig;
}

export function loadClassifierRun(dir: string, which: 'best' | 'last' = 'best'): ClassifierRun {
  return loadRun<ClassifyRunConfig, Omit<ClassifierRun, 'config'>>(dir, CLASSIFY_RUN,
    (c) => ({ model: new SequenceClassifier(c.model), tokenizer: WordTokenizer.fromJSON(c.tokenizer) }), which);
}

export interface Prediction {
  label: string;
  /** Probability of each class, in the run's label order. */
  probs: Record<string, number>;
}

/** Labels and class probabilities for raw texts. */
export async function classifyTexts(run: ClassifierRun, texts: readonly string[]): Promise<Prediction[]> {
  const { labels, maxLength } = run.config;
  const C = labels.length;
  const enc = encodeForModel(run.tokenizer, texts, new Int32Array(texts.length), maxLength, run.config.model.lexicon);
  const probs = await predictProbabilities(run.model, enc.ids, run.tokenizer.padId!, 64, enc.features);
  const best = argmaxRows(probs, C);
  return texts.map((_, i) => ({
    label: labels[best[i]!]!,
    probs: Object.fromEntries(labels.map((l, c) => [l, probs[i * C + c]!])),
  }));
}

/** The report of a run on its own split ('valid' or 'test'), or on a labelled file. */
export async function evaluateClassifierRun(run: ClassifierRun, o: { split: 'valid' | 'test'; data?: string }): Promise<{ where: string; report: ClassificationReport; loss: number }> {
  const { config, tokenizer } = run;
  let texts: string[], ids: Int32Array;
  if (o.data) {
    const ex = loadExamples(o.data, { textColumn: config.data.textColumn, labelColumn: config.data.labelColumn });
    texts = ex.map((e) => e.text);
    ids = encodeLabels(ex, config.labels);
  } else {
    const d = prepareClassifyData(config.data, config.labels);
    const idx = d.split[o.split];
    texts = idx.map((i) => d.examples[i]!.text);
    ids = Int32Array.from(idx, (i) => d.y[i]!);
  }
  const split = encodeForModel(tokenizer, texts, ids, config.maxLength, config.model.lexicon);
  const r = await evaluateClassifier(run.model, split, config.labels, tokenizer.padId!);
  return { where: o.data ?? `${config.data.source} ${o.split} split`, report: r.report, loss: r.loss };
}
