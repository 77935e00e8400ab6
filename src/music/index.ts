/** Music data, browser-safe: `import { music } from 'recur'`. MIDI folders and audio are in `recur/node`. */
export { readMidi, writeMidi, tempoMap, DRUM_CHANNEL, type Note, type Score, type TimeSignature, type ReadMidiOptions } from './midi.js';
export { TempoMap, DEFAULT_US_PER_BEAT, type TempoChange } from './tempo.js';
export { timedNotes, scoreFromTimed, type TimedNote } from './timed.js';
export {
  encodePerformance, decodePerformance, performanceSeconds, describeEvent, velocityBin, binVelocity,
  NOTE_ON, NOTE_OFF, TIME_SHIFT, VELOCITY, EVENT_VOCAB, SHIFT_STEPS, VELOCITY_BINS, STEP_SECONDS,
} from './performance.js';
export {
  pianoRoll, scoreFromRoll, transposeRoll, frameTick, frameSeconds, checkFrameSpec, KEYS, LOW_KEY, GRIDS,
  type Grid, type FrameSpec, type PianoRoll,
} from './pianoroll.js';
export { transpose, stretch, augmentNotes, MAX_TRANSPOSE, MAX_STRETCH } from './augment.js';
export { musicStats, pitchClassDistance, type MusicStats } from './stats.js';
export { countFrames, frameAccuracy, type FrameCounts } from '../metrics/frame-accuracy.js';
