import { noGrad } from '../../autograd/grad-mode.js';
import { indexSelect } from '../../autograd/ops/indexing.js';
import { transpose } from '../../autograd/ops/shape.js';
import { beamSearch, type BeamStepper, type Hypothesis } from '../../decode/beam.js';
import { sampleLogits, checkSamplingOptions, type SamplingOptions } from '../../decode/sampling.js';
import { textStream } from '../../decode/text-stream.js';
import { RecurError } from '../../errors.js';
import { Rng } from '../../tensor/rng.js';
import { reclaimMemory } from '../../kernels/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Tokenizer } from '../../text/tokenizer.js';
import type { StepperWeights } from '../../nn/rnn/index.js';
import { LmStepper } from './lm-stepper.js';
import type { LanguageModel, LmState } from './model.js';

export interface GenerateOptions extends SamplingOptions {
  prompt: string;
  /** Tokens to generate. */
  length: number;
  seed?: number;
  /**
   * Weights of the per-token loop (a RecurrentStepper plus the decoder): 'float32' (default;
   * the same tokens as the module's forward up to float rounding) or 'int8' (a quarter of the
   * weight bytes per token). The prompt is always read by one float32 forward pass.
   */
  weights?: StepperWeights;
}

/** Ids to start from: the prompt, or a line break / <bos> when the prompt is empty. */
export function primeIds(tokenizer: Tokenizer, prompt: string): Int32Array {
  if (prompt.length > 0) {
    const ids = tokenizer.encode(prompt);
    if (ids.length > 0) return ids;
  }
  if (tokenizer.bosId !== undefined) return Int32Array.of(tokenizer.bosId);
  const nl = tokenizer.encode('\n');
  return nl.length > 0 ? nl.subarray(nl.length - 1) : Int32Array.of(0);
}

/** Runs the prompt through the model (one fused pass) and returns the last logits and state. */
function prime(model: LanguageModel, ids: Int32Array): { logits: Float32Array; state: LmState } {
  const { logits, state } = model.forward(ids, ids.length, 1, null);
  const V = model.config.vocabSize;
  return { logits: logits.data.slice((ids.length - 1) * V), state };
}

/** Samples `length` token ids one by one (the prompt read by one fused forward pass first). */
export async function* generateIds(model: LanguageModel, tokenizer: Tokenizer, o: GenerateOptions): AsyncGenerator<number> {
  checkSamplingOptions(o);
  if (!Number.isInteger(o.length) || o.length < 0) throw new RecurError(`length must be a whole number >= 0, got ${o.length}`);
  const weights = o.weights ?? 'float32';
  if (weights !== 'float32' && weights !== 'int8') throw new RecurError(`weights must be 'float32' or 'int8', got '${String(weights)}'`);
  model.eval();
  const rng = new Rng(o.seed ?? 0);
  let { logits, state } = noGrad(() => prime(model, primeIds(tokenizer, o.prompt)));
  // The fused batch-1 path when the recurrent layer can run step by step; else forward on T = 1.
  if (!LmStepper.supports(model) && weights === 'int8') throw new RecurError('int8 generation needs a unidirectional recurrent layer');
  const fast = LmStepper.supports(model) && o.length > 1 ? new LmStepper(model, weights) : null;
  fast?.setState(state);
  for (let i = 0; i < o.length; i++) {
    const id = sampleLogits(logits, o, rng);
    yield id;
    if (i % 64 === 63) await reclaimMemory();
    if (i === o.length - 1) break; // the last token's logits would go unused
    if (fast) {
      logits = fast.next(id);
      continue;
    }
    ({ logits, state } = noGrad(() => {
      const r = model.forward(Int32Array.of(id), 1, 1, state);
      return { logits: r.logits.data, state: r.state };
    }));
  }
}

/**
 * Samples text token by token, yielding each new piece of text as soon as it decodes, in
 * constant work per token (src/decode/text-stream.ts): special tokens are not written out,
 * and byte-level BPE pieces that end inside a character wait for the token that completes it.
 */
export async function* generateText(model: LanguageModel, tokenizer: Tokenizer, o: GenerateOptions): AsyncGenerator<string> {
  const text = textStream(tokenizer);
  for await (const id of generateIds(model, tokenizer, o)) {
    const piece = text.push(id);
    if (piece !== '') yield piece;
  }
  const rest = text.end();
  if (rest !== '') yield rest;
}

function selectBatch(t: Tensor, rows: Int32Array): Tensor {
  // State is [L, B, H]: pick rows of the batch axis.
  return transpose(indexSelect(transpose(t, 0, 1), rows), 0, 1);
}

/** The most likely continuations of `length` tokens by beam search. */
export function beamContinue(model: LanguageModel, tokenizer: Tokenizer, prompt: string, length: number, beamSize: number): Hypothesis[] {
  model.eval();
  return noGrad(() => {
    const ids = primeIds(tokenizer, prompt);
    const start = ids.length > 1 ? prime(model, ids.subarray(0, ids.length - 1)).state : null;
    const V = model.config.vocabSize;
    const stepper: BeamStepper<LmState | null> = {
      step(last, state) {
        const r = model.forward(last, 1, last.length, state);
        const lp = r.logits.logSoftmax(-1);
        return { logProbs: lp.data, vocabSize: V, state: r.state };
      },
      select(state, rows) {
        return state ? { h: selectBatch(state.h, rows), ...(state.c ? { c: selectBatch(state.c, rows) } : {}) } : null;
      },
    };
    return beamSearch(stepper, { token: ids[ids.length - 1]!, state: start }, { beamSize, maxLength: length, ...(tokenizer.eosId !== undefined ? { eos: tokenizer.eosId } : {}), lengthPenalty: 0 });
  });
}

/** Top-k next tokens after a prompt, with probabilities. */
export function nextTokens(model: LanguageModel, tokenizer: Tokenizer, prompt: string, k: number): Array<{ token: string; id: number; prob: number }> {
  model.eval();
  const { logits } = noGrad(() => prime(model, primeIds(tokenizer, prompt)));
  let mx = -Infinity;
  for (const v of logits) mx = Math.max(mx, v);
  let z = 0;
  for (const v of logits) z += Math.exp(v - mx);
  return Array.from(logits, (v, id) => ({ id, prob: Math.exp(v - mx) / z }))
    .sort((a, b) => b.prob - a.prob)
    .slice(0, k)
    .map((e) => ({ ...e, token: tokenizer.decode([e.id]) }));
}
