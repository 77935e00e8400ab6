import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { beamSearch, type BeamStepper } from '../../src/decode/beam.js';
import { batchedBeamSearch, greedyDecode, type BatchedBeamStepper } from '../../src/decode/beam-batched.js';
import { fnv1a } from '../../src/data/pairs.js';
import { assertClose } from '../helpers/assert.js';

/** A row of the batch: which sentence it belongs to and the tokens so far. */
interface Row {
  sent: number;
  prefix: number[];
}

const V = 4, EOS = 0;

/** Deterministic "model": log-softmax of pseudo-random logits keyed by (sentence, prefix, token). */
function logProbsOf(r: Row): number[] {
  const logits = Array.from({ length: V }, (_, v) => ((fnv1a(`${r.sent}|${r.prefix.join(',')}|${v}`) % 1000) / 250) - (v === EOS ? 1.5 : 0));
  const m = Math.max(...logits);
  const z = Math.log(logits.reduce((s, x) => s + Math.exp(x - m), 0)) + m;
  return logits.map((x) => x - z);
}

const stepper: BatchedBeamStepper<Row[]> = {
  step(last, rows) {
    const lp = new Float32Array(rows.length * V);
    const att = new Float32Array(rows.length * 2);
    const next = rows.map((r, i) => {
      const p = [...r.prefix, last[i]!];
      lp.set(logProbsOf({ sent: r.sent, prefix: p }), i * V);
      att.set([0.25, 0.75], i * 2);
      return { sent: r.sent, prefix: p };
    });
    return { logProbs: lp, vocabSize: V, state: next, attention: att, attentionWidth: 2 };
  },
  select: (rows, idx) => Array.from(idx, (i) => rows[i]!),
};

const start = (n: number): { tokens: Int32Array; state: Row[] } => ({ tokens: new Int32Array(n).fill(9), state: Array.from({ length: n }, (_, s) => ({ sent: s, prefix: [] })) });

describe('batched beam search', () => {
  test('beam size 1 equals greedy decoding, sentence by sentence, attention included', async () => {
    const maxLength = [3, 7, 12, 1, 9];
    const g = await greedyDecode(stepper, start(5), { maxLength, eos: EOS });
    const b = await batchedBeamSearch(stepper, start(5), { maxLength, eos: EOS, beamSize: 1 });
    for (let s = 0; s < 5; s++) {
      assert.deepEqual(b[s]![0]!.tokens, g[s]!.tokens, `sentence ${s}`);
      assert.equal(b[s]![0]!.logProb, g[s]!.logProb);
      assert.equal(b[s]![0]!.score, g[s]!.score);
      assert.equal(g[s]!.attention!.length, g[s]!.tokens.length);
      assert.ok(g[s]!.tokens.length <= maxLength[s]!);
    }
  });

  test('each sentence gets exactly what one-sentence beamSearch (decode/beam.ts) gives it', async () => {
    for (const K of [2, 3]) {
      const batched = await batchedBeamSearch(stepper, start(4), { maxLength: 6, eos: EOS, beamSize: K });
      for (let s = 0; s < 4; s++) {
        const one: BeamStepper<Row[]> = { step: (last, rows) => stepper.step(last, rows), select: stepper.select };
        const single = beamSearch(one, { token: 9, state: [{ sent: s, prefix: [] }] }, { beamSize: K, maxLength: 6, eos: EOS });
        assert.deepEqual(batched[s]!.map((h) => h.tokens), single.map((h) => h.tokens), `K=${K}, sentence ${s}`);
        assertClose(batched[s]!.map((h) => h.score), single.map((h) => h.score), { rtol: 1e-12 });
      }
    }
  });

  test('finds the best sequence of a hand-built model where greedy does not', async () => {
    // P(first) = eos .05, a .55, b .40; after a: eos .3, a .35, b .35; after b: eos .9, a .05, b .05;
    // after two tokens: eos .5, a .25, b .25. Best: [b, eos] = .36 (greedy takes a, a, eos = .096).
    const table = (prefix: number[]): number[] => {
      if (prefix.length === 0) return [0.05, 0.55, 0.4];
      if (prefix.length === 1) return prefix[0] === 1 ? [0.3, 0.35, 0.35] : [0.9, 0.05, 0.05];
      return [0.5, 0.25, 0.25];
    };
    const hand: BatchedBeamStepper<number[][]> = {
      step(last, rows) {
        const lp = new Float32Array(rows.length * 3);
        // The start token (7) is not part of the prefix.
        const next = rows.map((p, i) => (last[i] === 7 ? p : [...p, last[i]!]));
        next.forEach((p, i) => lp.set(table(p).map(Math.log), i * 3));
        return { logProbs: lp, vocabSize: 3, state: next };
      },
      select: (rows, idx) => Array.from(idx, (i) => rows[i]!),
    };
    const st = { tokens: Int32Array.of(7), state: [[]] as number[][] };
    const greedy = await greedyDecode(hand, st, { maxLength: 5, eos: 0, lengthPenalty: 0 });
    assert.deepEqual(greedy[0]!.tokens, [1, 1, 0]);
    const beam = await batchedBeamSearch(hand, st, { maxLength: 5, eos: 0, beamSize: 2, lengthPenalty: 0 });
    assert.deepEqual(beam[0]![0]!.tokens, [2, 0]);
    assertClose(beam[0]![0]!.logProb, Math.log(0.4 * 0.9), { rtol: 1e-6 });
  });

  test('with a beam as wide as the search space it returns the exhaustive optimum', async () => {
    // All sequences of length <= 3 over V = 4 tokens: finished ones end in eos, the rest stop at 3.
    let best = -Infinity, bestSeq: number[] = [];
    const visit = (prefix: number[], lp: number): void => {
      const lps = logProbsOf({ sent: 1, prefix: [9, ...prefix] });
      for (let v = 0; v < V; v++) {
        const seq = [...prefix, v], score = lp + lps[v]!;
        if (v === EOS || seq.length === 3) {
          if (score > best) [best, bestSeq] = [score, seq];
        } else visit(seq, score);
      }
    };
    visit([], 0);
    const r = await batchedBeamSearch(stepper, { tokens: Int32Array.of(9), state: [{ sent: 1, prefix: [] }] }, { maxLength: 3, eos: EOS, beamSize: 64, lengthPenalty: 0 });
    assert.deepEqual(r[0]![0]!.tokens, bestSeq);
    assertClose(r[0]![0]!.logProb, best, { rtol: 1e-6 });
  });

  test('rejects bad options', async () => {
    await assert.rejects(batchedBeamSearch(stepper, start(2), { maxLength: 3, eos: EOS, beamSize: 0 }), /beam size must be a whole number >= 1/);
    await assert.rejects(batchedBeamSearch(stepper, start(2), { maxLength: [3], eos: EOS }), /maxLength has 1 entries for 2 sentences/);
  });
});
