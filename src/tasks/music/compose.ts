import { noGrad } from '../../autograd/grad-mode.js';
import { sampleLogits, checkSamplingOptions } from '../../decode/sampling.js';
import { RecurError } from '../../errors.js';
import { tempoMap, type Score } from '../../music/midi.js';
import { decodePerformance, encodePerformance, STEP_SECONDS, TIME_SHIFT, VELOCITY, velocityBin } from '../../music/performance.js';
import { frameSeconds, KEYS, pianoRoll, scoreFromRoll, type FrameSpec, type PianoRoll } from '../../music/pianoroll.js';
import { TempoMap } from '../../music/tempo.js';
import { scoreFromTimed, timedNotes } from '../../music/timed.js';
import { Rng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';
import type { LanguageModel } from '../lm/model.js';
import { LmStepper } from '../lm/lm-stepper.js';
import type { PianoRollModel, RollState } from './model.js';

export interface ComposeOptions {
  /** Music to continue; its tempo map times the output (default 120 bpm, 480 ticks per beat). */
  primer?: Score | null;
  /** Length of the continuation in seconds (events; piano roll unless frames is set). */
  seconds?: number;
  /** Piano roll: length of the continuation in frames. */
  frames?: number;
  /** Events: softmax temperature; piano roll: divides every key logit. */
  temperature: number;
  /** Events: nucleus mass (1 = off). */
  topP?: number;
  /** Events: notes the model leaves hanging end after this many seconds (default 5, as in Magenta's Performance RNN). */
  maxNoteSeconds?: number;
  seed: number;
}

export interface Composition {
  score: Score;
  /** Notes of the continuation alone (without the primer's). */
  generatedNotes: number;
}

const DEFAULT_MAP = (): TempoMap => new TempoMap(480, [{ tick: 0, usPerBeat: 500_000 }]);

function checkLength(o: ComposeOptions): void {
  if (o.frames === undefined && o.seconds === undefined) throw new RecurError('compose: give a length (seconds or frames)');
  if (o.seconds !== undefined && !(o.seconds > 0 && Number.isFinite(o.seconds))) throw new RecurError(`compose: seconds must be > 0, got ${o.seconds}`);
  if (o.frames !== undefined && !(Number.isInteger(o.frames) && o.frames > 0)) throw new RecurError(`compose: frames must be a whole number > 0, got ${o.frames}`);
}

/**
 * A composition in steps: each `yield` gives the fraction done after one more event or frame,
 * so a page can hand the event loop back between steps (src/tasks/music/browser.ts).
 */
export type ComposeSteps<R> = Generator<number, R, void>;

/** Runs the steps to the end in one go. */
export function finishSteps<R>(steps: ComposeSteps<R>): R {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Continues a primer with the performance-event model: events sampled one by one with
 * temperature and top-p until their time shifts add up to `seconds` (at most 600 events per
 * second, so an untrained model that never advances time still stops).
 */
export function composeEvents(model: LanguageModel, o: ComposeOptions): Composition {
  return finishSteps(composeEventsSteps(model, o));
}

/** {@link composeEvents} one event per step. */
export function* composeEventsSteps(model: LanguageModel, o: ComposeOptions): ComposeSteps<Composition> {
  checkLength(o);
  if (o.seconds === undefined) throw new RecurError('compose: the event model takes --seconds, not --frames');
  const sampling = { temperature: o.temperature, topP: o.topP ?? 1 };
  checkSamplingOptions(sampling);
  model.eval();
  const map = o.primer ? tempoMap(o.primer) : DEFAULT_MAP();
  const primerIds = o.primer ? encodePerformance(timedNotes(o.primer, map)) : new Int32Array(0);
  const prime = primerIds.length > 0 ? primerIds : Int32Array.of(VELOCITY + velocityBin(80) - 1);
  const rng = new Rng(o.seed);
  const stepper = new LmStepper(model);
  let logits: Float32Array = noGrad(() => {
    const r = model.forward(prime, prime.length, 1, null);
    stepper.setState(r.state);
    return r.logits.data.slice((prime.length - 1) * model.config.vocabSize);
  });
  const out: number[] = [];
  const target = Math.round(o.seconds / STEP_SECONDS);
  let steps = 0;
  const maxEvents = Math.ceil(o.seconds * 600) + 16;
  while (steps < target && out.length < maxEvents) {
    const id = sampleLogits(logits, sampling, rng);
    out.push(id);
    if (id >= TIME_SHIFT && id < VELOCITY) steps += id - TIME_SHIFT + 1;
    logits = stepper.next(id);
    yield Math.min(1, Math.max(steps / target, out.length / maxEvents));
  }
  const all = new Int32Array(primerIds.length + out.length);
  all.set(primerIds);
  all.set(out, primerIds.length);
  const notes = decodePerformance(all, undefined, o.maxNoteSeconds ?? 5);
  const primerNotes = primerIds.length > 0 ? decodePerformance(primerIds).length : 0;
  return { score: scoreFromTimed(notes, map), generatedNotes: Math.max(0, notes.length - primerNotes) };
}

/**
 * Continues a primer with the piano-roll model, frame by frame: keys drawn as independent
 * Bernoulli variables (or key by key for the 'made' output) with logits divided by temperature.
 */
export function composeRoll(model: PianoRollModel, spec: FrameSpec, o: ComposeOptions): RollComposition {
  return finishSteps(composeRollSteps(model, spec, o));
}

export type RollComposition = Composition & { roll: PianoRoll; primerFrames: number };

/** {@link composeRoll} one frame per step. */
export function* composeRollSteps(model: PianoRollModel, spec: FrameSpec, o: ComposeOptions): ComposeSteps<RollComposition> {
  checkLength(o);
  if (!(o.temperature > 0 && Number.isFinite(o.temperature))) throw new RecurError(`compose: temperature must be > 0 for the piano roll, got ${o.temperature}`);
  model.eval();
  const map = o.primer ? tempoMap(o.primer) : DEFAULT_MAP();
  const primer = o.primer ? pianoRoll(o.primer, spec, map) : { frames: 0, data: new Uint8Array(0) };
  const n = o.frames ?? Math.max(1, Math.round(o.seconds! / frameSeconds(spec, map)));
  const rng = new Rng(o.seed);
  const sampler = model.frameSampler();
  const H = model.config.hiddenSize;
  const data = new Uint8Array((primer.frames + n) * KEYS);
  data.set(primer.data);
  // prev = [zeros, primer frames]: the last output predicts the first new frame.
  const prev = new Float32Array((primer.frames + 1) * KEYS);
  for (let i = 0; i < primer.data.length; i++) prev[KEYS + i] = primer.data[i]!;
  let input = new Tensor(prev, [primer.frames + 1, 1, KEYS]);
  let state: RollState | null = null;
  let generated = 0;
  for (let f = 0; f < n; f++) {
    const frame = noGrad(() => {
      const r = model.run(input, state);
      state = r.state;
      const T = input.shape[0]!;
      const cond = model.conditioning(new Tensor(r.h.data.slice((T - 1) * H, T * H), [1, H]));
      return sampler.sample(cond.bias, cond.hidden, o.temperature, () => rng.random()).frame;
    });
    data.set(frame, (primer.frames + f) * KEYS);
    for (let k = 0; k < KEYS; k++) if (frame[k] && (f === 0 || !data[(primer.frames + f - 1) * KEYS + k])) generated++;
    input = new Tensor(Float32Array.from(frame), [1, 1, KEYS]);
    yield (f + 1) / n;
  }
  const roll = { frames: primer.frames + n, data };
  return { score: scoreFromRoll(roll, spec, map), generatedNotes: generated, roll, primerFrames: primer.frames };
}
