import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bleuFromStats, corpusBleu, formatBleu, sentenceBleu } from '../../src/metrics/bleu.js';
import { corpusChrf } from '../../src/metrics/chrf.js';
import { pySplit, tokenize13a } from '../../src/metrics/tokenize-13a.js';
import { editDistance, errorRate, sequenceErrorRate, wordErrorRate } from '../../src/metrics/wer.js';
import { assertClose, assertThrowsWith } from '../helpers/assert.js';

// Every expected value below is derived by hand in the comment next to it, following
// sacreBLEU 2.x's definitions (BLEU: compute_bleu; chrF: _compute_f_score).

describe('13a tokenizer (sacreBLEU default)', () => {
  test('splits punctuation and symbols, keeps apostrophes, numbers and non-ASCII', () => {
    assert.equal(tokenize13a('Hello, world!'), 'Hello , world !');
    assert.equal(tokenize13a('It costs 3.14 or 1,000 (approx.)'), 'It costs 3.14 or 1,000 ( approx . )');
    assert.equal(tokenize13a("don't stop"), "don't stop");
    assert.equal(tokenize13a('pages 5-7 of a well-known book'), 'pages 5 - 7 of a well-known book');
    assert.equal(tokenize13a('&quot;quoted&quot; &amp; &lt;b&gt;'), '" quoted " & < b >');
    assert.equal(tokenize13a('¿Qué pasó? Dijo: «sí».'), '¿Qué pasó ? Dijo : «sí» .');
    assert.equal(tokenize13a('a <skipped> b'), 'a b');
    assert.equal(tokenize13a('end of line-\nnext'), 'end of linenext');
  });

  test('whitespace is Python\'s: \\x1c-\\x1f split, U+FEFF does not', () => {
    assert.deepEqual(pySplit('a\x1cb\u00a0c\ufeffd'), ['a', 'b', 'c\ufeffd']);
  });
});

describe('BLEU', () => {
  // Segment 1: hyp "the cat sat on the mat", ref "the cat is on the mat" (6 tokens each)
  //   1-grams: the×2, cat, on, mat match (sat does not): 5/6
  //   2-grams: "the cat", "on the", "the mat": 3/5;  3-grams: "on the mat": 1/4;  4-grams: 0/3
  // Segment 2: hyp = ref = "a dog runs in the park ." (7 tokens): 7/7, 6/6, 5/5, 4/4
  // Corpus: p = 12/13, 9/11, 6/9, 4/7; c = r = 13, BP = 1; BLEU = 100 · (Π p)^(1/4)
  const hyps = ['the cat sat on the mat', 'a dog runs in the park.'];
  const refs = ['the cat is on the mat', 'a dog runs in the park.'];

  test('corpus BLEU from hand-counted n-grams', () => {
    const r = corpusBleu(hyps, refs);
    assert.deepEqual(r.counts, [12, 9, 6, 4]);
    assert.deepEqual(r.totals, [13, 11, 9, 7]);
    assert.equal(r.sysLen, 13);
    assert.equal(r.refLen, 13);
    assert.equal(r.bp, 1);
    assertClose(r.score, 100 * Math.pow((12 / 13) * (9 / 11) * (6 / 9) * (4 / 7), 1 / 4), { rtol: 1e-12 });
    assertClose(r.score, 73.2385, { atol: 1e-4 });
    assert.equal(formatBleu(r), 'BLEU = 73.24 92.3/81.8/66.7/57.1 (BP = 1.000 ratio = 1.000 hyp_len = 13 ref_len = 13)');
  });

  test('a zero 4-gram precision makes BLEU 0 without smoothing; exp smoothing is mteval\'s', () => {
    // Segment 1 alone: counts 5,3,1,0 of 6,5,4,3.
    assert.equal(sentenceBleu(hyps[0]!, refs[0]!).score, 0);
    // exp: the first zero precision becomes 100 / (2 · 3); BLEU = (500/6 · 60 · 25 · 100/6)^(1/4).
    const e = sentenceBleu(hyps[0]!, refs[0]!, { smooth: 'exp' });
    assertClose(e.precisions, [500 / 6, 60, 25, 100 / 6], { rtol: 1e-12 });
    assertClose(e.score, Math.pow((500 / 6) * 60 * 25 * (100 / 6), 1 / 4), { rtol: 1e-12 });
    // floor 0.1: 100 · 0.1 / 3; add-k 1: orders ≥ 2 get +1 on both counts: (4/6, 2/5, 1/4).
    assertClose(sentenceBleu(hyps[0]!, refs[0]!, { smooth: 'floor' }).precisions[3]!, 10 / 3, { rtol: 1e-12 });
    assertClose(sentenceBleu(hyps[0]!, refs[0]!, { smooth: 'add-k' }).score,
      Math.pow((500 / 6) * (400 / 6) * 40 * 25, 1 / 4), { rtol: 1e-12 });
  });

  test('brevity penalty and effective order', () => {
    // c = 2, r = 6: BP = exp(1 − 6/2) = e^−2; only orders 1–2 exist and both are 100%.
    const r = sentenceBleu('the cat', 'the cat sat on the mat', { effectiveOrder: true });
    assertClose(r.bp, Math.exp(-2), { rtol: 1e-12 });
    assertClose(r.score, 100 * Math.exp(-2), { rtol: 1e-12 });
    assert.equal(sentenceBleu('the cat', 'the cat sat on the mat').score, 0);
    assert.equal(corpusBleu([''], ['a b c']).score, 0);
  });

  test('several references: clipping by the largest count, the closest reference length (shorter on ties)', () => {
    // hyp "the the the" (3): "the" appears at most twice in one reference -> 1-grams 2/3.
    // References of 2 and 4 tokens are both 1 away from 3: the shorter (2) is used, so BP = 1.
    const r = corpusBleu(['the the the'], [['the the', 'the cat the end']], { effectiveOrder: true, smooth: 'exp' });
    assert.equal(r.counts[0], 2);
    assert.equal(r.refLen, 2);
    assert.equal(r.bp, 1);
    // Lower-casing before tokenizing.
    assertClose(corpusBleu(['THE CAT SAT ON THE MAT'], ['the cat sat on the mat'], { lowercase: true }).score, 100, { rtol: 1e-12 });
  });

  test('sufficient statistics add up over the corpus', () => {
    const a = corpusBleu(hyps, refs);
    const stats = [13, 13, 12, 9, 6, 4, 13, 11, 9, 7];
    assert.equal(bleuFromStats(stats).score, a.score);
    assertThrowsWith(() => corpusBleu(['a'], []), '1 hypotheses but 0 references');
  });
});

