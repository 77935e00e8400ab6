/**
 * The checks of a speech run's config (src/io/validate.ts): every field of the saved feature
 * config, model, targets and data spec is type- and range-checked, the fields are checked
 * against each other (feature size vs input size, units or classes vs output layer), and the
 * parameter count the model config implies against the weights in the file. The bounds are
 * also those of `recur train speech`'s options (checkSpeechOptions), so what trains loads.
 * Browser-safe.
 */
import { featureDim, type FeatureConfig } from '../../audio/features.js';
import { RecurError } from '../../errors.js';
import { checkIntOption, checkModelSize, describe, Fields, MAX_LAYERS, MAX_VOCAB, MAX_WIDTH, RNN_GATES, runConfig } from '../../io/validate.js';
import type { StateDict } from '../../nn/module.js';
import type { SpeechDataSpec } from './data.js';
import type { SpeechRecognizerConfig } from './model.js';
import type { SpeechRunConfig } from './run.js';
import type { SpeechTrainOptions } from './train.js';
import { BLANK, UnitSet } from './units.js';

/** The task and noun of speech runs (run.ts adds this file's check). */
export const SPEECH_KIND = { task: 'speech', noun: 'speech recognition' } as const;

/**
 * Sample rates a run's front end may use. Other rates are refused: resampling between rates
 * with a small common divisor builds a polyphase kernel of about rate² taps (src/audio/resample.ts).
 */
export const SAMPLE_RATES = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000] as const;
export const DEFAULT_SAMPLE_RATE = 16000;
/** Kaldi's smallest filterbank (src/audio/fbank.ts). */
export const MIN_MEL_BINS = 4;
/** MFCC cepstra when the config does not say (src/audio/features.ts). */
export const DEFAULT_CEPS = 13;
/** Utterances espeak-digits synthesises for one split: 50 times the default training set. */
export const MAX_SYNTH_COUNT = 100_000;

/**
 * At most as many mel bins as a 25 ms frame has FFT bins (Kaldi pads the frame to a power of
 * two): 256 at 16 kHz, 128 at 8 kHz. Beyond that filters are necessarily left empty.
 */
export function maxMelBins(sampleRate: number): number {
  return 2 ** Math.ceil(Math.log2(Math.trunc(sampleRate * 0.025))) / 2;
}

/** Parameters a model config implies (weights and biases of every layer). */
export function speechModelParams(c: SpeechRecognizerConfig): number {
  const D = c.bidirectional ? 2 : 1, G = RNN_GATES[c.cell], H = c.hiddenSize, Cc = c.convChannels;
  const conv = c.convLayers === 2 ? Cc * c.inputSize * 3 + Cc * Cc * 3 + 2 * Cc : 0;
  const rnnIn = c.convLayers === 2 ? Cc : c.inputSize;
  const rnn = D * G * H * (rnnIn + H + 2) + (c.numLayers - 1) * D * G * H * (D * H + H + 2);
  return conv + rnn + c.numOutputs * (D * H + 1);
}

/** A FeatureConfig checked field by field: kind, sample rate, mel bins within the rate's FFT bins, cepstra, deltas, CMVN. */
export function checkFeatureConfig(value: unknown, where: string): FeatureConfig {
  const f = Fields.of(value, where);
  const kind = f.oneOf('kind', ['fbank', 'mfcc'] as const);
  const sampleRate = f.optional('sampleRate', (k) => {
    const v = f.present(k);
    if (!(SAMPLE_RATES as readonly unknown[]).includes(v)) throw new RecurError(`${where}.${k} must be one of ${SAMPLE_RATES.join(', ')} (Hz), got ${String(v)}`);
    return v as number;
  });
  const rate = sampleRate ?? DEFAULT_SAMPLE_RATE;
  const numMelBins = f.optional('numMelBins', (k) => f.int(k, MIN_MEL_BINS, maxMelBins(rate)));
  const bins = numMelBins ?? (kind === 'mfcc' ? 40 : 80);
  const numCeps = f.optional('numCeps', (k) => f.int(k, 1, MAX_WIDTH));
  if (kind === 'mfcc' && (numCeps ?? DEFAULT_CEPS) > bins) {
    throw new RecurError(`${where}: ${numCeps ?? DEFAULT_CEPS} cepstra need at least as many mel bins, got numMelBins ${bins}`);
  }
  const deltas = f.optional('deltas', (k) => f.int(k, 0, 2) as 0 | 1 | 2);
  const cmvn = f.optional('cmvn', (k) => f.bool(k));
  return {
    kind, ...(sampleRate !== undefined ? { sampleRate } : {}), ...(numMelBins !== undefined ? { numMelBins } : {}),
    ...(numCeps !== undefined ? { numCeps } : {}), ...(deltas !== undefined ? { deltas } : {}), ...(cmvn !== undefined ? { cmvn } : {}),
  };
}

/**
 * A SpeechRecognizerConfig checked field by field, sizes bounded; with `weights` (a
 * checkpoint's), the file must hold the parameters the config implies.
 */
export function checkSpeechModelConfig(value: unknown, where: string, weights?: StateDict): SpeechRecognizerConfig {
  const f = Fields.of(value, where);
  const convLayers = f.int('convLayers', 0, 2);
  if (convLayers === 1) throw new RecurError(`${where}.convLayers must be 0 or 2, got 1`);
  const c: SpeechRecognizerConfig = {
    inputSize: f.int('inputSize', 1, MAX_WIDTH), convLayers: convLayers as 0 | 2, convChannels: f.int('convChannels', 1, MAX_WIDTH),
    cell: f.oneOf('cell', ['lstm', 'gru'] as const), hiddenSize: f.int('hiddenSize', 1, MAX_WIDTH), numLayers: f.int('numLayers', 1, MAX_LAYERS),
    bidirectional: f.bool('bidirectional'), dropout: f.num('dropout', 0, 1), head: f.oneOf('head', ['ctc', 'classify'] as const),
    numOutputs: f.int('numOutputs', 2, MAX_VOCAB), pooling: f.oneOf('pooling', ['mean', 'max'] as const),
  };
  checkModelSize(where, speechModelParams(c), weights);
  return c;
}

