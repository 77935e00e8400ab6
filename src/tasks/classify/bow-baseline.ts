/**
 * Bag-of-words logistic regression: the baseline a sequence classifier has to beat.
 *
 *     x_w = 1 if word w occurs in the text, else 0          (binary unigram features)
 *     p(c | x) = softmax(W x + b)_c
 *     loss = mean cross-entropy + (λ/2)·‖W‖²                 (bias not penalised)
 *
 * Trained full-batch with Adam to convergence; λ is chosen on the validation split from a
 * small grid, as scikit-learn's LogisticRegressionCV would. Same tokenizer as the sequence
 * classifier (lower-cased words), vocabulary from the training texts only. W x is computed
 * sparsely, as a sum of the columns of W for the words present (an embedding bag), so a
 * step costs O(tokens), not O(texts · vocabulary).
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { add, mul, sum } from '../../autograd/ops/index.js';
import { reclaimMemory } from '../../kernels/index.js';
import { classificationReport, type ClassificationReport } from '../../metrics/classification.js';
import { crossEntropy } from '../../nn/losses/index.js';
import { embedding } from '../../nn/ops/embedding.js';
import { Adam } from '../../optim/index.js';
import { Tensor, zeros } from '../../tensor/tensor.js';
import type { WordTokenizer } from '../../text/word-tokenizer.js';
import { argmaxRows } from './task.js';

export interface BowSplit {
  texts: readonly string[];
  labels: Int32Array;
}

export interface BowOptions {
  /** L2 strengths to try; the best validation accuracy wins (ties: the larger λ). */
  l2Grid?: readonly number[];
  steps?: number;
  lr?: number;
}

export interface BowResult {
  l2: number;
  validAccuracy: number;
  test: ClassificationReport;
}

/**
 * The distinct in-vocabulary words of each text, padded with `<pad>` into [N, maxWords]: the
 * sparse form of the binary bag-of-words matrix.
 */
export function bagOfWords(tok: WordTokenizer, texts: readonly string[]): Tensor {
  const sets = texts.map((t) => [...new Set(tok.encode(t))].filter((id) => id !== tok.unkId && id !== tok.padId));
  const width = Math.max(1, ...sets.map((s) => s.length));
  const ids = new Float32Array(texts.length * width).fill(tok.padId!);
  sets.forEach((s, i) => ids.set(s, i * width));
  return new Tensor(ids, [texts.length, width]);
}

interface BowModel {
  /** Wᵀ [V, C]; the `<pad>` row stays 0. */
  wt: Tensor;
  b: Tensor;
  padId: number;
}

/** Logits [N, C] = Σ_{w in text} Wᵀ[w] + b. */
function logits(m: BowModel, bags: Tensor): Tensor {
  return add(sum(embedding(bags, m.wt, m.padId), 1), m.b);
}

async function fit(bags: Tensor, y: Int32Array, V: number, C: number, padId: number, l2: number, steps: number, lr: number): Promise<BowModel> {
  const m: BowModel = { wt: zeros([V, C], { requiresGrad: true }), b: zeros([C], { requiresGrad: true }), padId };
  const opt = new Adam([m.wt, m.b], { lr });
  for (let s = 0; s < steps; s++) {
    const loss = add(crossEntropy(logits(m, bags), y), mul(sum(mul(m.wt, m.wt)), l2 / 2));
    opt.zeroGrad();
    loss.backward();
    opt.step();
    await reclaimMemory();
  }
  return m;
}

function predict(bags: Tensor, m: BowModel, C: number): Int32Array {
  return noGrad(() => argmaxRows(logits(m, bags).data, C));
}

/** Fits the baseline on train, picks λ on valid, reports on test. */
export async function bowLogisticRegression(tok: WordTokenizer, labels: readonly string[], splits: { train: BowSplit; valid: BowSplit; test: BowSplit },
  o: BowOptions = {}): Promise<BowResult> {
  const C = labels.length;
  const grid = o.l2Grid ?? [3e-5, 1e-4, 3e-4, 1e-3, 3e-3];
  const [xTrain, xValid, xTest] = [splits.train, splits.valid, splits.test].map((s) => bagOfWords(tok, s.texts)) as [Tensor, Tensor, Tensor];
  let best: { l2: number; acc: number; m: BowModel } | null = null;
  for (const l2 of [...grid].sort((p, q) => q - p)) {
    const m = await fit(xTrain, splits.train.labels, tok.vocabSize, C, tok.padId!, l2, o.steps ?? 300, o.lr ?? 0.05);
    const acc = classificationReport(splits.valid.labels, predict(xValid, m, C), labels).accuracy;
    if (!best || acc > best.acc) best = { l2, acc, m };
  }
  return { l2: best!.l2, validAccuracy: best!.acc, test: classificationReport(splits.test.labels, predict(xTest, best!.m, C), labels) };
}
