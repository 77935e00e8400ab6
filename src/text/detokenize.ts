/**
 * Joins word-level tokens back into text with English-style spacing: a space between
 * words, none before closing punctuation or after opening brackets, none around dashes
 * and slashes, straight double quotes alternating open/close. Exact inversion is not
 * possible (the spacing was thrown away), but text written in this style round-trips.
 */

// Classified by the token's first character: punctuation tokens are runs of one character.
const CLOSING = new Set([...".,;:!?)]}%'”’»…"]);
const OPENING = new Set([...'([{$#“‘«¿¡`']);
const JOINING = new Set([...'—–/']);

export function detokenize(tokens: readonly string[]): string {
  let out = '';
  let glueNext = true; // start of text or line: no leading space
  let quoteOpen = false;
  for (const tok of tokens) {
    if (tok === '\n') {
      out += '\n';
      glueNext = true;
      quoteOpen = false;
      continue;
    }
    const first = tok[0] ?? '';
    const isPunct = tok.length > 0 && [...tok].every((c) => c === first);
    let spaceBefore = !glueNext;
    glueNext = false;
    if (tok === '"' || tok === '""') {
      if (quoteOpen) spaceBefore = false;
      else glueNext = true;
      quoteOpen = !quoteOpen;
    } else if (isPunct && CLOSING.has(first)) {
      spaceBefore = false;
    } else if (isPunct && OPENING.has(first)) {
      glueNext = true;
    } else if (isPunct && JOINING.has(first)) {
      spaceBefore = false;
      glueNext = true;
    }
    out += spaceBefore ? ` ${tok}` : tok;
  }
  return out;
}
