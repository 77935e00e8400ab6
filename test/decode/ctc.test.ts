/** CTC decoding: greedy, prefix beam search (against brute force), LM fusion and word constraints. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ctcGreedy, ctcPrefixBeam, type FusionLm } from '../../src/decode/ctc.js';
import { RecurError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/rng.js';

const log = (rows: number[][]): number[] => rows.flat().map(Math.log);

/** P(labelling) for every labelling, by summing all C^T frame paths. */
function labellings(lp: number[], T: number, C: number, blank: number): Map<string, number> {
  const out = new Map<string, number>();
  const path = new Array<number>(T).fill(0);
  for (;;) {
    const lab: number[] = [];
    let prev = -1, s = 0;
    path.forEach((c, t) => {
      s += lp[t * C + c]!;
      if (c !== prev && c !== blank) lab.push(c);
      prev = c;
    });
    const k = lab.join(',');
    out.set(k, (out.get(k) ?? 0) + Math.exp(s));
    let i = T - 1;
    while (i >= 0 && path[i] === C - 1) path[i--] = 0;
    if (i < 0) return out;
    path[i]!++;
  }
}

/** Random per-frame distributions; `peak` puts at least that much mass on one unit per frame. */
function randomFrames(rng: Rng, T: number, C: number, peak = 0): number[] {
  const rows: number[][] = [];
  for (let t = 0; t < T; t++) {
    const w = Array.from({ length: C }, () => Math.exp(rng.normal()));
    const s = w.reduce((a, b) => a + b, 0);
    let p = w.map((x) => x / s);
    if (peak > 0) {
      const top = Math.floor(rng.random() * C);
      p = p.map((x, c) => (c === top ? peak + (1 - peak) * x : (1 - peak) * x));
    }
    rows.push(p);
  }
  return log(rows);
}

describe('ctcGreedy', () => {
  test('collapses repeats, then drops blanks', () => {
    // argmax path: a a - a b b - - c  ->  a a b c
    const ids = [1, 1, 0, 1, 2, 2, 0, 0, 3];
    const lp = log(ids.map((k) => [0, 1, 2, 3].map((c) => (c === k ? 0.7 : 0.1))));
    assert.deepEqual(ctcGreedy(lp, ids.length, 4), [1, 1, 2, 3]);
    assert.deepEqual(ctcGreedy(lp, ids.length, 4, 3), [1, 0, 1, 2, 0]);
  });
});

