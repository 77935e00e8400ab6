import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { concat } from '../../src/autograd/ops/index.js';
import { AdditiveAttention, createAttention, DotAttention, GeneralAttention, paddingMask, selectMemory, type AttentionScore } from '../../src/nn/attention.js';
import { bmv, bmvT } from '../../src/nn/ops/bmv.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';
import { assertClose, assertThrowsWith } from '../helpers/assert.js';

const B = 3, S = 5, D = 4;
const lengths = [5, 2, 3];
const SCORES: AttentionScore[] = ['additive', 'dot', 'general'];

function expectOk(res: ReturnType<typeof gradcheck>, what: string): void {
  assert.ok(res.checked > 0);
  assert.ok(res.ok, `${what}: ${res.failures.length} of ${res.checked} gradients wrong, e.g. ${JSON.stringify(res.failures.slice(0, 3))}`);
}

describe('attention', () => {
  for (const score of SCORES) {
    test(`${score}: weights sum to one, are exactly zero at padding, and padding values change nothing`, () => {
      const rng = new Rng(1);
      const att = createAttention(score, { queryDim: D, valueDim: D, attentionDim: 6, rng });
      const values = randn([B, S, D], { rng }), query = randn([B, D], { rng });
      const a = noGrad(() => att.forward(query, att.prepare(values, lengths)));
      assert.deepEqual(a.weights.shape, [B, S]);
      assert.deepEqual(a.context.shape, [B, D]);
      for (let b = 0; b < B; b++) {
        let sum = 0;
        for (let s = 0; s < S; s++) {
          const w = a.weights.data[b * S + s]!;
          if (s >= lengths[b]!) assert.equal(w, 0, `weight at padding [${b},${s}]`);
          else assert.ok(w > 0);
          sum += w;
        }
        assertClose(sum, 1, { atol: 1e-6, what: `row ${b} sum` });
      }
      // Garbage (even huge values) in the padded positions must not change anything.
      const dirty = new Tensor(Float32Array.from(values.data), values.shape);
      for (let b = 0; b < B; b++) for (let s = lengths[b]!; s < S; s++) for (let d = 0; d < D; d++) dirty.data[(b * S + s) * D + d] = 1e4 * (d + 1);
      const a2 = noGrad(() => att.forward(query, att.prepare(dirty, lengths)));
      assertClose(a2.weights, a.weights, { atol: 0, rtol: 0, what: 'weights with dirty padding' });
      assertClose(a2.context, a.context, { atol: 1e-6, what: 'context with dirty padding' });
      // The context is the weighted average of the memory rows.
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < D; d++) {
          let c = 0;
          for (let s = 0; s < S; s++) c += a.weights.data[b * S + s]! * values.data[(b * S + s) * D + d]!;
          assertClose(a.context.data[b * D + d]!, c, { atol: 1e-5 });
        }
      }
    });

    test(`${score}: gradients through scores, masked softmax and context match central differences (float64)`, () => {
      const rng = new Rng(7);
      const att = createAttention(score, { queryDim: D, valueDim: D, attentionDim: 3, rng });
      const values = randn([B, S, D], { rng }), query = randn([B, D], { rng });
      const run = (): Tensor => {
        const r = att.forward(query, att.prepare(values, lengths));
        return concat([r.context.reshape([B * D]), r.weights.reshape([B * S])], 0);
      };
      expectOk(gradcheck(run, [values, query, ...att.parameters()]), score);
    });
  }

  test('the dot score is qᵀh̄ and the general score qᵀW_a h̄ (W_aᵀ applied to the query)', () => {
    const rng = new Rng(3);
    const values = randn([1, 2, 2], { rng });
    const q = new Tensor(Float32Array.of(1, 2), [1, 2]);
    const dot = new DotAttention({ queryDim: 2, valueDim: 2 });
    const e = [0, 1].map((s) => values.data[s * 2]! * 1 + values.data[s * 2 + 1]! * 2);
    const z = Math.exp(e[0]!) + Math.exp(e[1]!);
    assertClose(noGrad(() => dot.forward(q, dot.prepare(values)).weights), [Math.exp(e[0]!) / z, Math.exp(e[1]!) / z], { atol: 1e-6 });
    const gen = new GeneralAttention({ queryDim: 2, valueDim: 2, rng });
    gen.query.weight.data.set([0, 1, 1, 0]); // W_aᵀ swaps the query's coordinates
    const eg = [0, 1].map((s) => values.data[s * 2]! * 2 + values.data[s * 2 + 1]! * 1);
    const zg = Math.exp(eg[0]!) + Math.exp(eg[1]!);
    assertClose(noGrad(() => gen.forward(q, gen.prepare(values)).weights), [Math.exp(eg[0]!) / zg, Math.exp(eg[1]!) / zg], { atol: 1e-6 });
    const add = new AdditiveAttention({ queryDim: 2, valueDim: 2, attentionDim: 3, rng });
    assert.deepEqual([...add.namedParameters().keys()], ['query.weight', 'key.weight', 'key.bias', 'v.weight']);
  });

  test('selectMemory picks (and repeats) batch rows for beam search', () => {
    const rng = new Rng(5);
    const att = new AdditiveAttention({ queryDim: D, valueDim: D, rng });
    const values = randn([B, S, D], { rng }), query = randn([B, D], { rng });
    const mem = noGrad(() => att.prepare(values, lengths));
    const rows = Int32Array.of(2, 2, 0);
    const sel = noGrad(() => selectMemory(mem, rows));
    const q = new Tensor(new Float32Array(3 * D), [3, D]);
    for (let i = 0; i < 3; i++) q.data.set(query.data.subarray(rows[i]! * D, (rows[i]! + 1) * D), i * D);
    const full = noGrad(() => att.forward(query, mem)), picked = noGrad(() => att.forward(q, sel));
    for (let i = 0; i < 3; i++) {
      assertClose(picked.weights.data.subarray(i * S, (i + 1) * S), full.weights.data.subarray(rows[i]! * S, (rows[i]! + 1) * S), { atol: 1e-6 });
    }
    assert.deepEqual([...sel.lengths], [3, 3, 5]);
  });

  test('bmv and bmvT: values and float64 gradients', () => {
    const rng = new Rng(11);
    const A = randn([2, 3, 4], { rng }), x = randn([2, 4], { rng }), w = randn([2, 3], { rng });
    const y = noGrad(() => bmv(A, x));
    for (let b = 0; b < 2; b++) for (let m = 0; m < 3; m++) {
      let s = 0;
      for (let n = 0; n < 4; n++) s += A.data[(b * 3 + m) * 4 + n]! * x.data[b * 4 + n]!;
      assertClose(y.data[b * 3 + m]!, s, { atol: 1e-5 });
    }
    expectOk(gradcheck(() => bmv(A, x), [A, x]), 'bmv');
    expectOk(gradcheck(() => bmvT(A, w), [A, w]), 'bmvT');
  });

  test('errors name the shapes', () => {
    const att = new DotAttention({ queryDim: D, valueDim: D });
    assertThrowsWith(() => att.prepare(randn([B, S, D + 1])), 'memory must be [B, S, 4]', '[3,5,5]');
    const mem = att.prepare(randn([B, S, D]), lengths);
    assertThrowsWith(() => att.forward(randn([B + 1, D]), mem), 'query must be [3, 4]', '[4,4]');
    assertThrowsWith(() => paddingMask([0, 2], 3), 'length 0 of sequence 0 is not in [1, 3]');
    assertThrowsWith(() => new DotAttention({ queryDim: 3, valueDim: 4 }), 'queryDim (3) must equal valueDim (4)');
    assertThrowsWith(() => bmv(randn([2, 3, 4]), randn([2, 3])), 'bmv: vector must be [2, 4]');
  });
});
