import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchConfigs } from '../../bench/configs.js';
import { profileConfig } from '../../bench/profile.js';
import { kernels } from '../../src/kernels/index.js';

describe('bench --profile', () => {
  it('accounts for the whole step, times the products with their flops, and unwraps the kernels', async () => {
    const k = kernels();
    const gemmBefore = k.gemm;
    const c = benchConfigs(true)['train-lstm'];
    assert.equal(c.kind, 'train');
    if (c.kind !== 'train') return;
    const p = await profileConfig('train-lstm', c, 0.3, 0.05);
    assert.ok(p.steps > 0, 'no step ran');
    const sum = p.rows.reduce((s, r) => s + r.msPerStep, 0);
    assert.ok(Math.abs(sum - p.msPerStep) < 1e-6 * p.msPerStep + 1e-9, `rows add up to ${sum} ms, the step takes ${p.msPerStep} ms`);
    const products = p.rows.filter((r) => r.kernel.startsWith('gemm'));
    assert.ok(products.length > 0, `no product was timed: ${p.rows.map((r) => r.kernel).join(', ')}`);
    for (const r of products) assert.ok(r.gflops! > 0 && r.callsPerStep > 0, `${r.kernel}: ${JSON.stringify(r)}`);
    assert.ok(p.rows.some((r) => r.kernel === 'adam' || r.kernel.startsWith('adam')), `the optimizer is missing: ${p.rows.map((r) => r.kernel).join(', ')}`);
    assert.equal(k.gemm, gemmBefore, 'the kernels were left wrapped');
  });
});
