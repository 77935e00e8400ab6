/** Layers and losses against PyTorch 1.13 fixtures (fixtures/core, see fixtures/README.md). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as F from '../../src/functional.js';
import { Embedding, LayerNorm, Linear } from '../../src/nn/index.js';
import type { Reduction } from '../../src/nn/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };

/** A fresh leaf copy that records gradients. */
function leaf(t: Tensor): Tensor {
  return new Tensor(Float32Array.from(t.data), t.shape, { requiresGrad: true });
}

describe('layers vs PyTorch', () => {
  for (const name of ['linear', 'linear3d']) {
    test(name, () => {
      const f = loadFixture(`core/${name}`);
      const lin = new Linear(f.config.in_features, f.config.out_features);
      lin.loadStateDict(new Map([['weight', f.get('weight')], ['bias', f.get('bias')]]));
      const x = leaf(f.get('x'));
      const y = lin.forward(x);
      assertClose(y, f.get('y'), { ...TOL, what: `${name} y` });
      y.backward(f.get('R'));
      assertClose(x.grad!, f.get('grad.x'), { ...TOL, what: 'grad.x' });
      assertClose(lin.weight.grad!, f.get('grad.weight'), { ...TOL, what: 'grad.weight' });
      assertClose(lin.bias!.grad!, f.get('grad.bias'), { ...TOL, what: 'grad.bias' });
    });
  }

  test('embedding with padding_idx=0: repeated ids accumulate, padding row gets zero gradient', () => {
    const f = loadFixture('core/embedding');
    const emb = new Embedding(f.config.num_embeddings, f.config.embedding_dim, { paddingIdx: f.config.padding_idx });
    // PyTorch zeroes the padding row at init; so do we.
    assert.ok(emb.weight.data.subarray(0, emb.embeddingDim).every((v) => v === 0));
    emb.loadStateDict(new Map([['weight', f.get('weight')]]));
    const y = emb.forward(f.get('idx'));
    assert.deepEqual([...y.shape], [2, 6, 4]);
    assertClose(y, f.get('y'), { ...TOL, what: 'y' });
    y.backward(f.get('R'));
    const g = emb.weight.grad!;
    assertClose(g, f.get('grad.weight'), { ...TOL, what: 'grad.weight' });
    assert.ok(g.data.subarray(0, 4).every((v) => v === 0), 'padding row gradient must be exactly zero');
  });

  test('layernorm', () => {
    const f = loadFixture('core/layernorm');
    const ln = new LayerNorm(f.config.normalized_shape[0], { eps: f.config.eps });
    ln.loadStateDict(new Map([['weight', f.get('weight')], ['bias', f.get('bias')]]));
    const x = leaf(f.get('x'));
    const y = ln.forward(x);
    assertClose(y, f.get('y'), { ...TOL, what: 'y' });
    y.backward(f.get('R'));
    assertClose(x.grad!, f.get('grad.x'), { ...TOL, what: 'grad.x' });
    assertClose(ln.weight!.grad!, f.get('grad.weight'), { ...TOL, what: 'grad.weight' });
    assertClose(ln.bias!.grad!, f.get('grad.bias'), { ...TOL, what: 'grad.bias' });
  });
});

/** Backward of `loss.sum()` (what the fixtures differentiate). */
function backwardSum(loss: Tensor): void {
  if (loss.size === 1) loss.backward();
  else loss.backward(new Tensor(new Float32Array(loss.size).fill(1), loss.shape));
}

describe('losses vs PyTorch', () => {
  const ceFiles = [
    'ce_mean', 'ce_sum', 'ce_none', 'ce_ignore_index', 'ce_ignore_index_custom', 'ce_label_smoothing',
    'ce_label_smoothing_ignore_index', 'ce_label_smoothing_none', 'ce_label_smoothing_sum', 'ce_weight',
    'ce_weight_ignore_index', 'ce_weight_label_smoothing', 'ce_weight_label_smoothing_ignore_index',
    'ce_weight_none', 'ce_weight_sum',
  ];
  for (const name of ceFiles) {
    test(name, () => {
      const f = loadFixture(`core/${name}`);
      const c = f.config;
      const logits = leaf(f.get('logits'));
      const loss = F.crossEntropy(logits, f.get('target'), {
        reduction: c.reduction as Reduction,
        ignoreIndex: c.ignore_index,
        labelSmoothing: c.label_smoothing,
        weight: c.has_weight ? f.get('weight') : null,
      });
      assert.deepEqual([...loss.shape], [...f.get('loss').shape], 'loss shape');
      assertClose(loss, f.get('loss'), { ...TOL, what: `${name} loss` });
      backwardSum(loss);
      assertClose(logits.grad!, f.get('grad.logits'), { ...TOL, what: `${name} grad.logits` });
    });
  }

  test('nll_mean', () => {
    const f = loadFixture('core/nll_mean');
    const logp = leaf(f.get('logp'));
    const loss = F.nllLoss(logp, f.ints('target'));
    assertClose(loss, f.get('loss'), { ...TOL, what: 'loss' });
    loss.backward();
    assertClose(logp.grad!, f.get('grad.logp'), { ...TOL, what: 'grad.logp' });
  });

  for (const name of ['mse_mean', 'mse_sum']) {
    test(name, () => {
      const f = loadFixture(`core/${name}`);
      const input = leaf(f.get('input'));
      const loss = F.mseLoss(input, f.get('target'), { reduction: f.config.reduction });
      assertClose(loss, f.get('loss'), { ...TOL, what: 'loss' });
      loss.backward();
      assertClose(input.grad!, f.get('grad.input'), { ...TOL, what: 'grad.input' });
    });
  }

  for (const name of ['bce_logits_mean', 'bce_logits_posweight']) {
    test(name, () => {
      const f = loadFixture(`core/${name}`);
      const input = leaf(f.get('input'));
      const loss = F.binaryCrossEntropyWithLogits(input, f.get('target'), {
        posWeight: f.config.has_pos_weight ? f.get('pos_weight') : null,
      });
      assertClose(loss, f.get('loss'), { ...TOL, what: 'loss' });
      loss.backward();
      assertClose(input.grad!, f.get('grad.input'), { ...TOL, what: 'grad.input' });
    });
  }
});