describe('ctcPrefixBeam', () => {
  test('beam 1 equals greedy on peaked outputs (as trained models give)', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const T = 1 + Math.floor(rng.random() * 30), C = 2 + Math.floor(rng.random() * 6);
      const lp = randomFrames(rng, T, C, 0.9);
      const [h] = ctcPrefixBeam(lp, T, C, { beamSize: 1 });
      assert.deepEqual(h!.labels, ctcGreedy(lp, T, C), `trial ${trial}`);
    }
  });

  test('finds the most probable labelling, with its exact probability (brute force)', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 40; trial++) {
      const T = 5, C = 3, blank = trial % C;
      const lp = randomFrames(rng, T, C);
      const all = [...labellings(lp, T, C, blank)].sort((a, b) => b[1] - a[1]);
      const hyps = ctcPrefixBeam(lp, T, C, { beamSize: 64, blank });
      assert.equal(hyps[0]!.labels.join(','), all[0]![0], `trial ${trial}`);
      for (const h of hyps.slice(0, 5)) {
        const want = Math.log(all.find(([k]) => k === h.labels.join(','))![1]);
        assert.ok(Math.abs(h.logProb - want) < 1e-9, `trial ${trial} ${h.labels}: ${h.logProb} vs ${want}`);
      }
    }
  });

  test('beats the best path where many paths share a labelling', () => {
    // Best path "- -" (0.36) gives ""; the labelling "a" has 0.16 + 0.24 + 0.24 = 0.64.
    const lp = log([[0.6, 0.4], [0.6, 0.4]]);
    assert.deepEqual(ctcGreedy(lp, 2, 2), []);
    const [h] = ctcPrefixBeam(lp, 2, 2, { beamSize: 4 });
    assert.deepEqual(h!.labels, [1]);
    assert.ok(Math.abs(h!.logProb - Math.log(0.64)) < 1e-12);
  });

  test('LM fusion moves the output the way the LM prefers', () => {
    // Acoustics slightly prefer "b" (0.5 vs 0.45); a unigram LM says "a" is 9x more likely.
    const lp = log([[0.05, 0.45, 0.5]]);
    const unigram: FusionLm<null> = { start: () => null, next: () => null, logProb: (_s, u) => Math.log(u === 1 ? 0.9 : 0.1) };
    assert.deepEqual(ctcPrefixBeam(lp, 1, 3, { beamSize: 4 })[0]!.labels, [2]);
    const fused = ctcPrefixBeam(lp, 1, 3, { beamSize: 4, lm: unigram, lmWeight: 1 });
    assert.deepEqual(fused[0]!.labels, [1]);
    assert.ok(Math.abs(fused[0]!.score - (Math.log(0.45) + Math.log(0.9))) < 1e-12);
    // A tiny LM weight leaves the acoustic choice; the insertion bonus favours longer outputs.
    assert.deepEqual(ctcPrefixBeam(lp, 1, 3, { beamSize: 4, lm: unigram, lmWeight: 0.01 })[0]!.labels, [2]);
    const quiet = log([[0.6, 0.4], [0.6, 0.4], [0.6, 0.4]]);
    assert.equal(ctcPrefixBeam(quiet, 3, 2, { beamSize: 8 })[0]!.labels.length, 1);
    assert.equal(ctcPrefixBeam(quiet, 3, 2, { beamSize: 8, insertionBonus: 3 })[0]!.labels.length, 2);
  });

  test('a bigram LM state follows the prefix', () => {
    // After 2 the LM wants 1, and 2 first: "2 1" over "1 2", with equal acoustics (the bonus favours two units).
    const lp = log([[0.02, 0.49, 0.49], [0.02, 0.49, 0.49]]);
    const bigram: FusionLm<number> = {
      start: () => 0, next: (_s, u) => u,
      logProb: (s, u) => Math.log(s === 0 ? (u === 2 ? 0.8 : 0.2) : s === u ? 0.05 : 0.95),
    };
    assert.deepEqual(ctcPrefixBeam(lp, 2, 3, { beamSize: 8, lm: bigram, lmWeight: 1, insertionBonus: 1 })[0]!.labels, [2, 1]);
  });

  test('a word list constrains the output to its words', () => {
    // Units: 0 blank, 1 a, 2 b, 3 space. Acoustics say "a a" strongly; words are "ab" and "b".
    const frames = [[0.01, 0.9, 0.08, 0.01], [0.9, 0.02, 0.07, 0.01], [0.01, 0.9, 0.08, 0.01]];
    const lp = log(frames);
    assert.deepEqual(ctcPrefixBeam(lp, 3, 4, { beamSize: 8 })[0]!.labels, [1, 1]);
    const words = [[1, 2], [2]];
    const one = ctcPrefixBeam(lp, 3, 4, { beamSize: 8, constraint: { words, separator: null } });
    assert.deepEqual(one[0]!.labels, [1, 2]);
    for (const h of one) assert.ok(words.some((w) => w.join() === h.labels.join()), `${h.labels} is a word`);
    const two = log([...frames, [0.01, 0.01, 0.08, 0.9], [0.01, 0.08, 0.9, 0.01]]);
    const many = ctcPrefixBeam(two, 5, 4, { beamSize: 16, constraint: { words, separator: 3 } });
    assert.deepEqual(many[0]!.labels, [1, 2, 3, 2]);
    // No word fits one frame of "a": nothing complete.
    assert.deepEqual(ctcPrefixBeam(log([[0.01, 0.98, 0.01, 0]]), 1, 4, { beamSize: 4, constraint: { words: [[1, 2]], separator: null } }), []);
  });

  test('bad arguments: RecurErrors', () => {
    const lp = log([[0.5, 0.5]]);
    assert.throws(() => ctcPrefixBeam(lp, 1, 2, { beamSize: 0 }), RecurError);
    assert.throws(() => ctcPrefixBeam(lp, 2, 2, { beamSize: 1 }), /2 log-probabilities for T=2 frames/);
    assert.throws(() => ctcGreedy(lp, 1, 2, 2), /blank 2 is not a unit id/);
    assert.throws(() => ctcPrefixBeam(lp, 1, 2, { beamSize: 1, constraint: { words: [[0]], separator: null } }), /is the blank/);
  });
});
