import { readAudioFile } from '../../audio/node.js';
import { loadRun, type RunKind } from '../../train/run.js';
import { checkSpeechRun, DEFAULT_SAMPLE_RATE, SPEECH_KIND } from './check.js';
import { loadFeatureSet, loadSpeechSplits, type FeatureUtterance } from './data.js';
import type { DecodeOptions } from './decode.js';
import { SpeechRecognizer } from './model.js';
import { targetsOf, utteranceFeatures, type SpeechRun, type SpeechRunConfig } from './run-config.js';
import { evaluateSpeech, transcribeUtterances, type SpeechEvaluation } from './task.js';

export const SPEECH_RUN: RunKind = { ...SPEECH_KIND, check: checkSpeechRun };

export { targetsOf, type SpeechRun, type SpeechRunConfig } from './run-config.js';

export function loadSpeechRun(dir: string, which: 'best' | 'last' = 'best'): SpeechRun {
  return loadRun<SpeechRunConfig, Omit<SpeechRun, 'config'>>(dir, SPEECH_RUN, (c) => ({
    model: new SpeechRecognizer(c.model), targets: targetsOf(c),
  }), which);
}

/** Features of audio files for a run, read at its front end's rate (files that cannot be read are errors naming them). */
export function featuresOfFiles(run: SpeechRun, files: readonly string[]): FeatureUtterance[] {
  return files.map((path) => utteranceFeatures(run, readAudioFile(path, run.config.features.sampleRate ?? DEFAULT_SAMPLE_RATE), path));
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
