import { noGrad } from '../../autograd/grad-mode.js';
import { logSoftmax } from '../../autograd/ops/index.js';
import { batchedBeamSearch, greedyDecode, type BatchedBeamStepper, type DecodedHypothesis } from '../../decode/beam-batched.js';
import { reclaimMemory } from '../../kernels/index.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import { sourceBatch } from './batch.js';
import type { Encoded, Seq2Seq } from './model.js';

export interface DecodeOptions {
  /** 1 = greedy (default), K > 1 = beam search with K beams. */
  beam?: number;
  /** Scores are logProb / length^lengthPenalty (default 1). */
  lengthPenalty?: number;
  /** Maximum output tokens = maxLenA · source tokens + maxLenB (defaults 2 and 10), capped at 512. */
  maxLenA?: number;
  maxLenB?: number;
  /** Sentences per model batch (default 64 for greedy, 64/beam for beam search). */
  batchSize?: number;
  /** Keep the attention weights of each output token (default false). */
  attention?: boolean;
}

/** A model's best output for one source. */
export interface DecodedOutput {
  /** Target ids, without the final <eos>. */
  ids: number[];
  logProb: number;
  score: number;
  /** Per output token (the <eos> step included, last), weights over the source tokens. */
  attention?: Float32Array[];
}

/** The stepper that beam search and greedy decoding drive: the encoded batch is its state. */
export function seq2seqStepper(model: Seq2Seq, keepAttention: boolean): BatchedBeamStepper<Encoded> {
  const V = model.config.tgtVocabSize;
  return {
    step(last, st) {
      return noGrad(() => {
        const r = model.step(last, st.state, st.mem);
        const lp = logSoftmax(r.logits, -1);
        const att = keepAttention && r.weights ? { attention: r.weights.data, attentionWidth: r.weights.shape[1]! } : {};
        return { logProbs: lp.data, vocabSize: V, state: { mem: st.mem, state: r.state }, ...att };
      });
    },
    select(st, rows) {
      return noGrad(() => model.selectEncoded(st, rows));
    },
  };
}

/**
 * Decodes many sources (id sequences), batching them by length. Empty sources give an empty
 * output. Output order is input order.
 */
export async function decodeIds(model: Seq2Seq, sources: readonly Int32Array[], specials: { srcPad: number; bos: number; eos: number },
  o: DecodeOptions = {}): Promise<DecodedOutput[]> {
  model.eval();
  const K = o.beam ?? 1;
  const bs = o.batchSize ?? Math.max(1, Math.floor(64 / K));
  const a = o.maxLenA ?? 2, b = o.maxLenB ?? 10;
  const out: DecodedOutput[] = sources.map(() => ({ ids: [], logProb: 0, score: 0 }));
  const order = sources.map((_, i) => i).filter((i) => sources[i]!.length > 0).sort((x, y) => sources[y]!.length - sources[x]!.length);
  const stepper = seq2seqStepper(model, o.attention ?? false);
  for (let i = 0; i < order.length; i += bs) {
    const idx = order.slice(i, i + bs);
    const srcs = idx.map((k) => sources[k]!);
    const enc = noGrad(() => {
      const e = model.encode(sourceBatch(srcs, specials.srcPad));
      // Own storage for the memory: under noGrad a layer output may be a view into a buffer
      // nothing else keeps alive, and decoding yields to the event loop (which reclaims buffers).
      return e.mem ? { ...e, mem: { ...e.mem, values: e.mem.values.clone() } } : e;
    });
    const start = { tokens: new Int32Array(idx.length).fill(specials.bos), state: enc };
    const maxLength = srcs.map((s) => Math.min(512, Math.max(1, Math.floor(a * s.length + b))));
    const hyps: DecodedHypothesis[] = K === 1
      ? await greedyDecode(stepper, start, { maxLength, eos: specials.eos, lengthPenalty: o.lengthPenalty ?? 1 })
      : (await batchedBeamSearch(stepper, start, { maxLength, eos: specials.eos, beamSize: K, lengthPenalty: o.lengthPenalty ?? 1 })).map((h) => h[0]!);
    hyps.forEach((h, j) => {
      const ids = h.tokens[h.tokens.length - 1] === specials.eos ? h.tokens.slice(0, -1) : h.tokens;
      out[idx[j]!] = { ids, logProb: h.logProb, score: h.score, ...(h.attention ? { attention: h.attention } : {}) };
    });
    await reclaimMemory();
  }
  return out;
}

export interface TextTranslation extends DecodedOutput {
  text: string;
  /** Source tokens as the model saw them (for attention plots). */
  sourceTokens: string[];
  /** Output tokens, one per id. */
  targetTokens: string[];
}

/** One token's text for display (BPE pieces may be partial UTF-8: shown with U+FFFD). */
export function tokenText(tok: Tokenizer, id: number): string {
  return tok.decode([id]);
}

/** Translates texts: tokenize, decode, detokenize. */
export async function translateTexts(model: Seq2Seq, src: Tokenizer, tgt: Tokenizer, texts: readonly string[], o: DecodeOptions = {}): Promise<TextTranslation[]> {
  const ids = texts.map((t) => src.encode(t));
  const dec = await decodeIds(model, ids, { srcPad: src.padId!, bos: tgt.bosId!, eos: tgt.eosId! }, o);
  return dec.map((d, i) => ({
    ...d,
    text: tgt.decode(d.ids, { skipSpecials: true }).trim(),
    sourceTokens: Array.from(ids[i]!, (id) => tokenText(src, id)),
    targetTokens: d.ids.map((id) => tokenText(tgt, id)),
  }));
}
