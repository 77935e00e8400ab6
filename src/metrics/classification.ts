/**
 * Classification metrics over class ids in [0, C), as scikit-learn computes them
 * (`confusion_matrix`, `precision_recall_fscore_support` with zero_division=0):
 *
 *     confusion[g][p] = #{i : gold_i = g, pred_i = p}         (rows gold, columns predicted)
 *     precision_c = TP_c / (TP_c + FP_c)      recall_c = TP_c / (TP_c + FN_c)
 *     F1_c = 2 P_c R_c / (P_c + R_c)          (0 whenever a denominator is 0)
 *     accuracy = Σ_c TP_c / N                 macro-F1 = (1/C) Σ_c F1_c over ALL C classes
 */
import { RecurError } from '../errors.js';

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Gold examples of this class. */
  support: number;
}

export interface ClassificationReport {
  labels: string[];
  /** confusion[gold][predicted]. */
  confusion: number[][];
  accuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
  total: number;
}

/** confusion[gold][predicted] over C classes; ids outside [0, C) are an error naming the position. */
export function confusionMatrix(gold: ArrayLike<number>, pred: ArrayLike<number>, numClasses: number): number[][] {
  if (gold.length !== pred.length) throw new RecurError(`confusionMatrix: ${gold.length} gold labels but ${pred.length} predictions`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!, p = pred[i]!;
    for (const [v, what] of [[g, 'gold label'], [p, 'prediction']] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= numClasses) throw new RecurError(`confusionMatrix: ${what} ${v} at position ${i} is not a class id in [0, ${numClasses})`);
    }
    m[g]![p]!++;
  }
  return m;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix. */
export function classificationReport(gold: ArrayLike<number>, pred: ArrayLike<number>, labels: readonly string[]): ClassificationReport {
  const C = labels.length;
  const confusion = confusionMatrix(gold, pred, C);
  let correct = 0;
  const perClass: ClassMetrics[] = labels.map((label, c) => {
    const tp = confusion[c]![c]!;
    correct += tp;
    let predicted = 0, support = 0;
    for (let k = 0; k < C; k++) {
      predicted += confusion[k]![c]!;
      support += confusion[c]![k]!;
    }
    const precision = ratio(tp, predicted), recall = ratio(tp, support);
    return { label, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const total = gold.length;
  return {
    labels: [...labels], confusion, accuracy: ratio(correct, total),
    macroF1: ratio(perClass.reduce((s, c) => s + c.f1, 0), C), perClass, total,
  };
}

/** The report as text: a per-class table (like sklearn's classification_report) and the confusion matrix. */
export function formatClassificationReport(r: ClassificationReport): string {
  const w = Math.max(9, ...r.labels.map((l) => l.length));
  const f = (x: number): string => x.toFixed(4).padStart(9);
  const lines = [`${'class'.padEnd(w)} ${'precision'.padStart(9)} ${'recall'.padStart(9)} ${'f1'.padStart(9)} ${'support'.padStart(8)}`];
  for (const c of r.perClass) lines.push(`${c.label.padEnd(w)} ${f(c.precision)} ${f(c.recall)} ${f(c.f1)} ${String(c.support).padStart(8)}`);
  lines.push(`accuracy ${r.accuracy.toFixed(4)} | macro-F1 ${r.macroF1.toFixed(4)} | ${r.total} examples`);
  lines.push('', `confusion matrix (rows: gold, columns: predicted)`);
  const cw = Math.max(6, ...r.labels.map((l) => l.length), ...r.confusion.flat().map((v) => String(v).length));
  lines.push(`${''.padEnd(w)} ${r.labels.map((l) => l.padStart(cw)).join(' ')}`);
  r.confusion.forEach((row, g) => lines.push(`${r.labels[g]!.padEnd(w)} ${row.map((v) => String(v).padStart(cw)).join(' ')}`));
  return lines.join('\n');
}
