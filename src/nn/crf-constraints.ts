import { RecurError } from '../errors.js';

/** Chunk encodings whose tag sequences a CRF can be constrained to. */
export type TagScheme = 'bio' | 'bioes';

/**
 * Which transitions a CRF may use: `transitions[i][j]` allows tag i followed by tag j,
 * `start[j]` allows a sequence to begin with tag j, `end[i]` to finish with tag i.
 */
export interface TransitionConstraints {
  start: boolean[];
  end: boolean[];
  transitions: boolean[][];
}

/** A chunk tag split at its first hyphen, as conlleval does: `B-PER` -> B, PER; `O` -> O, ''. */
function parseTag(tag: string, scheme: TagScheme): { prefix: string; type: string } {
  if (tag === 'O') return { prefix: 'O', type: '' };
  const m = /^([BIES])-(.+)$/.exec(tag);
  const allowed = scheme === 'bio' ? 'BI' : 'BIES';
  if (!m || !allowed.includes(m[1]!)) {
    const form = scheme === 'bio' ? 'O, B-TYPE or I-TYPE' : 'O, B-TYPE, I-TYPE, E-TYPE or S-TYPE';
    throw new RecurError(`CRF constraints: tag '${tag}' is not of the ${scheme.toUpperCase()} form (${form})`);
  }
  return { prefix: m[1]!, type: m[2]! };
}

/**
 * The transitions a well-formed BIO (IOB2) or BIOES tag sequence can make, as AllenNLP's
 * `allowed_transitions`:
 *
 * - BIO: I-X only after B-X or I-X (never first); everything else is free.
 * - BIOES: after O, E-X or S-X come O, B-Y or S-Y; after B-X or I-X come I-X or E-X; a sequence
 *   starts with O, B-X or S-X and ends with O, E-X or S-X.
 *
 * Every tag must be of the scheme's form; anything else is an error naming the tag.
 */
export function allowedTransitions(tags: readonly string[], scheme: TagScheme): TransitionConstraints {
  const parsed = tags.map((t) => parseTag(t, scheme));
  const K = tags.length;
  const start = parsed.map((p) => (scheme === 'bio' ? p.prefix !== 'I' : p.prefix === 'O' || p.prefix === 'B' || p.prefix === 'S'));
  const end = parsed.map((p) => (scheme === 'bio' ? true : p.prefix === 'O' || p.prefix === 'E' || p.prefix === 'S'));
  const transitions: boolean[][] = [];
  for (let i = 0; i < K; i++) {
    const a = parsed[i]!;
    const row: boolean[] = [];
    for (let j = 0; j < K; j++) {
      const b = parsed[j]!;
      if (scheme === 'bio') {
        row.push(b.prefix !== 'I' || ((a.prefix === 'B' || a.prefix === 'I') && a.type === b.type));
      } else if (a.prefix === 'B' || a.prefix === 'I') {
        row.push((b.prefix === 'I' || b.prefix === 'E') && a.type === b.type);
      } else {
        row.push(b.prefix === 'O' || b.prefix === 'B' || b.prefix === 'S');
      }
    }
    transitions.push(row);
  }
  return { start, end, transitions };
}

/**
 * The first place where a tag path breaks the constraints, as a sentence for error messages,
 * or null when the path is allowed. `names` (tag strings) make the message readable.
 */
export function constraintViolation(path: ArrayLike<number>, c: TransitionConstraints, names?: readonly string[]): string | null {
  const n = (k: number): string => (names ? `'${names[k]}'` : `tag ${k}`);
  if (path.length === 0) return null;
  if (!c.start[path[0]!]) return `starts with ${n(path[0]!)}`;
  for (let t = 1; t < path.length; t++) {
    if (!c.transitions[path[t - 1]!]![path[t]!]) return `goes from ${n(path[t - 1]!)} to ${n(path[t]!)} at position ${t}`;
  }
  if (!c.end[path[path.length - 1]!]) return `ends with ${n(path[path.length - 1]!)}`;
  return null;
}
