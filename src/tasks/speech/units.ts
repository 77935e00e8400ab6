import { RecurError } from '../../errors.js';

/** The default output units after the blank: a–z, space and apostrophe. */
export const DEFAULT_UNITS = "abcdefghijklmnopqrstuvwxyz '";
export const BLANK = '<blank>';

/**
 * CTC output units: id 0 is the blank, ids 1.. are single characters. Transcripts are
 * lowercased (unless a unit is an uppercase letter) and their whitespace collapsed to single
 * spaces; characters that are not units are dropped and counted.
 */
export class UnitSet {
  readonly units: readonly string[];
  private readonly ids = new Map<string, number>();
  private readonly lower: boolean;

  constructor(units: readonly string[]) {
    if (units[0] !== BLANK) throw new RecurError(`units: the first unit must be ${BLANK}, got ${JSON.stringify(units[0])}`);
    units.forEach((u, i) => {
      if (i === 0) return;
      if ([...u].length !== 1) throw new RecurError(`units: each unit is one character, got ${JSON.stringify(u)}`);
      if (this.ids.has(u)) throw new RecurError(`units: ${JSON.stringify(u)} appears twice`);
      this.ids.set(u, i);
    });
    if (units.length < 2) throw new RecurError('units: at least one unit besides the blank is needed');
    this.units = [...units];
    this.lower = !units.some((u) => u !== u.toLowerCase());
  }

  /** Units from a string of characters (e.g. "abc' "). */
  static fromChars(chars: string): UnitSet {
    return new UnitSet([BLANK, ...[...chars]]);
  }

  get size(): number {
    return this.units.length;
  }

  /** The id of a character unit, or undefined. */
  id(ch: string): number | undefined {
    return this.ids.get(ch);
  }

  /** The unit of the word separator (space), or null when the units have none. */
  get space(): number | null {
    return this.ids.get(' ') ?? null;
  }

  /** The transcript as it is scored: lowercased when the units are, whitespace collapsed, non-units removed. */
  normalize(text: string): string {
    return this.encode(text).ids.map((i) => this.units[i]).join('');
  }

  /** Unit ids of a transcript and how many of its characters are not units. */
  encode(text: string): { ids: number[]; dropped: number } {
    const t = (this.lower ? text.toLowerCase() : text).replace(/\s+/g, ' ').trim();
    const ids: number[] = [];
    let dropped = 0;
    for (const ch of t) {
      const id = this.ids.get(ch);
      if (id === undefined) { dropped++; continue; }
      // A dropped character between two spaces must not leave a double space.
      if (id === this.space && ids.length > 0 && ids[ids.length - 1] === id) continue;
      ids.push(id);
    }
    while (ids.length > 0 && ids[ids.length - 1] === this.space) ids.pop();
    while (ids.length > 0 && ids[0] === this.space) ids.shift();
    return { ids, dropped };
  }

  decode(ids: readonly number[]): string {
    return ids.map((i) => (i > 0 && i < this.units.length ? this.units[i] : '')).join('');
  }
}
