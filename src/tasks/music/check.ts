/**
 * The checks of a music run's config (src/io/validate.ts): sources, representation, the model
 * (the event LM over exactly the performance-event vocabulary, or the piano-roll model with
 * its Bernoulli or MADE output), the frame spec of piano rolls and the BPTT window evaluation
 * reads; sizes bounded and the parameter count checked against the weights in the file. The
 * bounds are also those of `recur train music`'s options (checkMusicOptions). Browser-safe.
 */
import { checkIntOption, checkModelSize, Fields, MAX_BPTT, MAX_LAYERS, MAX_WIDTH, RNN_GATES, runConfig } from '../../io/validate.js';
import { RecurError } from '../../errors.js';
import { EVENT_VOCAB } from '../../music/performance.js';
import { GRIDS, KEYS, type FrameSpec } from '../../music/pianoroll.js';
import type { StateDict } from '../../nn/module.js';
import { checkLmConfig } from '../lm/model.js';
import type { PianoRollModelConfig } from './model.js';
import type { MusicRepr, MusicRunConfig } from './run.js';
import type { MusicTrainOptions } from './train.js';

/** The task and noun of music runs (run.ts adds this file's check). */
export const MUSIC_KIND = { task: 'music', noun: 'music' } as const;

/** Frame rates of a fixed-rate piano roll. */
export const MIN_FPS = 0.1;
export const MAX_FPS = 1000;

const REPR_NAMES: readonly MusicRepr[] = ['events', 'pianoroll'];

/** Parameters a piano-roll config implies. */
export function rollModelParams(c: PianoRollModelConfig): number {
  const G = RNN_GATES[c.cell], H = c.hiddenSize, Hm = c.madeHidden;
  const rnn = G * H * (KEYS + H + 2) + (c.numLayers - 1) * G * H * (2 * H + 2);
  const made = c.output === 'made' ? H * Hm + Hm + 2 * Hm * KEYS + KEYS * KEYS : 0;
  return rnn + KEYS * (H + 1) + made;
}

/** A PianoRollModelConfig checked field by field; with `weights`, against the file's weights. */
export function checkRollModelConfig(value: unknown, where: string, weights?: StateDict): PianoRollModelConfig {
  const f = Fields.of(value, where);
  const c: PianoRollModelConfig = {
    hiddenSize: f.int('hiddenSize', 1, MAX_WIDTH), numLayers: f.int('numLayers', 1, MAX_LAYERS), cell: f.oneOf('cell', ['lstm', 'gru', 'rnn'] as const),
    dropout: f.num('dropout', 0, 1), output: f.oneOf('output', ['bernoulli', 'made'] as const), madeHidden: f.int('madeHidden', 1, MAX_WIDTH),
  };
  checkModelSize(where, rollModelParams(c), weights);
  return c;
}

/** A piano roll's frames: `{ grid }` of GRIDS or `{ fps }` in [MIN_FPS, MAX_FPS]. */
export function checkFrameSpecField(value: unknown, where: string): FrameSpec {
  const f = Fields.of(value, where);
  if (f.o.grid !== undefined) return { grid: f.oneOf('grid', GRIDS) };
  return { fps: f.num('fps', MIN_FPS, MAX_FPS) };
}

/** A held-out source: a path, or null / absent. */
function source(f: Fields, key: string): string | null | undefined {
  return f.o[key] === null ? null : f.optional(key, (k) => f.str(k));
}

/** The config of a music checkpoint, checked against its weights (see src/io/validate.ts). */
export function checkMusicRun(ck: { config: unknown; weights?: StateDict }, dir: string): MusicRunConfig {
  const f = runConfig(ck.config, MUSIC_KIND, dir);
  const repr = f.oneOf('repr', REPR_NAMES);
  const train = f.obj('train');
  train.optional('bptt', (k) => train.int(k, 1, MAX_BPTT));
  const valid = source(f, 'valid'), test = source(f, 'test');
  const sources = { data: f.str('data'), ...(valid !== undefined ? { valid } : {}), ...(test !== undefined ? { test } : {}) };
  if (repr === 'events') {
    const model = checkLmConfig(f.present('model'), `${f.where}.model`, ck.weights);
    if (model.vocabSize !== EVENT_VOCAB) throw new RecurError(`${f.where}.model.vocabSize must be ${EVENT_VOCAB} (the performance events), got ${model.vocabSize}`);
    if (model.tieWeights && model.embedSize !== model.hiddenSize) {
      throw new RecurError(`${f.where}.model: tied weights need embedSize == hiddenSize, got ${model.embedSize} and ${model.hiddenSize}`);
    }
    return { task: 'music', ...sources, repr, model, train: train.o };
  }
  const frames = checkFrameSpecField(f.present('frames'), `${f.where}.frames`);
  const model = checkRollModelConfig(f.present('model'), `${f.where}.model`, ck.weights);
  return { task: 'music', ...sources, repr, frames, model, train: train.o };
}

/**
 * The options of a fresh `recur train music` run, checked with the bounds the saved config is
 * loaded with, before any data is read: each problem names its flag.
 */
export function checkMusicOptions(o: MusicTrainOptions): void {
  checkIntOption('--hidden', o.hidden, 1, MAX_WIDTH);
  checkIntOption('--layers', o.layers, 1, MAX_LAYERS);
  checkIntOption('--bptt', o.bptt, 1, MAX_BPTT);
  if (o.repr === 'events') {
    checkIntOption('--embed', o.embed, 1, MAX_WIDTH);
    checkLmConfig({ vocabSize: EVENT_VOCAB, embedSize: o.embed, hiddenSize: o.hidden, numLayers: o.layers, cell: o.cell, dropout: o.dropout, tieWeights: false }, 'train music');
    return;
  }
  checkIntOption('--made-hidden', o.madeHidden, 1, MAX_WIDTH);
  if (o.fps !== undefined && !(o.fps >= MIN_FPS && o.fps <= MAX_FPS)) throw new RecurError(`--fps must be a number in [${MIN_FPS}, ${MAX_FPS}], got ${o.fps}`);
  checkModelSize('train music', rollModelParams({ hiddenSize: o.hidden, numLayers: o.layers, cell: o.cell, dropout: o.dropout, output: o.output, madeHidden: o.madeHidden }));
}
