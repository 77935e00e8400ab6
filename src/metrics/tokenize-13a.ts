/**
 * The mteval-v13a tokenizer exactly as sacreBLEU 2.x applies it (its default, `tok:13a`), so
 * that recur's BLEU matches `sacrebleu` on the same text. Python semantics matter here:
 * `str.split()`/`strip()` use Python's whitespace set (which includes \x1c-\x1f and \x85, and
 * excludes \ufeff, unlike JavaScript's \s), and the regexes are applied as non-overlapping
 * left-to-right substitutions, as `re.sub` and a global `String.replace` both do.
 */

/** The characters Python's `str.isspace()` accepts: what `str.split()` with no argument splits on. */
export const PY_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WS_RUN = new RegExp(`[${PY_WHITESPACE}]+`, 'g');
const WS_TRAIL = new RegExp(`[${PY_WHITESPACE}]+$`);

/** Python's `s.split()`: split on runs of whitespace, no empty pieces. */
export function pySplit(s: string): string[] {
  return s.split(WS_RUN).filter((t) => t.length > 0);
}

/** Python's `s.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(WS_TRAIL, '');
}

// sacrebleu/tokenizers/tokenizer_re.py, in order.
const RULES: ReadonlyArray<[RegExp, string]> = [
  // Symbols {|}~ [\]^_` space!"#$%& ()*+ :;<=>?@ and / become separate tokens.
  [/([{-~[-` -&(-+:-@/])/g, ' $1 '],
  // Period and comma unless preceded by a digit.
  [/([^0-9])([.,])/g, '$1 $2 '],
  // Period and comma unless followed by a digit.
  [/([.,])([^0-9])/g, ' $1 $2'],
  // Dash when preceded by a digit.
  [/([0-9])(-)/g, '$1 $2 '],
];

/** Tokenizes one segment as sacreBLEU's `Tokenizer13a` does; returns the tokens joined by single spaces. */
export function tokenize13a(line: string): string {
  let s = line
    .replaceAll('<skipped>', '')
    .replaceAll('-\n', '')
    .replaceAll('\n', ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
  s = ` ${s} `;
  for (const [re, repl] of RULES) s = s.replace(re, repl);
  return pySplit(s).join(' ');
}
