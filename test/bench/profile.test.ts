import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchConfigs } from '../../bench/configs.js';
import { instrument, profileConfig, type Row } from '../../bench/profile.js';
import type { Kernels } from '../../src/kernels/index.js';
import { kernels } from '../../src/kernels/index.js';

describe('bench --profile', () => {
  it('counts each kernel call once per step, times the products with their flops, and unwraps the kernels', async () => {
    const k = kernels();
    const gemmBefore = k.gemm;
    const c = benchConfigs(true)['train-lstm'];
    assert.equal(c.kind, 'train');
    if (c.kind !== 'train') return;
    const p = await profileConfig('train-lstm', c, 0.3, 0.05);
    assert.ok(p.steps > 0, 'no step ran');
    // Nested kernel calls counted twice would make the kernels outlast the step.
    const outside = p.rows.find((r) => r.kernel.startsWith('outside kernels'))!;
    assert.ok(outside.msPerStep >= 0, `the kernels took longer than the step: ${outside.msPerStep} ms/step left`);
    const gates = p.rows.find((r) => r.kernel === 'lstmGatesForward');
    assert.equal(gates?.callsPerStep, c.seq, 'one fused gate call per time step');
    assert.ok(p.untimedMsPerStep > 0 && Number.isFinite(p.untimedMsPerStep));
    const products = p.rows.filter((r) => r.kernel.startsWith('gemm'));
    assert.ok(products.length > 0, `no product was timed: ${p.rows.map((r) => r.kernel).join(', ')}`);
    for (const r of products) assert.ok(r.gflops! > 0 && r.callsPerStep > 0, `${r.kernel}: ${JSON.stringify(r)}`);
    assert.ok(p.rows.some((r) => r.kernel === 'adam' || r.kernel.startsWith('adam')), `the optimizer is missing: ${p.rows.map((r) => r.kernel).join(', ')}`);
    assert.equal(k.gemm, gemmBefore, 'the kernels were left wrapped');
  });

  it('times a kernel that calls another once, under its own name, and keys products by shape', () => {
    const fake = {
      name: 'fake',
      gemm(): void { /* a product */ },
      gemmPackedB(this: { gemm(...a: unknown[]): void }, ...a: unknown[]): void { this.gemm(a[0], false, a[1], a[2], a[3]); },
      fill(): void { /* not a product */ },
    };
    const rows = new Map<string, Row>();
    const restore = instrument(fake as unknown as Kernels, rows);
    (fake as unknown as Kernels).gemmPackedB(false, 2, 3, 4, 1, new Float32Array(8), 4, null as never, 0, new Float32Array(6), 3);
    fake.fill();
    fake.fill();
    restore();
    assert.deepEqual([...rows.keys()].sort(), ['fill', 'gemmPackedB 2x3x4 N']);
    assert.equal(rows.get('gemmPackedB 2x3x4 N')!.calls, 1);
    assert.equal(rows.get('gemmPackedB 2x3x4 N')!.flops, 2 * 2 * 3 * 4);
    assert.equal(rows.get('fill')!.calls, 2);
  });
});
