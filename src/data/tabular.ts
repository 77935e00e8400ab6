/**
 * Labelled texts from the files users have: CSV (RFC 4180: comma-separated, fields may be
 * "quoted", with "" for a quote and line breaks inside quotes), TSV (tab-separated, no
 * quoting) and JSON Lines (one object per line).
 *
 * Columns. `textColumn` / `labelColumn` are header names (default `text` and `label`) or
 * 0-based indices. A CSV/TSV file has a header when its first row contains a requested column
 * name; without one, the defaults mean text = first column, label = last column (the UCI
 * "sentence<TAB>label" layout). JSONL takes the names as keys; a label may be a string,
 * number or boolean.
 *
 * Format. By extension (.csv, .tsv/.tab, .jsonl/.ndjson), else sniffed from the first line
 * (`{` -> JSONL, a tab -> TSV, else CSV).
 *
 * Errors name the file and line: empty lines (blank lines at the very end are fine), rows
 * with the wrong number of columns, empty texts or labels, invalid JSON, missing keys.
 */
import { CorpusError } from './corpus-error.js';
import { readTextFile } from './text-file.js';

export type TabularFormat = 'csv' | 'tsv' | 'jsonl';

export interface LabeledText {
  text: string;
  label: string;
  /** 1-based line where the record starts. */
  line: number;
}

export interface TabularOptions {
  /** Header name or 0-based column index of the text. Default 'text' (or the first column). */
  textColumn?: string | number;
  /** Header name or 0-based column index of the label. Default 'label' (or the last column). */
  labelColumn?: string | number;
  /** Force the format instead of guessing it from the extension / first line. */
  format?: TabularFormat;
  /** Whether the first CSV/TSV row is a header (default: detected, see above). */
  header?: boolean;
}

interface Row {
  fields: string[];
  line: number;
}

