import { readTextFile } from '../../data/text-file.js';
import type { WordConstraint } from '../../decode/ctc.js';
import { RecurError } from '../../errors.js';
import type { UnitSet } from './units.js';

export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Words of `--vocab`: `digits`, or a file with one word (or phrase) per line. */
export function readVocab(spec: string): string[] {
  if (spec === 'digits') return [...DIGIT_WORDS];
  const words = readTextFile(spec).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (words.length === 0) throw new RecurError(`${spec}: no words (expected one word per line, or --vocab digits)`);
  return words;
}

/**
 * The decoding constraint for a word list over the units: each word as unit ids, separated by
 * the space unit (several words per utterance) or, when the units have no space, one word.
 * A word with a character that is not a unit is an error naming it.
 */
export function wordConstraint(words: readonly string[], units: UnitSet): WordConstraint {
  const encoded = words.map((w) => {
    const { ids, dropped } = units.encode(w);
    if (dropped > 0 || ids.length === 0) throw new RecurError(`vocabulary word ${JSON.stringify(w)} has characters that are not output units (${units.units.slice(1).join('')})`);
    if (units.space !== null && ids.includes(units.space)) throw new RecurError(`vocabulary word ${JSON.stringify(w)} has a space: give one word per line`);
    return ids;
  });
  return { words: encoded, separator: units.space };
}
