import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { jsKernels, kernels } from '../../src/kernels/index.js';
import { CRF } from '../../src/nn/crf.js';
import { allowedTransitions, constraintViolation } from '../../src/nn/crf-constraints.js';
import { crfLogPartition, crfViterbi } from '../../src/nn/ops/crf.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor, tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/assert.js';

function rand(shape: number[], rng: Rng, scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, () => scale * rng.normal()), shape);
}

/** Every tag path of length L over K tags. */
function* paths(L: number, K: number): Generator<number[]> {
  const p = new Array<number>(L).fill(0);
  for (;;) {
    yield [...p];
    let i = L - 1;
    while (i >= 0 && p[i] === K - 1) p[i--] = 0;
    if (i < 0) return;
    p[i]!++;
  }
}

function pathScore(em: Tensor, b: number, T: number, K: number, trans: Tensor, start: Tensor, end: Tensor, y: number[]): number {
  let s = start.data[y[0]!]! + end.data[y[y.length - 1]!]!;
  y.forEach((j, t) => {
    s += em.data[(b * T + t) * K + j]!;
    if (t > 0) s += trans.data[y[t - 1]! * K + j]!;
  });
  return s;
}

/** log Z and the best path by enumerating all K^L paths. */
function bruteForce(em: Tensor, trans: Tensor, start: Tensor, end: Tensor, lengths: number[]): { logZ: number[]; best: number[][]; bestScore: number[] } {
  const [B, T, K] = em.shape as [number, number, number];
  const out = { logZ: [] as number[], best: [] as number[][], bestScore: [] as number[] };
  for (let b = 0; b < B; b++) {
    let z = 0, top = -Infinity, arg: number[] = [];
    for (const y of paths(lengths[b]!, K)) {
      const s = pathScore(em, b, T, K, trans, start, end, y);
      z += Math.exp(s);
      if (s > top) { top = s; arg = y; }
    }
    out.logZ.push(Math.log(z));
    out.best.push(arg);
    out.bestScore.push(top);
  }
  return out;
}

test('CRF partition function and Viterbi equal brute-force enumeration (variable lengths, 4 tags)', () => {
  const rng = new Rng(7);
  const B = 3, T = 5, K = 4, lengths = [5, 1, 3];
  const em = rand([B, T, K], rng), trans = rand([K, K], rng), start = rand([K], rng), end = rand([K], rng);
  const want = bruteForce(em, trans, start, end, lengths);
  assertClose(crfLogPartition(em, trans, start, end, lengths), want.logZ, { rtol: 1e-5, atol: 1e-5, what: 'log Z' });
  const v = crfViterbi(em, trans, start, end, lengths);
  assert.deepEqual(v.paths, want.best);
  assertClose(v.scores, want.bestScore, { rtol: 1e-5, atol: 1e-5, what: 'best scores' });
});

test('CRF with BIO constraints: partition sums only allowed paths, decode obeys them', () => {
  const tags = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
  const c = allowedTransitions(tags, 'bio');
  const rng = new Rng(3);
  const crf = new CRF(tags.length, { constraints: c, tagNames: tags, rng });
  const B = 2, T = 4, K = tags.length, lengths = [4, 3];
  // Emissions that favour I- tags everywhere: an unconstrained decode would start with I-.
  const em = rand([B, T, K], rng);
  for (let i = 0; i < B * T; i++) em.data[i * K + 2] = (em.data[i * K + 2] ?? 0) + 3;
  let z = [0, 0];
  for (let b = 0; b < B; b++) {
    for (const y of paths(lengths[b]!, K)) {
      if (constraintViolation(y, c) !== null) continue;
      z[b]! += Math.exp(pathScore(em, b, T, K, crf.transitions, crf.startTransitions, crf.endTransitions, y));
    }
  }
  z = z.map(Math.log);
  assertClose(crf.logPartition(em, lengths), z, { rtol: 1e-5, atol: 1e-5, what: 'constrained log Z' });
  for (const p of crf.decode(em, lengths).paths) assert.equal(constraintViolation(p, c), null, `decoded ${p} breaks BIO`);
  // The log-likelihoods of all allowed paths of a length-2 sequence sum to 1 in probability.
  const e2 = rand([1, 2, K], rng);
  let total = 0;
  for (const y of paths(2, K)) if (constraintViolation(y, c) === null) total += Math.exp(crf.forward(e2, y).item());
  assertClose(total, 1, { rtol: 1e-5, what: 'Σ p(y)' });
});

test('crfLogPartition gradients match finite differences (float64, 6 steps, variable lengths, a forbidden transition)', () => {
  const rng = new Rng(11);
  const B = 3, T = 6, K = 3;
  const em = rand([B, T, K], rng), trans = rand([K, K], rng), start = rand([K], rng), end = rand([K], rng);
  const mask = tensor([0, -Infinity, 0, 0, 0, 0, 0, 0, 0], [K, K]);
  const r = gradcheck(() => crfLogPartition(em, trans.add(mask), start, end, [6, 2, 5]), [em, trans, start, end]);
  assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 3)));
  // Gradient of log Z w.r.t. emissions is the tag marginal: each valid step sums to 1.
  em.requiresGrad_();
  em.grad = null;
  crfLogPartition(em, trans, start, end, [6, 2, 5]).sum().backward();
  for (let t = 0; t < 6; t++) assertClose(em.grad!.data.subarray(t * K, t * K + K).reduce((a, b) => a + b, 0), 1, { rtol: 1e-5, what: `Σ_j P(y_${t} = j)` });
  assert.deepEqual(Array.from(em.grad!.data.subarray((T + 2) * K, 2 * T * K)), new Array((T - 2) * K).fill(0), 'no gradient past a length');
});