/** Splits delimited text into rows; CSV honours quotes (RFC 4180), TSV splits on every tab. */
export function parseDelimited(text: string, delimiter: ',' | '\t', path: string): Row[] {
  const rows: Row[] = [];
  const quoting = delimiter === ',';
  let fields: string[] = [];
  let field = '';
  let line = 1, rowLine = 1;
  let inQuotes = false, quotedField = false;
  const endRow = (): void => {
    fields.push(field);
    rows.push({ fields, line: rowLine });
    fields = [];
    field = '';
    quotedField = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (quoting && ch === '"' && field === '' && !quotedField) {
      inQuotes = true;
      quotedField = true;
    } else if (quoting && quotedField && ch !== delimiter && ch !== '\n' && ch !== '\r') {
      throw new CorpusError(`${path}:${line}: unexpected character ${JSON.stringify(ch)} after a closing quote (a quote inside a quoted field is written "")`, path);
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
      quotedField = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (inQuotes) throw new CorpusError(`${path}:${rowLine}: a quoted field is never closed`, path);
  if (field !== '' || fields.length > 0 || quotedField) endRow();
  return rows;
}

function isBlank(r: Row): boolean {
  return r.fields.length === 1 && r.fields[0]!.trim() === '';
}

/** Blank rows at the end are dropped; any other blank row is an error. */
function dropTrailingBlanks<T extends { line: number }>(rows: T[], blank: (r: T) => boolean, path: string): T[] {
  let n = rows.length;
  while (n > 0 && blank(rows[n - 1]!)) n--;
  const kept = rows.slice(0, n);
  const bad = kept.find(blank);
  if (bad) throw new CorpusError(`${path}:${bad.line}: empty line (one record per line expected)`, path);
  return kept;
}

function guessFormat(path: string, text: string): TabularFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return 'tsv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
  if (first.trimStart().startsWith('{')) return 'jsonl';
  return first.includes('\t') ? 'tsv' : 'csv';
}

function checkText(text: string, label: string, line: number, path: string): LabeledText {
  if (text.trim() === '') throw new CorpusError(`${path}:${line}: empty text`, path);
  if (label.trim() === '') throw new CorpusError(`${path}:${line}: empty label`, path);
  return { text, label: label.trim(), line };
}

function parseJsonl(text: string, path: string, o: TabularOptions): LabeledText[] {
  const textKey = String(o.textColumn ?? 'text'), labelKey = String(o.labelColumn ?? 'label');
  const rows = dropTrailingBlanks(text.split('\n').map((s, i) => ({ s, line: i + 1 })), (r) => r.s.trim() === '', path);
  return rows.map(({ s, line }) => {
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch (e) {
      throw new CorpusError(`${path}:${line}: not valid JSON (${(e as Error).message}); a JSONL file has one object per line`, path);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new CorpusError(`${path}:${line}: expected a JSON object per line`, path);
    const rec = obj as Record<string, unknown>;
    const t = rec[textKey], l = rec[labelKey];
    if (typeof t !== 'string') throw new CorpusError(`${path}:${line}: no string field "${textKey}" (the text; set it with the text column option)`, path);
    if (typeof l !== 'string' && typeof l !== 'number' && typeof l !== 'boolean') {
      throw new CorpusError(`${path}:${line}: no field "${labelKey}" with a string, number or boolean label (set it with the label column option)`, path);
    }
    return checkText(t, String(l), line, path);
  });
}

function parseTable(text: string, delimiter: ',' | '\t', path: string, o: TabularOptions): LabeledText[] {
  const rows = dropTrailingBlanks(parseDelimited(text, delimiter, path), isBlank, path);
  if (rows.length === 0) throw new CorpusError(`${path}: no records`, path);
  const first = rows[0]!.fields.map((f) => f.trim());
  const names = [o.textColumn, o.labelColumn].filter((c): c is string => typeof c === 'string');
  const header = o.header ?? (names.some((n) => first.includes(n)) || first.includes('text') || first.includes('label'));
  const ncol = rows[0]!.fields.length;
  const col = (c: string | number | undefined, dflt: 'text' | 'label'): number => {
    const want = c ?? (header ? dflt : dflt === 'text' ? 0 : ncol - 1);
    if (typeof want === 'number') {
      if (!Number.isInteger(want) || want < 0 || want >= ncol) throw new CorpusError(`${path}:1: column ${want} does not exist (the file has ${ncol} columns, 0-based)`, path);
      return want;
    }
    if (!header) throw new CorpusError(`${path}:1: column '${want}' requested but the file has no header row (use a 0-based column index)`, path);
    const i = first.indexOf(want);
    if (i < 0) throw new CorpusError(`${path}:1: no column named '${want}' in the header (columns: ${first.join(', ')})`, path);
    return i;
  };
  const ti = col(o.textColumn, 'text'), li = col(o.labelColumn, 'label');
  if (ncol < 2) throw new CorpusError(`${path}:1: only 1 column; expected a text and a label column (is this a ${delimiter === ',' ? 'CSV' : 'TSV'} file?)`, path);
  if (ti === li) throw new CorpusError(`${path}: the text and label columns are the same column (${ti})`, path);
  return rows.slice(header ? 1 : 0).map((r) => {
    if (isBlank(r)) throw new CorpusError(`${path}:${r.line}: empty line (one record per line expected)`, path);
    if (r.fields.length !== ncol) {
      throw new CorpusError(`${path}:${r.line}: ${r.fields.length} column${r.fields.length === 1 ? '' : 's'}, expected ${ncol} as on line ${rows[0]!.line}`, path);
    }
    return checkText(r.fields[ti]!, r.fields[li]!, r.line, path);
  });
}

/** Parses labelled texts from file content; `path` names the source in errors and picks the format. */
export function parseLabeledTexts(text: string, path: string, o: TabularOptions = {}): LabeledText[] {
  const format = o.format ?? guessFormat(path, text);
  const out = format === 'jsonl' ? parseJsonl(text, path, o) : parseTable(text, format === 'tsv' ? '\t' : ',', path, o);
  if (out.length === 0) throw new CorpusError(`${path}: no records`, path);
  return out;
}

/** Reads a CSV, TSV or JSONL file of labelled texts (UTF-8, checked not to be binary). */
export function readLabeledTexts(path: string, o: TabularOptions = {}): LabeledText[] {
  return parseLabeledTexts(readTextFile(path), path, o);
}