function checkDataSpec(value: unknown, where: string): SpeechDataSpec {
  const d = Fields.of(value, where);
  const valid = d.optional('valid', (k) => d.str(k)), test = d.optional('test', (k) => d.str(k));
  const trainCount = d.optional('trainCount', (k) => d.int(k, 1, MAX_SYNTH_COUNT)), evalCount = d.optional('evalCount', (k) => d.int(k, 1, MAX_SYNTH_COUNT));
  return {
    source: d.str('source'), ...(valid !== undefined ? { valid } : {}), ...(test !== undefined ? { test } : {}),
    seed: d.int('seed', 0, Number.MAX_SAFE_INTEGER), ...(trainCount !== undefined ? { trainCount } : {}), ...(evalCount !== undefined ? { evalCount } : {}),
  };
}

/** `key` must be null (or absent) for this head. */
function unused(f: Fields, key: string, head: string): null {
  if (f.o[key] !== undefined && f.o[key] !== null) throw new RecurError(`${f.where}.${key} must be null for a '${head}' model, got ${describe(f.o[key])}`);
  return null;
}

/**
 * The config of a speech checkpoint, checked against its weights: features, model, the CTC
 * units (`<blank>` first, one character each, as many as outputs) or the classes (distinct, as
 * many as outputs), the data spec and the training options' record. Browser-safe.
 */
export function checkSpeechRun(ck: { config: unknown; weights?: StateDict }, dir: string): SpeechRunConfig {
  const f = runConfig(ck.config, SPEECH_KIND, dir);
  const features = checkFeatureConfig(f.present('features'), `${f.where}.features`);
  const model = checkSpeechModelConfig(f.present('model'), `${f.where}.model`, ck.weights);
  const dim = featureDim(features);
  if (dim !== model.inputSize) {
    throw new RecurError(`${f.where}: the features give ${dim} values per frame but the model's inputSize is ${model.inputSize}`);
  }
  let units: string[] | null = null, classes: string[] | null = null;
  if (model.head === 'ctc') {
    units = f.strings('units', MAX_VOCAB);
    classes = unused(f, 'classes', 'ctc');
    try {
      new UnitSet(units);
    } catch (e) {
      if (e instanceof RecurError) throw new RecurError(`${f.where}.${e.message}`);
      throw e;
    }
    if (units.length !== model.numOutputs) throw new RecurError(`${f.where}: ${units.length} units (with ${BLANK}) for a model of ${model.numOutputs} outputs`);
  } else {
    classes = f.strings('classes', MAX_VOCAB);
    units = unused(f, 'units', 'classify');
    if (new Set(classes).size !== classes.length) throw new RecurError(`${f.where}.classes has a class twice`);
    if (classes.length !== model.numOutputs) throw new RecurError(`${f.where}: ${classes.length} classes for a model of ${model.numOutputs} outputs`);
  }
  return { task: 'speech', data: checkDataSpec(f.present('data'), `${f.where}.data`), features, units, classes, model, train: f.obj('train').o };
}

/**
 * The options of a fresh `recur train speech` run, checked with the bounds the saved config is
 * loaded with, before any data is read: each problem names its flag.
 */
export function checkSpeechOptions(o: SpeechTrainOptions): void {
  const rate = o.sampleRate ?? DEFAULT_SAMPLE_RATE;
  if (!(SAMPLE_RATES as readonly number[]).includes(rate)) throw new RecurError(`--sample-rate must be one of ${SAMPLE_RATES.join(', ')}, got ${rate}`);
  checkIntOption(`--mel-bins (at ${rate} Hz)`, o.melBins, MIN_MEL_BINS, maxMelBins(rate));
  if (o.features === 'mfcc' && o.melBins < DEFAULT_CEPS) throw new RecurError(`--mel-bins must be at least ${DEFAULT_CEPS} with --features mfcc (${DEFAULT_CEPS} cepstra), got ${o.melBins}`);
  checkIntOption('--hidden', o.hidden, 1, MAX_WIDTH);
  checkIntOption('--layers', o.layers, 1, MAX_LAYERS);
  checkIntOption('--conv-channels', o.convChannels, 1, MAX_WIDTH);
  if (o.trainCount !== undefined) checkIntOption('--train-count', o.trainCount, 1, MAX_SYNTH_COUNT);
  let outputs = 2;
  if (o.head === 'ctc') {
    try {
      outputs = UnitSet.fromChars(o.units).size;
    } catch (e) {
      if (e instanceof RecurError) throw new RecurError(`--units ${JSON.stringify(o.units)}: ${e.message.replace(/^units: /, '')}`);
      throw e;
    }
  }
  const model: SpeechRecognizerConfig = {
    inputSize: featureDim({ kind: o.features, numMelBins: o.melBins, deltas: o.deltas }), convLayers: o.conv ? 2 : 0, convChannels: o.convChannels,
    cell: o.cell, hiddenSize: o.hidden, numLayers: o.layers, bidirectional: true, dropout: o.dropout, head: o.head, numOutputs: outputs, pooling: o.pooling,
  };
  checkModelSize('train speech', speechModelParams(model));
}