describe('chrF', () => {
  test('hand-computed character n-gram F-score (β = 2, effective order)', () => {
    // "abc" vs "abd": 1-grams 2/3 both ways, 2-grams "ab" 1/2, 3-grams 0/1; orders 4–6 have no
    // n-grams and do not count. P = R = (2/3 + 1/2 + 0)/3 = 7/18, so chrF = 100 · 7/18.
    assertClose(corpusChrf(['abc'], ['abd']), (100 * 7) / 18, { rtol: 1e-12 });
    assert.equal(corpusChrf(['a b c'], ['abc']), 100, 'whitespace is removed');
    assert.equal(corpusChrf(['xyz'], ['abc']), 0);
    // P ≠ R: hyp "ab" vs ref "abcd" (order 2): P = (1 + 1)/2 = 1, R = (2/4 + 1/3)/2 = 5/12,
    // F2 = 5 · P · R / (4P + R) = (25/12) / (53/12) = 25/53.
    assertClose(corpusChrf(['ab'], ['abcd'], { charOrder: 2 }), (100 * 25) / 53, { rtol: 1e-12 });
  });
});

describe('edit-distance error rates', () => {
  test('Levenshtein distance', () => {
    assert.equal(editDistance([...'kitten'], [...'sitting']), 3);
    assert.equal(editDistance([], ['a', 'b']), 2);
    assert.equal(editDistance(['a'], ['a']), 0);
  });

  test('phoneme error rate and G2P word error rate, with alternative pronunciations', () => {
    const hyps = [['K', 'AE', 'T'], ['D', 'AO', 'G'], ['R', 'IY', 'D']];
    // "cat" exact; "dog" one substitution against [D AA G] (3 phonemes); "read" matches its second pronunciation.
    const refs = [['K', 'AE', 'T'], ['D', 'AA', 'G'], [['R', 'EH', 'D'], ['R', 'IY', 'D']]];
    assert.deepEqual(errorRate(hyps, refs), { errors: 1, total: 9, rate: 1 / 9 });
    assert.deepEqual(sequenceErrorRate(hyps, refs), { errors: 1, total: 3, rate: 1 / 3 });
    assert.deepEqual(wordErrorRate(['a b c d'], ['a x c']), { errors: 2, total: 3, rate: 2 / 3 });
  });
});
