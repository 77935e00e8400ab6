/**
 * CoNLL column files, the usual format for tagged text (CoNLL-2000 chunking, CoNLL-2003 NER,
 * POS-tagged corpora):
 *
 *     -DOCSTART- -X- -X- O
 *
 *     EU NNP B-NP B-ORG
 *     rejects VBZ B-VP O
 *
 * One token per line, columns separated by tabs or runs of spaces (a line with a tab is split
 * on tabs only, so a tab-separated file may have spaces inside a column); the word is in the
 * first column (or `wordColumn`), the tag in the last (or `tagColumn`; 0-based, negative counts
 * from the end). A blank line ends a sentence; `-DOCSTART-` lines separate documents and are
 * skipped. Every token line must have as many columns as the first one.
 */
import { CorpusError } from './corpus-error.js';
import { readTextFile } from './text-file.js';

export interface ConllSentence {
  words: string[];
  tags: string[];
  /** 1-based line of the sentence's first token, for messages. */
  line: number;
}

export interface ConllOptions {
  /** Column of the word, 0-based; negative counts from the end. Default 0. */
  wordColumn?: number;
  /** Column of the tag, 0-based; negative counts from the end. Default -1 (the last). */
  tagColumn?: number;
}

function splitColumns(line: string): string[] {
  return line.includes('\t') ? line.split('\t').map((c) => c.trim()) : line.trim().split(/ +/);
}

function resolveColumn(col: number, n: number, what: string, path: string, line: number): number {
  const c = col < 0 ? n + col : col;
  if (!Number.isInteger(col) || c < 0 || c >= n) {
    throw new CorpusError(`${path}:${line}: ${what} column ${col} does not exist (the file has ${n} columns; 0-based, negative counts from the end)`, path);
  }
  return c;
}

/** Parses CoNLL text; `path` names the source in errors (`PATH:LINE: ...`). */
export function parseConll(text: string, path: string, opts: ConllOptions = {}): ConllSentence[] {
  const lines = text.split('\n');
  const sentences: ConllSentence[] = [];
  let cur: ConllSentence | null = null;
  let columns = 0, firstLine = 0, wordCol = 0, tagCol = 0;
  const close = (): void => {
    if (cur) sentences.push(cur);
    cur = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const n = i + 1;
    if (raw.trim() === '') {
      close();
      continue;
    }
    if (raw.startsWith('-DOCSTART-')) {
      close();
      continue;
    }
    const cols = splitColumns(raw);
    if (columns === 0) {
      if (/^\s*[{[]/.test(raw) && /[}\]]\s*$/.test(raw)) {
        throw new CorpusError(`${path}:${n}: this looks like JSON, not a CoNLL column file (one token per line: word and tag columns)`, path);
      }
      if (cols.length < 2) {
        throw new CorpusError(`${path}:${n}: not a CoNLL column file: the line has 1 column, but a token line needs the word and at least one tag column ` +
          `(got ${JSON.stringify(raw.slice(0, 60))})`, path);
      }
      columns = cols.length;
      firstLine = n;
      wordCol = resolveColumn(opts.wordColumn ?? 0, columns, 'word', path, n);
      tagCol = resolveColumn(opts.tagColumn ?? -1, columns, 'tag', path, n);
    } else if (cols.length !== columns) {
      throw new CorpusError(`${path}:${n}: ${cols.length} column${cols.length === 1 ? '' : 's'}, expected ${columns} as on line ${firstLine} ` +
        `(got ${JSON.stringify(raw.slice(0, 60))})`, path);
    }
    const word = cols[wordCol]!, tag = cols[tagCol]!;
    if (word === '' || tag === '') throw new CorpusError(`${path}:${n}: empty ${word === '' ? 'word' : 'tag'} column`, path);
    cur ??= { words: [], tags: [], line: n };
    cur.words.push(word);
    cur.tags.push(tag);
  }
  close();
  if (sentences.length === 0) throw new CorpusError(`${path}: no sentences (expected CoNLL columns: one token per line, blank lines between sentences)`, path);
  return sentences;
}

/**
 * Reads a CoNLL file (UTF-8, checked not to be binary). Errors name the file and line:
 * `data.conll:12: 3 columns, expected 4 as on line 1`.
 */
export function readConllFile(path: string, opts: ConllOptions = {}): ConllSentence[] {
  return parseConll(readTextFile(path), path, opts);
}
