import { RecurError } from '../errors.js';

/** A tempo change: from `tick` on, one quarter note lasts `usPerBeat` microseconds. */
export interface TempoChange {
  tick: number;
  usPerBeat: number;
}

/** MIDI's default tempo when a file sets none: 120 beats per minute. */
export const DEFAULT_US_PER_BEAT = 500_000;

/**
 * Ticks <-> seconds through a tempo map (piecewise-constant tempo), as a sequencer plays a
 * file. Changes are sorted by tick; the last one at a tick wins; before the first one the
 * default 120 bpm applies.
 */
export class TempoMap {
  readonly ticksPerBeat: number;
  readonly changes: readonly TempoChange[];
  /** Seconds at the start of each change. */
  private readonly starts: Float64Array;

  constructor(ticksPerBeat: number, changes: readonly TempoChange[]) {
    if (!(Number.isInteger(ticksPerBeat) && ticksPerBeat > 0)) throw new RecurError(`tempo map: ticks per beat must be a whole number > 0, got ${ticksPerBeat}`);
    const byTick = new Map<number, number>();
    byTick.set(0, DEFAULT_US_PER_BEAT);
    for (const c of [...changes].sort((a, b) => a.tick - b.tick)) {
      if (!(c.usPerBeat > 0)) throw new RecurError(`tempo map: tempo at tick ${c.tick} is ${c.usPerBeat} us per beat, expected > 0`);
      byTick.set(c.tick, c.usPerBeat);
    }
    this.ticksPerBeat = ticksPerBeat;
    this.changes = [...byTick.entries()].sort((a, b) => a[0] - b[0]).map(([tick, usPerBeat]) => ({ tick, usPerBeat }));
    this.starts = new Float64Array(this.changes.length);
    for (let i = 1; i < this.changes.length; i++) {
      const p = this.changes[i - 1]!;
      this.starts[i] = this.starts[i - 1]! + ((this.changes[i]!.tick - p.tick) * p.usPerBeat) / (1e6 * ticksPerBeat);
    }
  }

  private segmentOfTick(tick: number): number {
    let lo = 0, hi = this.changes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.changes[mid]!.tick <= tick) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  seconds(tick: number): number {
    const i = this.segmentOfTick(tick);
    const c = this.changes[i]!;
    return this.starts[i]! + ((tick - c.tick) * c.usPerBeat) / (1e6 * this.ticksPerBeat);
  }

  /** The (fractional) tick at a time in seconds. */
  tick(seconds: number): number {
    let i = this.changes.length - 1;
    while (i > 0 && this.starts[i]! > seconds) i--;
    const c = this.changes[i]!;
    return c.tick + ((seconds - this.starts[i]!) * 1e6 * this.ticksPerBeat) / c.usPerBeat;
  }

  /** Tempo (microseconds per beat) in force at the start. */
  get initialUsPerBeat(): number {
    return this.changes[this.segmentOfTick(0)]!.usPerBeat;
  }
}
