import midiFile from 'midi-file';
import type { MidiData, MidiEvent } from 'midi-file';
import { RecurError } from '../errors.js';
import { TempoMap, type TempoChange } from './tempo.js';

/** MIDI channel 10 (index 9) is General MIDI percussion: its "pitches" are drum kinds. */
export const DRUM_CHANNEL = 9;

/** One sounding note, in ticks of its file (seconds come from the score's tempo map). */
export interface Note {
  /** MIDI pitch 0-127 (for drums: the GM percussion key). */
  pitch: number;
  /** 1-127. */
  velocity: number;
  startTick: number;
  /** > startTick. */
  endTick: number;
  /** 0-15. */
  channel: number;
  /** GM program 0-127 in force on the channel when the note starts (on channel 10: the drum kit). */
  program: number;
  /**
   * The (track, channel) stream the note came from, numbered in file order from 0. Notes of one
   * stream are written to one track, so overlapping notes of one pitch pair up as they did.
   */
  stream: number;
}

export interface TimeSignature {
  tick: number;
  numerator: number;
  denominator: number;
}

/**
 * A MIDI file reduced to what music models use: notes (drums kept apart) on one timeline,
 * with the tempo map and time signatures that turn ticks into seconds and beats.
 */
export interface Score {
  ticksPerBeat: number;
  tempos: TempoChange[];
  timeSignatures: TimeSignature[];
  /** Pitched notes of every track and channel but the drum channel, sorted by start, pitch. */
  notes: Note[];
  /** Notes on channel 10; empty when read with drums: 'drop'. */
  drums: Note[];
}

export interface ReadMidiOptions {
  /** 'apart' (default): channel 10 goes to score.drums; 'drop': it is discarded. */
  drums?: 'apart' | 'drop';
}

const { parseMidi, writeMidi: writeMidiData } = midiFile;

/** The tempo map of a score. */
export function tempoMap(score: Score): TempoMap {
  return new TempoMap(score.ticksPerBeat, score.tempos);
}

function byStart(a: Note, b: Note): number {
  return a.startTick - b.startTick || a.pitch - b.pitch || a.endTick - b.endTick || a.channel - b.channel;
}

