import type { ParallelExample } from '../../data/pairs.js';
import { corpusBleu, formatBleu } from '../../metrics/bleu.js';
import { corpusChrf } from '../../metrics/chrf.js';
import { errorRate, sequenceErrorRate } from '../../metrics/wer.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import type { Seq2Seq } from './model.js';
import type { TranslateMetric } from './data.js';
import { translateTexts, type DecodeOptions } from './translate.js';

export interface ScoreResult {
  /** bleu, chrf (translation) or wer, per (G2P), all in percent; plus bleu details. */
  metrics: Record<string, number>;
  /** One line summary, e.g. `BLEU = 12.3 ... | chrF2 = 40.1`. */
  summary: string;
  hypotheses: string[];
}

const split = (s: string): string[] => s.split(/\s+/).filter((t) => t.length > 0);

/** Scores hypotheses against the examples' references (every alternative target counts). */
export function scoreHypotheses(hypotheses: readonly string[], examples: readonly ParallelExample[], metric: TranslateMetric): Omit<ScoreResult, 'hypotheses'> {
  if (metric === 'g2p') {
    const hyps = hypotheses.map(split), refs = examples.map((e) => e.targets.map(split));
    const wer = sequenceErrorRate(hyps, refs).rate * 100, per = errorRate(hyps, refs).rate * 100;
    return { metrics: { wer, per }, summary: `WER ${wer.toFixed(2)}% | PER ${per.toFixed(2)}% (${hyps.length} words)` };
  }
  const refs = examples.map((e) => e.targets);
  const b = corpusBleu(hypotheses, refs);
  const chrf = corpusChrf(hypotheses, refs);
  return {
    metrics: { bleu: b.score, chrf, bp: b.bp, hyp_len: b.sysLen, ref_len: b.refLen },
    summary: `${formatBleu(b)} | chrF2 = ${chrf.toFixed(2)} (${hypotheses.length} sentences)`,
  };
}

/** Decodes the examples' sources and scores the outputs. */
export async function scoreExamples(model: Seq2Seq, src: Tokenizer, tgt: Tokenizer, examples: readonly ParallelExample[],
  metric: TranslateMetric, o: DecodeOptions = {}): Promise<ScoreResult> {
  const out = await translateTexts(model, src, tgt, examples.map((e) => e.source), o);
  const hypotheses = out.map((t) => t.text);
  return { ...scoreHypotheses(hypotheses, examples, metric), hypotheses };
}
