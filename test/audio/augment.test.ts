import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addNoise, changeSpeed, perturbWaveform, pinkNoise, specAugment, whiteNoise } from '../../src/audio/augment.js';
import type { Features } from '../../src/audio/fbank.js';
import { PowerSpectrum } from '../../src/audio/fft.js';
import { Rng } from '../../src/tensor/rng.js';
import { assertThrowsWith } from '../helpers/assert.js';

function ramp(T: number, C: number): Features {
  const data = new Float32Array(T * C);
  for (let i = 0; i < data.length; i++) data[i] = 1 + (i % 97) / 10;
  return { data, frames: T, dim: C };
}

/** Maximal runs of true in `flags`, as [start, end). */
function runs(flags: boolean[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] && (i === 0 || !flags[i - 1])) out.push([i, i]);
    if (flags[i]) out[out.length - 1]![1] = i + 1;
  }
  return out;
}

/** Amplitude of the `freq` Hz component (single-bin DFT). */
function amplitude(x: Float32Array, freq: number, rate: number): number {
  let re = 0, im = 0;
  for (let i = 0; i < x.length; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * freq * i) / rate);
    im -= x[i]! * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / x.length;
}

function energy(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return s;
}

describe('specAugment', () => {
  test('masks whole frequency bands and time runs, narrower than their limits, and nothing else', () => {
    const x = ramp(100, 40);
    let sawFreq = 0, sawTime = 0;
    for (let seed = 0; seed < 50; seed++) {
      const y = specAugment(x, new Rng(seed), { freqMaskWidth: 10, timeMaskWidth: 20 });
      const colMasked = Array.from({ length: 40 }, (_, c) => Array.from({ length: 100 }, (_, t) => y.data[t * 40 + c] === 0).every(Boolean));
      const rowMasked = Array.from({ length: 100 }, (_, t) => y.data.subarray(t * 40, (t + 1) * 40).every((v) => v === 0));
      const colRuns = runs(colMasked), rowRuns = runs(rowMasked);
      // a mask covers [floor(s), floor(s + v)) with v < W: at most W cells; two masks at most 2W
      assert.ok(colRuns.length <= 2 && colRuns.every(([a, b]) => b - a <= 20), `seed ${seed}: bands ${JSON.stringify(colRuns)}`);
      assert.ok(rowRuns.length <= 2 && rowRuns.every(([a, b]) => b - a <= 40), `seed ${seed}: runs ${JSON.stringify(rowRuns)}`);
      sawFreq += colRuns.length;
      sawTime += rowRuns.length;
      for (let t = 0; t < 100; t++) {
        for (let c = 0; c < 40; c++) {
          const v = y.data[t * 40 + c]!;
          if (v !== x.data[t * 40 + c]) assert.ok(v === 0 && (rowMasked[t] || colMasked[c]), `seed ${seed}: stray change at [${t}, ${c}]`);
        }
      }
    }
    assert.ok(sawFreq > 40 && sawTime > 40, `masks appear (${sawFreq} bands, ${sawTime} runs over 50 seeds)`);
  });

  test('seeded: the same seed gives the same masks, another seed others; the input is untouched', () => {
    const x = ramp(60, 20);
    const before = x.data.slice();
    const a = specAugment(x, new Rng(3)), b = specAugment(x, new Rng(3)), c = specAugment(x, new Rng(4));
    assert.deepEqual(a.data, b.data);
    assert.notDeepEqual(a.data, c.data);
    assert.deepEqual(x.data, before);
  });

  test("maskValue 'mean' fills with the utterance mean; maxTimeFraction bounds time masks", () => {
    const x = ramp(50, 12);
    let mean = 0;
    for (const v of x.data) mean += v;
    mean /= x.data.length;
    const y = specAugment(x, new Rng(1), { maskValue: 'mean', freqMasks: 1, timeMasks: 0, freqMaskWidth: 6 });
    const changed = y.data.filter((v, i) => v !== x.data[i]);
    assert.ok(changed.length > 0 && changed.every((v) => Math.abs(v - mean) < 1e-5));
    for (let seed = 0; seed < 30; seed++) {
      const z = specAugment(x, new Rng(seed), { freqMasks: 0, timeMasks: 1, maxTimeFraction: 0.1 });
      const masked = Array.from({ length: 50 }, (_, t) => z.data[t * 12] === 0).filter(Boolean).length;
      assert.ok(masked <= 5, `seed ${seed}: ${masked} frames masked, limit 10% of 50`);
    }
  });
});

describe('changeSpeed', () => {
  test('1.1x: about n / 1.1 samples and a 1 kHz tone becomes 1.1 kHz; 0.9x the other way', () => {
    const rate = 16000;
    const x = new Float32Array(16000);
    for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / rate);
    const fast = changeSpeed(x, rate, 1.1);
    assert.equal(fast.length, Math.ceil((16000 * 10) / 11));
    assert.ok(Math.abs(amplitude(fast, 1100, rate) - 0.5) < 0.01, `1100 Hz amplitude ${amplitude(fast, 1100, rate)}`);
    assert.ok(amplitude(fast, 1000, rate) < 0.01);
    const slow = changeSpeed(x, rate, 0.9);
    assert.equal(slow.length, Math.ceil((16000 * 10) / 9));
    assert.ok(Math.abs(amplitude(slow, 900, rate) - 0.5) < 0.01);
    assertThrowsWith(() => changeSpeed(x, rate, 0), 'factor must be positive');
  });
});

