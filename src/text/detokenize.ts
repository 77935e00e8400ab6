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
  const d = new Detokenizer();
  let out = '';
  for (const tok of tokens) out += d.push(tok);
  return out;
}

/**
 * {@link detokenize} one token at a time, for streaming: `push` returns the text the token
 * adds (with its leading space, if any). The pieces joined equal detokenize(all tokens).
 */
export class Detokenizer {
  private glueNext = true; // start of text or line: no leading space
  private quoteOpen = false;

  push(tok: string): string {
    if (tok === '\n') {
      this.glueNext = true;
      this.quoteOpen = false;
      return '\n';
    }
    const first = tok[0] ?? '';
    const isPunct = tok.length > 0 && [...tok].every((c) => c === first);
    let spaceBefore = !this.glueNext;
    this.glueNext = false;
    if (tok === '"' || tok === '""') {
      if (this.quoteOpen) spaceBefore = false;
      else this.glueNext = true;
      this.quoteOpen = !this.quoteOpen;
    } else if (isPunct && CLOSING.has(first)) {
      spaceBefore = false;
    } else if (isPunct && OPENING.has(first)) {
      this.glueNext = true;
    } else if (isPunct && JOINING.has(first)) {
      spaceBefore = false;
      this.glueNext = true;
    }
    return spaceBefore ? ` ${tok}` : tok;
  }
}
