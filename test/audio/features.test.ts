import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeDeltas, withDeltas } from '../../src/audio/deltas.js';
import { fbank, type FbankOptions, type Features } from '../../src/audio/fbank.js';
import { extractFeatures, featureDim } from '../../src/audio/features.js';
import { mfcc, type MfccOptions } from '../../src/audio/mfcc.js';
import { cmvn } from '../../src/audio/normalize.js';
import { assertClose, assertThrowsWith } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';

const f = loadFixture('audio/features');

interface Case {
  input: string;
  scale: number;
  kind: 'fbank' | 'mfcc';
  kwargs: Record<string, number | string | boolean>;
  f32: boolean;
}

/** torchaudio's snake_case keyword arguments -> recur's camelCase options. */
function options(kwargs: Record<string, number | string | boolean>): FbankOptions & MfccOptions {
  return Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), v]));
}

function input(c: Case): Float32Array {
  return Float32Array.from(f.get(c.input).data, (v) => v * c.scale);
}

function asFeatures(name: string): Features {
  const t = f.get(name);
  return { data: t.data, frames: t.shape[0]!, dim: t.shape[1]! };
}

describe('fbank / MFCC vs torchaudio.compliance.kaldi (real recordings and eSpeak NG)', () => {
  const cases = f.config.cases as Record<string, Case>;
  test('fixtures cover 8 kHz and 16 kHz real recordings, eSpeak NG, 40 and 80 mel bins, 13 cepstra', () => {
    const names = Object.keys(cases);
    for (const n of ['asterisk7_8k.fbank23', 'asterisk3_16k.fbank40', 'asterisk3_16k.fbank80', 'asterisk3_16k.mfcc40', 'espeak_16k.fbank80', 'espeak_22k.mfcc40']) {
      assert.ok(names.includes(n), n);
    }
  });
  for (const [name, c] of Object.entries(cases)) {
    test(`${name} (${JSON.stringify(c.kwargs)})`, () => {
      const x = input(c);
      const got = c.kind === 'fbank' ? fbank(x, options(c.kwargs)) : mfcc(x, options(c.kwargs));
      const want = f.get(name);
      assert.deepEqual([got.frames, got.dim], want.shape);
      // torchaudio in float64 (same float32 mel banks and DCT): the algorithm itself
      assertClose(got.data, want, { atol: 1e-4, rtol: 0, what: `${name} vs float64 torchaudio` });
      // torchaudio's own float32 output: its rounding is part of the difference
      if (c.f32) assertClose(got.data, f.get(`${name}.f32`), { atol: 1e-3, rtol: 0, what: `${name} vs float32 torchaudio` });
      const spread = Math.max(...want.data) - Math.min(...want.data);
      assert.ok(spread > 5, `${name}: the golden varies (spread ${spread})`);
    });
  }

  test('too short for one frame gives 0 frames; bad options are one-line errors', () => {
    assert.equal(fbank(new Float32Array(399)).frames, 0);
    assert.equal(fbank(new Float32Array(400)).frames, 1);
    assertThrowsWith(() => fbank(new Float32Array(1000), { numMelBins: 3 }), 'numMelBins', '3');
    assertThrowsWith(() => fbank(new Float32Array(1000), { lowFreq: 9000 }), 'lowFreq 9000', 'Nyquist 8000');
    assertThrowsWith(() => fbank(new Float32Array(1000), { dither: 1 }), 'dither needs an rng');
    assertThrowsWith(() => mfcc(new Float32Array(1000), { numCeps: 30 }), 'numCeps', '30');
  });
});

describe('deltas vs torchaudio.functional.compute_deltas', () => {
  const x = asFeatures('deltas.input');
  for (const win of [5, 3, 9]) {
    test(`winLength ${win}: deltas and delta-deltas`, () => {
      const d1 = computeDeltas(x, win);
      assertClose(d1.data, f.get(`deltas.win${win}`), { atol: 1e-5, rtol: 1e-5, what: `win ${win}` });
      const d2 = computeDeltas(d1, win);
      assertClose(d2.data, f.get(`deltas.win${win}.order2`), { atol: 1e-5, rtol: 1e-5, what: `win ${win} order 2` });
    });
  }
  test('withDeltas lays out [x, d, dd] per frame', () => {
    const all = withDeltas(x, 2, 5);
    const C = x.dim;
    assert.equal(all.dim, 3 * C);
    const d1 = f.get('deltas.win5').data, d2 = f.get('deltas.win5.order2').data;
    for (const t of [0, 7, x.frames - 1]) {
      assertClose(all.data.subarray(t * 3 * C, t * 3 * C + C), x.data.subarray(t * C, (t + 1) * C), { atol: 0, rtol: 0 });
      assertClose(all.data.subarray(t * 3 * C + C, t * 3 * C + 2 * C), d1.subarray(t * C, (t + 1) * C), { atol: 1e-5 });
      assertClose(all.data.subarray(t * 3 * C + 2 * C, (t + 1) * 3 * C), d2.subarray(t * C, (t + 1) * C), { atol: 1e-5 });
    }
    assertThrowsWith(() => computeDeltas(x, 2), 'winLength', '>= 3');
  });
});

describe('CMVN and the front-end pipeline', () => {
  test('cmvn gives every column mean 0 and variance 1; variance: false only centres', () => {
    const x = asFeatures('asterisk3_16k.fbank40');
    const y = cmvn(x);
    const z = cmvn(x, { variance: false });
    for (let c = 0; c < x.dim; c++) {
      let m = 0, v = 0, mz = 0;
      for (let t = 0; t < x.frames; t++) { m += y.data[t * x.dim + c]!; mz += z.data[t * x.dim + c]!; }
      m /= x.frames; mz /= x.frames;
      for (let t = 0; t < x.frames; t++) v += (y.data[t * x.dim + c]! - m) ** 2;
      v /= x.frames;
      assert.ok(Math.abs(m) < 1e-5 && Math.abs(mz) < 1e-4, `column ${c} mean ${m} / ${mz}`);
      assert.ok(Math.abs(v - 1) < 1e-4, `column ${c} variance ${v}`);
      // centring keeps the differences between frames
      assert.ok(Math.abs((z.data[x.dim + c]! - z.data[c]!) - (x.data[x.dim + c]! - x.data[c]!)) < 1e-4);
    }
    // a constant column stays finite (variance floor)
    const constant = cmvn({ data: new Float32Array(12).fill(3), frames: 4, dim: 3 });
    assert.ok(constant.data.every((v) => v === 0));
  });

  test('extractFeatures = fbank on int16-scaled samples, then deltas and cmvn', () => {
    const c = (f.config.cases as Record<string, Case>)['asterisk3_16k.fbank80']!;
    const unit = f.get(c.input).data;
    const raw = extractFeatures(unit, { kind: 'fbank', numMelBins: 80, cmvn: false });
    assertClose(raw.data, f.get('asterisk3_16k.fbank80'), { atol: 1e-4, rtol: 0 });
    const full = extractFeatures(unit, { kind: 'mfcc', deltas: 2 });
    assert.equal(full.dim, featureDim({ kind: 'mfcc', deltas: 2 }));
    assert.equal(full.dim, 39);
    assert.equal(featureDim({ kind: 'fbank' }), 80);
    assertClose(full.data, cmvn(withDeltas(mfcc(input(c), { numMelBins: 40 }), 2)).data, { atol: 1e-6 });
  });
});
