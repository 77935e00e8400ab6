/**
 * Stratified splits: every split (or fold) gets each class in (nearly) the proportion of the
 * whole data set, so a 10% test split of a balanced set is balanced too. Deterministic in the
 * seed: the same labels and seed always give the same indices.
 */
import { RecurError } from '../../errors.js';
import { Rng } from '../../tensor/rng.js';

export interface SplitIndices {
  train: number[];
  valid: number[];
  test: number[];
}

/** Indices of each class, each list shuffled by a generator seeded with `seed`. */
function shuffledByClass(labels: ArrayLike<number>, seed: number): number[][] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    let l = byClass.get(c);
    if (!l) byClass.set(c, (l = []));
    l.push(i);
  }
  const rng = new Rng(seed);
  return [...byClass.keys()].sort((a, b) => a - b).map((c) => {
    const idx = byClass.get(c)!;
    return Array.from(rng.permutation(idx.length), (p) => idx[p]!);
  });
}

const ascending = (a: number, b: number): number => a - b;

/**
 * Train/validation/test split with the given validation and test fractions, per class:
 * round(n_c·test) examples of class c go to test, round(n_c·valid) to validation, the rest to
 * train. Each list is sorted by index.
 */
export function stratifiedSplit(labels: ArrayLike<number>, fractions: { valid: number; test: number }, seed: number): SplitIndices {
  const { valid, test } = fractions;
  if (!(valid >= 0 && test >= 0 && valid + test < 1)) throw new RecurError(`stratifiedSplit: validation (${valid}) and test (${test}) fractions must be >= 0 and sum to less than 1`);
  const out: SplitIndices = { train: [], valid: [], test: [] };
  for (const idx of shuffledByClass(labels, seed)) {
    const nTest = Math.round(idx.length * test), nValid = Math.round(idx.length * valid);
    out.test.push(...idx.slice(0, nTest));
    out.valid.push(...idx.slice(nTest, nTest + nValid));
    out.train.push(...idx.slice(nTest + nValid));
  }
  out.train.sort(ascending);
  out.valid.sort(ascending);
  out.test.sort(ascending);
  return out;
}

/**
 * k stratified folds (like scikit-learn's StratifiedKFold with shuffling): each class's
 * shuffled examples are dealt round-robin, continuing across classes, so fold sizes differ by
 * at most one and every fold has each class in proportion. Returns k sorted index lists.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, seed: number): number[][] {
  if (!Number.isInteger(k) || k < 2) throw new RecurError(`stratifiedKFold: k must be a whole number >= 2, got ${k}`);
  if (labels.length < k) throw new RecurError(`stratifiedKFold: ${labels.length} examples cannot fill ${k} folds`);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const idx of shuffledByClass(labels, seed)) {
    for (const i of idx) {
      folds[next]!.push(i);
      next = (next + 1) % k;
    }
  }
  return folds.map((f) => f.sort(ascending));
}

/**
 * The split of cross-validation round `fold` of k: that fold is the test set, the next one
 * (cyclically) is the validation set used for early stopping, the other k−2 folds train.
 * With k = 10 every round is an 80/10/10 split, and every example is tested exactly once.
 */
export function crossValidationSplit(labels: ArrayLike<number>, k: number, fold: number, seed: number): SplitIndices {
  if (!Number.isInteger(fold) || fold < 0 || fold >= k) throw new RecurError(`crossValidationSplit: fold must be in [0, ${k}), got ${fold}`);
  if (k < 3) throw new RecurError(`crossValidationSplit: k must be >= 3 (one fold tests, one validates, the rest train), got ${k}`);
  const folds = stratifiedKFold(labels, k, seed);
  const v = (fold + 1) % k;
  const train = folds.filter((_, i) => i !== fold && i !== v).flat().sort(ascending);
  return { train, valid: folds[v]!, test: folds[fold]! };
}
