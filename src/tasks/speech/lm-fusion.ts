import { statSync } from 'node:fs';
import { readTextFile } from '../../data/text-file.js';
import type { FusionLm } from '../../decode/ctc.js';
import { RecurError } from '../../errors.js';
import { tokenizerFromJSON } from '../../text/from-json.js';
import { LmStepper } from '../lm/lm-stepper.js';
import { KneserNeyTrigram } from '../lm/ngram.js';
import { loadLmRun } from '../lm/run.js';
import type { UnitSet } from './units.js';

/** log P of a unit the LM cannot spell (not in its vocabulary and no <unk>): a strong penalty, not −∞. */
const UNKNOWN_LOGP = -20;

interface RnnLmState {
  h: Float32Array;
  c?: Float32Array;
  /** log P(next unit) for every unit id. */
  logp: Float64Array;
}

/**
 * A recur character language model (a `recur train lm --level char` run directory) as a
 * fusion LM over the units: each unit is looked up as that character in the LM's vocabulary
 * (else its uppercase form, else <unk>). The LM starts after a line break, as a transcript is
 * one line.
 */
export function rnnLmFusion(dir: string, units: UnitSet): FusionLm<RnnLmState> {
  const { model, config } = loadLmRun(dir);
  if (config.level !== 'char') throw new RecurError(`--lm ${dir}: a ${config.level}-level language model; shallow fusion needs a character model (recur train lm --level char)`);
  if (!LmStepper.supports(model)) throw new RecurError(`--lm ${dir}: a bidirectional model cannot score text left to right`);
  const tokenizer = tokenizerFromJSON(config.tokenizer);
  const stepper = new LmStepper(model);
  const V = stepper.vocabSize;
  const tok = units.units.map((u, i) => {
    if (i === 0) return -1;
    for (const ch of [u, u.toUpperCase()]) {
      const ids = tokenizer.encode(ch);
      if (ids.length === 1 && ids[0] !== tokenizer.unkId) return ids[0]!;
    }
    return tokenizer.unkId ?? -1;
  });
  const snapshot = (logits: Float32Array): RnnLmState => {
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, logits[v]!);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[v]! - m);
    const lse = m + Math.log(s);
    const logp = new Float64Array(units.size);
    tok.forEach((t, i) => { logp[i] = t < 0 ? UNKNOWN_LOGP : logits[t]! - lse; });
    const st = stepper.stepper.getState();
    return { h: st.h, ...(st.c ? { c: st.c } : {}), logp };
  };
  const nl = tokenizer.encode('\n');
  const startId = nl.length === 1 ? nl[0]! : (tokenizer.bosId ?? tok[units.space ?? 1]!);
  return {
    start: () => {
      stepper.setState(null);
      return snapshot(stepper.next(Math.max(startId, 0)));
    },
    logProb: (s, u) => s.logp[u]!,
    next: (s, u) => {
      stepper.stepper.setState({ h: s.h, c: s.c ?? null });
      const t = tok[u]!;
      return snapshot(stepper.next(t < 0 ? Math.max(startId, 0) : t));
    },
  };
}

/**
 * A Kneser–Ney character trigram (src/tasks/lm/ngram.ts) over the units, trained on a text
 * file: each line is normalised as a transcript is, and lines are joined by the space unit (or
 * the blank id, when the units have no space, as a boundary).
 */
export function ngramFusion(textFile: string, units: UnitSet): FusionLm<[number, number]> {
  const boundary = units.space ?? 0;
  const ids: number[] = [boundary, boundary];
  for (const line of readTextFile(textFile).split(/\r?\n/)) {
    const enc = units.encode(line).ids;
    if (enc.length === 0) continue;
    ids.push(...enc, boundary);
  }
  if (ids.length < 4) throw new RecurError(`--lm ${textFile}: no text made of the output units (${units.units.slice(1).join('')})`);
  const lm = new KneserNeyTrigram(ids, units.size);
  return {
    start: () => [boundary, boundary],
    logProb: ([u, v], w) => Math.log(lm.prob(u, v, w)),
    next: ([, v], w) => [v, w],
  };
}

/** `--lm PATH`: a run directory is a recur character LM, a file is text for a trigram. */
export function fusionLmFrom(path: string, units: UnitSet): FusionLm<unknown> {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new RecurError(`--lm ${path}: not found (a recur char LM run directory or a text file for a trigram)`);
  }
  return (isDir ? rnnLmFusion(path, units) : ngramFusion(path, units)) as FusionLm<unknown>;
}
