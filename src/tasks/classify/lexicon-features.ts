/**
 * The lexicon feature without the file system (the browser bundle imports this file): the
 * names, and how a loaded lexicon turns tokens into features. Loading AFINN is Node-only
 * (lexicon.ts).
 */
export type LexiconName = 'none' | 'afinn';
export const LEXICONS: readonly LexiconName[] = ['none', 'afinn'];

export interface Lexicon {
  valence: Map<string, number>;
  negators: Set<string>;
}

/** valence/5 per (lower-cased) token, sign-flipped after a negator. */
export function lexiconFeatures(tokens: readonly string[], lex: Lexicon): Float32Array {
  const out = new Float32Array(tokens.length);
  tokens.forEach((t, i) => {
    const v = lex.valence.get(t) ?? 0;
    out[i] = (i > 0 && lex.negators.has(tokens[i - 1]!) ? -v : v) / 5;
  });
  return out;
}
