import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/tensor/rng.js';
import { argmaxOf, beamSearch, sampleLogits, samplingDistribution, type BeamStepper } from '../../src/decode/index.js';

const logits = [2.0, 1.0, 0.5, 3.0, -1.0, 0.0];

test('top-k never samples outside the k most likely', () => {
  const rng = new Rng(1);
  const top2 = new Set([3, 0]);
  for (let i = 0; i < 2000; i++) assert.ok(top2.has(sampleLogits(logits, { topK: 2 }, rng)));
});

test('top-p keeps the smallest nucleus reaching p', () => {
  const full = samplingDistribution(logits);
  const p = full[3]! + 0.01; // just past the top token: top two survive
  const d = samplingDistribution(logits, { topP: p });
  assert.deepEqual([...d].map((v) => v > 0), [true, false, false, true, false, false]);
  assert.ok(Math.abs(d.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  // topP below the top probability still keeps one token.
  assert.deepEqual([...samplingDistribution(logits, { topP: 0.01 })].map((v) => v > 0), [false, false, false, true, false, false]);
});

test('temperature -> 0 equals greedy', () => {
  const rng = new Rng(3);
  for (const t of [0, 1e-6]) for (let i = 0; i < 50; i++) assert.equal(sampleLogits(logits, { temperature: t }, rng), argmaxOf(logits));
});

test('sampling follows the distribution and a seed reproduces it', () => {
  const draw = (seed: number): number[] => { const r = new Rng(seed); return Array.from({ length: 20 }, () => sampleLogits(logits, {}, r)); };
  assert.deepEqual(draw(9), draw(9));
  const rng = new Rng(5);
  const counts = new Array<number>(logits.length).fill(0);
  const N = 20000;
  for (let i = 0; i < N; i++) counts[sampleLogits(logits, { temperature: 1 }, rng)]!++;
  const want = samplingDistribution(logits);
  counts.forEach((c, i) => assert.ok(Math.abs(c / N - want[i]!) < 0.015, `token ${i}: ${c / N} vs ${want[i]}`));
});

test('bad sampling options are named', () => {
  assert.throws(() => samplingDistribution(logits, { temperature: -1 }), /temperature must be/);
  assert.throws(() => samplingDistribution(logits, { topK: 1.5 }), /topK must be/);
  assert.throws(() => samplingDistribution(logits, { topP: 0 }), /topP must be in/);
});

/**
 * A hand-built model over tokens {0: eos, 1: a, 2: b}, whose state is the prefix. Greedy
 * takes 'a' first (0.6) but then every continuation is poor (max 0.4); 'b' (0.4) leads to a
 * certain eos: best sequence is b, eos with p = 0.4 vs a,* at most 0.6*0.4 = 0.24.
 */
const table: Record<string, number[]> = {
  '': [0.0, 0.6, 0.4],
  a: [0.3, 0.3, 0.4],
  b: [1.0, 0.0, 0.0],
  aa: [1, 0, 0], ab: [1, 0, 0], ba: [1, 0, 0], bb: [1, 0, 0],
};
// The state is each hypothesis' prefix; step appends the token it was just given.
const stepper: BeamStepper<string[]> = {
  step(last, prefixes) {
    const V = 3;
    const next = prefixes.map((p, r) => (last[r]! < 0 ? p : p + 'xab'[last[r]!]));
    const lp = new Float32Array(next.length * V);
    next.forEach((p, r) => table[p]!.forEach((q, v) => (lp[r * V + v] = Math.log(q))));
    return { logProbs: lp, vocabSize: V, state: next };
  },
  select: (prefixes, rows) => Array.from(rows, (r) => prefixes[r]!),
};

const run = (K: number) => beamSearch(stepper, { token: -1, state: [''] }, { beamSize: K, maxLength: 4, eos: 0, lengthPenalty: 0 });

test('beam search finds the best sequence greedy misses; K=1 equals greedy', () => {
  const greedy = run(1)[0]!;
  assert.deepEqual(greedy.tokens.slice(0, 2), [1, 2]); // a, then b (0.4) ...
  const best = run(3)[0]!;
  assert.deepEqual(best.tokens, [2, 0]);
  assert.ok(Math.abs(best.logProb - Math.log(0.4)) < 1e-6);
});
