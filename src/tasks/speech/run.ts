import type { FeatureConfig } from '../../audio/features.js';
import { extractFeatures } from '../../audio/features.js';
import { readAudioFile } from '../../audio/node.js';
import { RecurError } from '../../errors.js';
import { loadRun, type RunConfig, type RunKind } from '../../train/run.js';
import { checkSpeechRun, DEFAULT_SAMPLE_RATE, SPEECH_KIND } from './check.js';
import { loadFeatureSet, loadSpeechSplits, type FeatureUtterance, type SpeechDataSpec } from './data.js';
import type { DecodeOptions } from './decode.js';
import { SpeechRecognizer, type SpeechRecognizerConfig } from './model.js';
import { evaluateSpeech, transcribeUtterances, type SpeechEvaluation, type SpeechTargets } from './task.js';
import { UnitSet } from './units.js';

export const SPEECH_RUN: RunKind = { ...SPEECH_KIND, check: checkSpeechRun };

export interface SpeechRunConfig extends RunConfig {
  task: 'speech';
  data: SpeechDataSpec;
  features: FeatureConfig;
  /** CTC head: the output units, `<blank>` first. */
  units: string[] | null;
  /** Classify head: the class names (normalised transcripts). */
  classes: string[] | null;
  model: SpeechRecognizerConfig;
}

export interface SpeechRun {
  model: SpeechRecognizer;
  targets: SpeechTargets;
  config: SpeechRunConfig;
}

export function targetsOf(c: Pick<SpeechRunConfig, 'units' | 'classes' | 'model'>): SpeechTargets {
  if (c.model.head === 'classify') {
    if (!c.classes) throw new RecurError('speech run: a classify model without its classes');
    return { kind: 'classify', classes: c.classes };
  }
  if (!c.units) throw new RecurError('speech run: a CTC model without its units');
  return { kind: 'ctc', units: new UnitSet(c.units) };
}

export function loadSpeechRun(dir: string, which: 'best' | 'last' = 'best'): SpeechRun {
  return loadRun<SpeechRunConfig, Omit<SpeechRun, 'config'>>(dir, SPEECH_RUN, (c) => ({
    model: new SpeechRecognizer(c.model), targets: targetsOf(c),
  }), which);
}

/** Features of audio files for a run, read at its front end's rate (files that cannot be read are errors naming them). */
export function featuresOfFiles(run: SpeechRun, files: readonly string[]): FeatureUtterance[] {
  return files.map((path) => {
    const f = extractFeatures(readAudioFile(path, run.config.features.sampleRate ?? DEFAULT_SAMPLE_RATE), run.config.features);
    if (f.frames < 1) throw new RecurError(`${path}: too short for one feature frame (25 ms)`);
    return { id: path, transcript: '', features: f.data, frames: f.frames };
  });
}

/** Transcripts of audio files, in order. */
export async function transcribeFiles(run: SpeechRun, files: readonly string[], decode: DecodeOptions): Promise<string[]> {
  return (await transcribeUtterances(run.model, run.targets, featuresOfFiles(run, files), decode)).texts;
}

/** Scores of a run on its own split, or on `data` (a TSV manifest, espeak-digits or asterisk-digits). */
export async function evaluateSpeechRun(run: SpeechRun, o: { split: 'valid' | 'test'; data?: string }, decode: DecodeOptions):
  Promise<SpeechEvaluation & { where: string }> {
  let utts: FeatureUtterance[], where: string;
  if (o.data) {
    const r = await loadFeatureSet(o.data, run.config.features, { split: 'test', seed: run.config.data.seed });
    utts = r.utterances;
    where = r.summary;
  } else {
    utts = (await loadSpeechSplits(run.config.data, run.config.features))[o.split];
    where = `${run.config.data.source} ${o.split} split`;
  }
  return { ...(await evaluateSpeech(run.model, run.targets, utts, decode)), where };
}