describe('addNoise and noise sources', () => {
  test('the mixture has the requested SNR; noise is repeated or cut at a seeded offset', () => {
    const rng = new Rng(5);
    const signal = Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 7) * 0.3);
    for (const snr of [0, 10, 25]) {
      const noise = whiteNoise(20000, rng);
      const y = addNoise(signal, noise, snr, new Rng(9));
      const added = y.map((v, i) => v - signal[i]!);
      const measured = 10 * Math.log10(energy(signal) / energy(added));
      assert.ok(Math.abs(measured - snr) < 0.01, `asked ${snr} dB, got ${measured}`);
      assert.deepEqual(addNoise(signal, noise, snr, new Rng(9)), y);
      assert.notDeepEqual(addNoise(signal, noise, snr, new Rng(10)), y, 'another offset into the long noise');
    }
    const short = Float32Array.from([1, -1, 0.5]);
    const y = addNoise(signal, short, 6);
    const k = (y[0]! - signal[0]!) / short[0]!;
    for (const i of [3, 4, 5, 7999]) assert.ok(Math.abs(y[i]! - signal[i]! - k * short[i % 3]!) < 1e-6);
    assert.deepEqual(addNoise(new Float32Array(4), short, 10), new Float32Array(4), 'silence stays silence');
    assertThrowsWith(() => addNoise(signal, new Float32Array(0), 10), 'noise is empty');
  });

  test('white and pink noise: unit variance; white is flat, pink falls 3 dB per octave', () => {
    const n = 32000, rate = 16000;
    const w = whiteNoise(n, new Rng(2)), p = pinkNoise(n, new Rng(2));
    assert.ok(Math.abs(energy(w) / n - 1) < 0.05);
    assert.ok(Math.abs(energy(p) / n - 1) < 1e-3);
    // mean power per Hz over [f0, 1.5 f0) from an averaged 512-point periodogram (Welch, no
    // overlap): pink falls 3 dB per octave, white is flat
    const band = (x: Float32Array, f0: number) => {
      const spec = new PowerSpectrum(512), frame = new Float64Array(512), power = new Float64Array(257);
      const lo = Math.ceil(f0 / (rate / 512)), hi = Math.ceil((1.5 * f0) / (rate / 512));
      let s = 0, k = 0;
      for (let start = 0; start + 512 <= x.length; start += 512) {
        for (let j = 0; j < 512; j++) frame[j] = x[start + j]!;
        spec.compute(frame, power);
        for (let b = lo; b < hi; b++, k++) s += power[b]!;
      }
      return s / k;
    };
    const pinkTilt = 10 * Math.log10(band(p, 200) / band(p, 3200));
    const whiteTilt = 10 * Math.log10(band(w, 200) / band(w, 3200));
    assert.ok(Math.abs(pinkTilt - 12) < 2, `pink: 200 Hz vs 3200 Hz band ${pinkTilt.toFixed(1)} dB, expected 4 octaves x 3 dB`);
    assert.ok(Math.abs(whiteTilt) < 1.5, `white: ${whiteTilt.toFixed(1)} dB`);
  });
});

describe('perturbWaveform', () => {
  test('draws a listed speed and an SNR in range, applies them, and replays by seed', () => {
    const x = Float32Array.from({ length: 16000 }, (_, i) => 0.4 * Math.sin((2 * Math.PI * 500 * i) / 16000));
    const speeds = new Set<number>();
    for (let seed = 0; seed < 30; seed++) {
      const r = perturbWaveform(x, 16000, new Rng(seed), { speeds: [0.9, 1, 1.1], snrDb: [5, 15], noise: 'white' });
      speeds.add(r.speed);
      assert.equal(r.samples.length, r.speed === 1 ? x.length : Math.ceil((x.length * 10) / (r.speed * 10)));
      assert.ok(r.snrDb !== null && r.snrDb >= 5 && r.snrDb <= 15);
      // the clean part is the tone at 500 * speed Hz; what is left is noise at the drawn SNR
      const clean = r.speed === 1 ? x : changeSpeed(x, 16000, r.speed);
      const noise = r.samples.map((v, i) => v - clean[i]!);
      const snr = 10 * Math.log10(energy(clean) / energy(noise));
      assert.ok(Math.abs(snr - r.snrDb!) < 0.01, `seed ${seed}: drew ${r.snrDb} dB, measured ${snr}`);
      assert.deepEqual(perturbWaveform(x, 16000, new Rng(seed), { speeds: [0.9, 1, 1.1], snrDb: [5, 15], noise: 'white' }), r);
    }
    assert.deepEqual([...speeds].sort(), [0.9, 1, 1.1]);
    const clean = perturbWaveform(x, 16000, new Rng(1), { speeds: [1], snrDb: null });
    assert.deepEqual(clean, { samples: x, speed: 1, snrDb: null });
    assertThrowsWith(() => perturbWaveform(x, 16000, new Rng(1), { speeds: [] }), 'speeds is empty');
  });
});