function checkStructure(bytes: Uint8Array, name: string): void {
  const text = (o: number): string => String.fromCharCode(...bytes.subarray(o, o + 4));
  if (bytes.length < 14 || text(0) !== 'MThd') throw new RecurError(`${name}: not a MIDI file (no MThd header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0, chunks = 0;
  while (pos + 8 <= bytes.length) {
    const len = view.getUint32(pos + 4);
    if (pos + 8 + len > bytes.length) throw new RecurError(`${name}: chunk '${text(pos)}' at byte ${pos} is truncated (declares ${len} bytes, ${bytes.length - pos - 8} left)`);
    pos += 8 + len;
    chunks++;
  }
  const format = view.getUint16(8);
  if (format > 2) throw new RecurError(`${name}: unknown MIDI format ${format}`);
  if (format === 2) throw new RecurError(`${name}: MIDI format 2 (independent sequences) is not supported`);
  if (chunks < 2) throw new RecurError(`${name}: MIDI file has no track`);
}

function parse(bytes: Uint8Array, name: string): MidiData {
  checkStructure(bytes, name);
  let data: MidiData;
  try {
    data = parseMidi(bytes);
  } catch (e) {
    throw new RecurError(`${name}: corrupt MIDI (${e instanceof Error ? e.message : String(e)})`);
  }
  for (const [t, track] of data.tracks.entries()) {
    for (const ev of track) {
      if (!Number.isFinite(ev.deltaTime) || ev.deltaTime < 0) throw new RecurError(`${name}: corrupt MIDI (track ${t}: bad delta time)`);
      if ((ev.type === 'noteOn' || ev.type === 'noteOff') && !(ev.noteNumber >= 0 && ev.noteNumber <= 127 && ev.velocity >= 0 && ev.velocity <= 127)) {
        throw new RecurError(`${name}: corrupt MIDI (track ${t}: note event out of range)`);
      }
    }
  }
  return data;
}

/**
 * Reads a Standard MIDI File (format 0 or 1; running status, several tracks and channels, tempo
 * maps). Note-on with velocity 0 is a note-off; a note-off closes the earliest open note of the
 * same track, channel and pitch; notes still open at the end of their track end there;
 * zero-length notes are dropped. SMPTE time division is read as ticksPerBeat = frames x
 * ticks-per-frame at 60 bpm, so that ticks still map to the right seconds.
 * Corrupt or unsupported input throws a RecurError naming `name`.
 */
export function readMidi(bytes: Uint8Array, name = 'MIDI', o: ReadMidiOptions = {}): Score {
  const data = parse(bytes, name);
  const h = data.header;
  let ticksPerBeat = h.ticksPerBeat ?? 0;
  const tempos: TempoChange[] = [];
  if (!ticksPerBeat && h.framesPerSecond && h.ticksPerFrame) {
    ticksPerBeat = h.framesPerSecond * h.ticksPerFrame;
    tempos.push({ tick: 0, usPerBeat: 1_000_000 });
  }
  if (!(ticksPerBeat > 0)) throw new RecurError(`${name}: MIDI header has no valid time division`);
  const smpte = tempos.length > 0;
  const timeSignatures: TimeSignature[] = [];
  // Programs are channel state shared by all tracks: (tick, program) per channel.
  const programs: Array<Array<{ tick: number; program: number }>> = Array.from({ length: 16 }, () => []);
  interface Raw { on: boolean; tick: number; channel: number; pitch: number; velocity: number; track: number; order: number }
  const raw: Raw[] = [];
  const trackEnds: number[] = [];
  let order = 0;
  data.tracks.forEach((track: MidiEvent[], t: number) => {
    let tick = 0;
    for (const ev of track) {
      tick += ev.deltaTime;
      switch (ev.type) {
        case 'setTempo':
          if (!smpte) tempos.push({ tick, usPerBeat: ev.microsecondsPerBeat });
          break;
        case 'timeSignature':
          timeSignatures.push({ tick, numerator: ev.numerator, denominator: ev.denominator });
          break;
        case 'programChange':
          programs[ev.channel]!.push({ tick, program: ev.programNumber });
          break;
        case 'noteOn':
        case 'noteOff':
          raw.push({ on: ev.type === 'noteOn' && ev.velocity > 0, tick, channel: ev.channel, pitch: ev.noteNumber, velocity: ev.velocity, track: t, order: order++ });
          break;
        default:
      }
    }
    trackEnds.push(tick);
  });
  for (const p of programs) p.sort((a, b) => a.tick - b.tick);
  const programAt = (channel: number, tick: number): number => {
    let prog = 0;
    for (const p of programs[channel]!) if (p.tick <= tick) prog = p.program;
    return prog;
  };
  // Within a track events are already in time order; offs before ons at one tick come from the file's own order.
  const open = new Map<number, Raw[]>();
  const notes: Note[] = [], drums: Note[] = [];
  const streams = [...new Set(raw.filter((e) => e.on).map((e) => e.track * 16 + e.channel))].sort((a, b) => a - b);
  const streamOf = new Map(streams.map((k, i) => [k, i]));
  const emit = (on: Raw, endTick: number): void => {
    if (endTick <= on.tick) return;
    const stream = streamOf.get(on.track * 16 + on.channel)!;
    const n: Note = { pitch: on.pitch, velocity: on.velocity, startTick: on.tick, endTick, channel: on.channel, program: programAt(on.channel, on.tick), stream };
    if (on.channel !== DRUM_CHANNEL) notes.push(n);
    else if ((o.drums ?? 'apart') === 'apart') drums.push(n);
  };
  for (const e of raw) {
    const key = (e.track * 16 + e.channel) * 128 + e.pitch;
    if (e.on) {
      const q = open.get(key);
      if (q) q.push(e);
      else open.set(key, [e]);
    } else {
      const first = open.get(key)?.shift();
      if (first) emit(first, e.tick);
    }
  }
  for (const q of open.values()) for (const on of q) emit(on, trackEnds[on.track]!);
  notes.sort(byStart);
  drums.sort(byStart);
  timeSignatures.sort((a, b) => a.tick - b.tick);
  tempos.sort((a, b) => a.tick - b.tick);
  return { ticksPerBeat, tempos, timeSignatures, notes, drums };
}

/**
 * Writes a score as a format-1 file: track 0 holds the tempo map and time signatures, then one
 * track per stream (note.stream), with running status. At one tick, note-offs come
 * before note-ons, so a repeated note is not cut by its own release.
 */
export function writeMidi(score: Score): Uint8Array {
  const meta: Array<{ tick: number; ev: MidiEvent }> = [];
  for (const t of score.tempos) meta.push({ tick: t.tick, ev: { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: Math.round(t.usPerBeat) } });
  for (const s of score.timeSignatures) {
    meta.push({ tick: s.tick, ev: { deltaTime: 0, meta: true, type: 'timeSignature', numerator: s.numerator, denominator: s.denominator, metronome: 24, thirtyseconds: 8 } });
  }
  meta.sort((a, b) => a.tick - b.tick);
  const tracks: MidiEvent[][] = [withDeltas(meta)];
  const byStream = new Map<number, Note[]>();
  for (const n of [...score.notes, ...score.drums]) {
    checkNote(n);
    const key = n.stream * 16 + n.channel;
    const list = byStream.get(key);
    if (list) list.push(n);
    else byStream.set(key, [n]);
  }
  for (const key of [...byStream.keys()].sort((a, b) => a - b)) {
    const channel = key % 16;
    // rank orders events at one tick: program change, note-off, note-on.
    const evs: Array<{ tick: number; rank: number; ev: MidiEvent }> = [];
    let program = -1;
    for (const n of [...byStream.get(key)!].sort(byStart)) {
      if (n.program !== program) {
        evs.push({ tick: n.startTick, rank: 0, ev: { deltaTime: 0, type: 'programChange', channel, programNumber: n.program } });
        program = n.program;
      }
      evs.push({ tick: n.startTick, rank: 2, ev: { deltaTime: 0, type: 'noteOn', channel, noteNumber: n.pitch, velocity: n.velocity } });
      evs.push({ tick: n.endTick, rank: 1, ev: { deltaTime: 0, type: 'noteOff', channel, noteNumber: n.pitch, velocity: 0 } });
    }
    evs.sort((a, b) => a.tick - b.tick || a.rank - b.rank);
    tracks.push(withDeltas(evs));
  }
  const data: MidiData = { header: { format: 1, numTracks: tracks.length, ticksPerBeat: score.ticksPerBeat }, tracks };
  return Uint8Array.from(writeMidiData(data, { running: true }));
}

function checkNote(n: Note): void {
  const ok = Number.isInteger(n.pitch) && n.pitch >= 0 && n.pitch <= 127 && Number.isInteger(n.velocity) && n.velocity >= 1 && n.velocity <= 127 &&
    Number.isInteger(n.startTick) && n.startTick >= 0 && Number.isInteger(n.endTick) && n.endTick > n.startTick &&
    Number.isInteger(n.channel) && n.channel >= 0 && n.channel <= 15 && Number.isInteger(n.stream) && n.stream >= 0 && Number.isInteger(n.program) && n.program >= 0 && n.program <= 127;
  if (!ok) throw new RecurError(`writeMidi: invalid note ${JSON.stringify(n)} (expected whole pitch 0-127, velocity 1-127, ticks 0 <= start < end, channel 0-15, program 0-127, stream >= 0)`);
}

function withDeltas(evs: Array<{ tick: number; ev: MidiEvent }>): MidiEvent[] {
  let last = 0;
  const out: MidiEvent[] = [];
  for (const { tick, ev } of evs) {
    out.push({ ...ev, deltaTime: tick - last });
    last = tick;
  }
  out.push({ deltaTime: 0, meta: true, type: 'endOfTrack' });
  return out;
}
