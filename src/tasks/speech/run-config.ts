/**
 * What a speech run's checkpoint holds and what inference builds from it, browser-safe: the
 * Node-only loading from a run directory is in ./run.ts.
 */
import { extractFeatures, type FeatureConfig } from '../../audio/features.js';
import { RecurError } from '../../errors.js';
import type { RunConfig } from '../../train/run.js';
import type { FeatureUtterance } from './batch.js';
import type { SpeechDataSpec } from './data.js';
import type { SpeechRecognizer, SpeechRecognizerConfig } from './model.js';
import type { SpeechTargets } from './task.js';
import { UnitSet } from './units.js';

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

/** The run's features of mono samples (already at the features' sample rate); `source` names the audio in errors. */
export function utteranceFeatures(run: Pick<SpeechRun, 'config'>, samples: Float32Array, source: string): FeatureUtterance {
  const f = extractFeatures(samples, run.config.features);
  if (f.frames < 1) throw new RecurError(`${source}: too short for one feature frame (25 ms)`);
  return { id: source, transcript: '', features: f.data, frames: f.frames };
}