test('CRF log-likelihood gradients (score − log Z) match finite differences, with BIOES constraints', () => {
  const tags = ['O', 'B-X', 'I-X', 'E-X', 'S-X'];
  const rng = new Rng(5);
  const crf = new CRF(5, { constraints: allowedTransitions(tags, 'bioes'), tagNames: tags, rng });
  const em = rand([2, 5, 5], rng);
  const gold = [1, 2, 2, 3, 0, /* */ 4, 0, 1, 3, 0];
  const r = gradcheck(() => crf.forward(em, gold, [5, 4]), [em, crf.transitions, crf.startTransitions, crf.endTransitions]);
  assert.ok(r.ok, JSON.stringify(r.failures.slice(0, 3)));
});

test('allowedTransitions: BIO and BIOES rules, bad tags named', () => {
  const bio = allowedTransitions(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'], 'bio');
  assert.deepEqual(bio.start, [true, true, false, true, false]);
  assert.deepEqual(bio.end, [true, true, true, true, true]);
  assert.deepEqual(bio.transitions[0], [true, true, false, true, false], 'O -> I-* forbidden');
  assert.deepEqual(bio.transitions[1], [true, true, true, true, false], 'B-PER -> I-PER only');
  assert.deepEqual(bio.transitions[4], [true, true, false, true, true], 'I-LOC -> I-LOC');
  const bioes = allowedTransitions(['O', 'B-A', 'I-A', 'E-A', 'S-A'], 'bioes');
  assert.deepEqual(bioes.start, [true, true, false, false, true]);
  assert.deepEqual(bioes.end, [true, false, false, true, true]);
  assert.deepEqual(bioes.transitions[1], [false, false, true, true, false], 'B -> I or E');
  assert.deepEqual(bioes.transitions[3], [true, true, false, false, true], 'E -> O, B or S');
  assert.throws(() => allowedTransitions(['O', 'S-A'], 'bio'), /tag 'S-A' is not of the BIO form/);
  assert.throws(() => allowedTransitions(['NN'], 'bioes'), /tag 'NN' is not of the BIOES form/);
  const crf = new CRF(5, { constraints: bio, tagNames: ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'] });
  assert.throws(() => crf.forward(rand([1, 3, 5], new Rng(1)), [0, 2, 2]),
    /tags of sequence 0 break the transition constraints: the path goes from 'O' to 'I-PER' at position 1/);
});

test('CRF errors name shapes and lengths', () => {
  const crf = new CRF(3);
  assert.throws(() => crf.forward(tensor(new Array(8).fill(0), [2, 2, 2]), [0, 0, 0, 0]), /emissions must be \[B, T, 3\].*got shape \[2,2,2\]/);
  assert.throws(() => crf.decode(tensor(new Array(12).fill(0), [2, 2, 3]), [2, 3]), /length 3 of sequence 1 is not a whole number in \[1, 2\]/);
  assert.throws(() => crf.forward(tensor(new Array(12).fill(0), [2, 2, 3]), [0, 1, 2]), /3 tags for emissions of 2 sequences x 2 steps/);
  assert.throws(() => crf.forward(tensor(new Array(6).fill(0), [1, 2, 3]), [0, 5]), /tag 5 of sequence 0 at step 1 is out of range \[0, 3\)/);
});

test('CRF kernels: the active backend equals the JS reference', () => {
  const rng = new Rng(2);
  const B = 4, T = 7, K = 5;
  const em = rand([B, T, K], rng), trans = rand([K, K], rng), start = rand([K], rng), end = rand([K], rng);
  const len = Int32Array.from([7, 3, 1, 6]);
  const run = (k: typeof jsKernels): Float32Array[] => {
    const alpha = new Float32Array(B * T * K), logZ = new Float32Array(B), beta = new Float32Array(B * T * K);
    const gEm = new Float32Array(B * T * K), gTr = new Float32Array(K * K), gS = new Float32Array(K), gE = new Float32Array(K);
    k.crfForward(B, T, K, em.data, len, trans.data, start.data, end.data, alpha, logZ);
    k.crfBackward(B, T, K, em.data, len, trans.data, start.data, end.data, alpha, logZ, Float32Array.from([1, 0.5, -1, 2]), beta, gEm, gTr, gS, gE);
    const paths = new Int32Array(B * T), scores = new Float32Array(B);
    k.crfViterbi(B, T, K, em.data, len, trans.data, start.data, end.data, new Float32Array(B * T * K), new Int32Array(B * T * K), paths, scores);
    return [logZ, gEm, gTr, gS, gE, Float32Array.from(paths), scores];
  };
  const a = run(kernels()), b = run(jsKernels);
  a.forEach((x, i) => assertClose(x, b[i]!, { rtol: 1e-6, atol: 1e-6, what: `output ${i} (${kernels().name})` }));
});
