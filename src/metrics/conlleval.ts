/**
 * Chunk (entity) evaluation with the semantics of the CoNLL-2000 `conlleval` script.
 *
 * A tag is split at its first hyphen into a prefix and a type (`B-PER` -> B, PER; `O` -> O,
 * ''). A chunk starts and ends where conlleval's `startOfChunk` / `endOfChunk` say so, which
 * makes it tolerant of ill-formed sequences:
 *
 * - a chunk may start with I- (`O I-PER` opens a PER chunk), or with a change of type
 *   (`B-PER I-LOC` is two chunks);
 * - B- always opens a new chunk, so `B-PER I-PER B-PER` is two adjacent PER chunks;
 * - BIOES: E- and S- close their chunk, S- is a chunk of one. conlleval.pl predates S- (it
 *   would merge `S-PER S-PER` into one chunk); S- and E- are handled as in the widely used
 *   Python port (conlleval.py) and seqeval, which agree with conlleval.pl on all BIO input.
 *
 * Sentence ends close chunks. A predicted chunk is correct when a gold chunk has the same
 * type, start and end. precision = correct / predicted chunks, recall = correct / gold
 * chunks, F1 = 2PR / (P + R) (0 when undefined); token accuracy compares whole tag strings.
 */
import { RecurError } from '../errors.js';

export interface Chunk {
  type: string;
  /** First token. */
  start: number;
  /** One past the last token. */
  end: number;
}

/** conlleval's split: prefix before the first hyphen, type after it; no hyphen = no type. */
export function splitTag(tag: string): { prefix: string; type: string } {
  const i = tag.indexOf('-');
  return i < 0 ? { prefix: tag, type: '' } : { prefix: tag.slice(0, i), type: tag.slice(i + 1) };
}

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  if (prevTag !== 'O' && prevTag !== '.' && prevType !== type) return true;
  // conlleval: [ and ] are chunks of length one.
  return prevTag === ']' || prevTag === '[';
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) return true;
  if (tag !== 'O' && tag !== '.' && prevType !== type) return true;
  return tag === '[' || tag === ']';
}

/** The chunks of one sentence's tags, in order. */
export function extractChunks(tags: readonly string[]): Chunk[] {
  const chunks: Chunk[] = [];
  let prevTag = 'O', prevType = '';
  let open: { type: string; start: number } | null = null;
  for (let i = 0; i <= tags.length; i++) {
    // A virtual O after the last token closes any open chunk (conlleval's sentence boundary).
    const { prefix, type } = i < tags.length ? splitTag(tags[i]!) : { prefix: 'O', type: '' };
    if (open && endOfChunk(prevTag, prefix, prevType, type)) {
      chunks.push({ type: open.type, start: open.start, end: i });
      open = null;
    }
    if (i < tags.length && startOfChunk(prevTag, prefix, prevType, type)) open = { type, start: i };
    prevTag = prefix;
    prevType = type;
  }
  return chunks;
}

export interface ChunkScores {
  precision: number;
  recall: number;
  f1: number;
  /** Chunks in the gold tags, in the predicted tags, and predicted chunks that are correct. */
  gold: number;
  predicted: number;
  correct: number;
}

export interface ConllReport extends ChunkScores {
  /** Token accuracy: predicted tag string equal to the gold one. */
  accuracy: number;
  tokens: number;
  /** Scores per chunk type, types in sorted order. */
  perType: Record<string, ChunkScores>;
}

function scores(gold: number, predicted: number, correct: number): ChunkScores {
  const precision = predicted > 0 ? correct / predicted : 0;
  const recall = gold > 0 ? correct / gold : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, gold, predicted, correct };
}

/**
 * conlleval over sentences of gold and predicted tags (equal lengths, sentence by sentence;
 * a mismatch is an error naming the sentence).
 */
export function conllEval(gold: readonly (readonly string[])[], pred: readonly (readonly string[])[]): ConllReport {
  if (gold.length !== pred.length) throw new RecurError(`conllEval: ${gold.length} gold sentences but ${pred.length} predicted`);
  let tokens = 0, correctTags = 0;
  const counts = new Map<string, { gold: number; predicted: number; correct: number }>();
  const bump = (type: string, key: 'gold' | 'predicted' | 'correct'): void => {
    let c = counts.get(type);
    if (!c) counts.set(type, (c = { gold: 0, predicted: 0, correct: 0 }));
    c[key]++;
  };
  gold.forEach((g, s) => {
    const p = pred[s]!;
    if (g.length !== p.length) throw new RecurError(`conllEval: sentence ${s} has ${g.length} gold tags but ${p.length} predicted`);
    tokens += g.length;
    for (let i = 0; i < g.length; i++) if (g[i] === p[i]) correctTags++;
    const goldChunks = new Set<string>();
    for (const c of extractChunks(g)) {
      bump(c.type, 'gold');
      goldChunks.add(`${c.start}:${c.end}:${c.type}`);
    }
    for (const c of extractChunks(p)) {
      bump(c.type, 'predicted');
      if (goldChunks.has(`${c.start}:${c.end}:${c.type}`)) bump(c.type, 'correct');
    }
  });
  const perType: Record<string, ChunkScores> = {};
  let G = 0, P = 0, C = 0;
  for (const type of [...counts.keys()].sort()) {
    const c = counts.get(type)!;
    perType[type] = scores(c.gold, c.predicted, c.correct);
    G += c.gold;
    P += c.predicted;
    C += c.correct;
  }
  return { ...scores(G, P, C), accuracy: tokens > 0 ? correctTags / tokens : 0, tokens, perType };
}

/** conlleval's summary lines (percentages, two decimals). */
export function formatConllReport(r: ConllReport): string {
  const pct = (x: number): string => (100 * x).toFixed(2).padStart(6);
  const lines = [
    `processed ${r.tokens} tokens with ${r.gold} phrases; found: ${r.predicted} phrases; correct: ${r.correct}.`,
    `accuracy: ${pct(r.accuracy)}%; precision: ${pct(r.precision)}%; recall: ${pct(r.recall)}%; FB1: ${pct(r.f1)}`,
  ];
  for (const [type, s] of Object.entries(r.perType)) {
    lines.push(`${type.padStart(17)}: precision: ${pct(s.precision)}%; recall: ${pct(s.recall)}%; FB1: ${pct(s.f1)}  ${s.predicted}`);
  }
  return lines.join('\n');
}

/**
 * Re-encodes tags in a clean scheme with the same chunks (by the rules above): IOB1 or
 * ill-formed BIO becomes IOB2 ('bio'), or BIOES ('bioes'). Tags outside chunks become O.
 */
export function encodeChunks(tags: readonly string[], scheme: 'bio' | 'bioes'): string[] {
  const out = new Array<string>(tags.length).fill('O');
  for (const c of extractChunks(tags)) {
    const single = c.end - c.start === 1;
    for (let i = c.start; i < c.end; i++) {
      let p = i === c.start ? 'B' : 'I';
      if (scheme === 'bioes') p = single ? 'S' : i === c.end - 1 ? 'E' : p;
      out[i] = `${p}-${c.type}`;
    }
  }
  return out;
}
