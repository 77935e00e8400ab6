import { extractFeatures, type FeatureConfig } from '../../audio/features.js';
import { loadAsteriskDigits } from '../../data/asterisk-digits.js';
import { loadEspeakDigits, type EspeakSplit } from '../../data/espeak-digits.js';
import { loadSpeechManifest, summarizeSpeechSet, type SpeechSet } from '../../data/speech-set.js';
import { RecurError } from '../../errors.js';
import { Rng } from '../../tensor/rng.js';
import type { FeatureUtterance } from './batch.js';

export { makeFeatureBatch, type FeatureUtterance } from './batch.js';

/** Where a run's data comes from (saved in the run, so that eval and report find it again). */
export interface SpeechDataSpec {
  /** 'espeak-digits', 'asterisk-digits', or a TSV manifest (path TAB transcript). */
  source: string;
  /** TSV manifests for validation and test (TSV sources; default: held out from the source). */
  valid?: string;
  test?: string;
  seed: number;
  /** espeak-digits: training utterances to synthesise (default 2000). */
  trainCount?: number;
  /** espeak-digits: validation and test utterances each (default 200 and 300). */
  evalCount?: number;
}

export interface SpeechSplits {
  train: FeatureUtterance[];
  valid: FeatureUtterance[];
  test: FeatureUtterance[];
  /** One line per set loaded (utterances, minutes, skipped files). */
  summary: string[];
}

export const NAMED_SETS = ['espeak-digits', 'asterisk-digits'] as const;

function toUtterances(set: SpeechSet<{ data: Float32Array; frames: number }>): FeatureUtterance[] {
  return set.utterances.map((u) => ({ id: u.id, transcript: u.transcript, features: u.audio.data, frames: u.audio.frames }));
}

function featureTransform(config: FeatureConfig): (samples: Float32Array) => { data: Float32Array; frames: number } {
  return (samples) => {
    const f = extractFeatures(samples, config);
    return { data: f.data, frames: f.frames };
  };
}

/**
 * One speech set as features: a named set (its `split`; asterisk-digits is one set of real
 * recordings whatever the split) or a TSV manifest.
 */
export async function loadFeatureSet(source: string, config: FeatureConfig, o: { split?: EspeakSplit; seed?: number; count?: number } = {}):
  Promise<{ utterances: FeatureUtterance[]; summary: string }> {
  // The audio is read at the rate the features are computed for.
  const read = { transform: featureTransform(config), ...(config.sampleRate !== undefined ? { sampleRate: config.sampleRate } : {}) };
  let set: SpeechSet<{ data: Float32Array; frames: number }>;
  if (source === 'espeak-digits') {
    set = await loadEspeakDigits({ split: o.split ?? 'train', seed: o.seed ?? 0, ...read, ...(o.count ? { count: o.count } : {}) });
  } else if (source === 'asterisk-digits') {
    set = loadAsteriskDigits(read);
  } else {
    set = loadSpeechManifest(source, read);
  }
  const utterances = toUtterances(set).filter((u) => u.frames > 0);
  if (utterances.length === 0) throw new RecurError(`${set.source}: no usable utterances (${set.skipped.length} files skipped)`);
  return { utterances, summary: summarizeSpeechSet(set) };
}

/** A seeded split of utterances: `fraction` of them (at least 1) held out. */
function holdOut<T>(items: T[], fraction: number, seed: number): { kept: T[]; held: T[] } {
  if (items.length < 2) throw new RecurError(`only ${items.length} utterance: too few to hold out a validation set (give --valid)`);
  const perm = new Rng(seed * 7919 + 17).permutation(items.length);
  const n = Math.max(1, Math.round(items.length * fraction));
  const held = new Set(Array.from(perm.subarray(0, n)));
  return { kept: items.filter((_, i) => !held.has(i)), held: items.filter((_, i) => held.has(i)) };
}

/**
 * The train / valid / test splits of a run's data:
 * - espeak-digits: its own voice-disjoint splits (train, valid, test);
 * - asterisk-digits or a TSV: `valid` / `test` manifests when given, else 10% of the source
 *   held out for validation (seeded), and the validation set doubles as the test set.
 */
export async function loadSpeechSplits(spec: SpeechDataSpec, config: FeatureConfig): Promise<SpeechSplits> {
  const summary: string[] = [];
  const load = async (source: string, split?: EspeakSplit, count?: number): Promise<FeatureUtterance[]> => {
    const r = await loadFeatureSet(source, config, { seed: spec.seed, ...(split ? { split } : {}), ...(count ? { count } : {}) });
    summary.push(r.summary);
    return r.utterances;
  };
  if (spec.source === 'espeak-digits') {
    const train = await load(spec.source, 'train', spec.trainCount);
    const valid = spec.valid ? await load(spec.valid) : await load(spec.source, 'valid', spec.evalCount);
    const test = spec.test ? await load(spec.test) : await load(spec.source, 'test', spec.evalCount);
    return { train, valid, test, summary };
  }
  let train = await load(spec.source);
  let valid: FeatureUtterance[];
  if (spec.valid) valid = await load(spec.valid);
  else {
    const s = holdOut(train, 0.1, spec.seed);
    train = s.kept;
    valid = s.held;
    summary.push(`validation: ${valid.length} utterances held out of ${spec.source}`);
  }
  const test = spec.test ? await load(spec.test) : valid;
  return { train, valid, test, summary };
}
