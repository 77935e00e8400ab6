import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resample } from '../../src/audio/resample.js';
import { assertClose, assertThrowsWith } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';

function tone(freq: number, rate: number, seconds: number): Float32Array {
  const x = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

/** RMS over the middle half (away from the filter's edge effects). */
function rms(x: Float32Array): number {
  const a = Math.floor(x.length / 4), b = Math.floor((3 * x.length) / 4);
  let s = 0;
  for (let i = a; i < b; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (b - a));
}

describe('resample', () => {
  test('44.1 kHz -> 16 kHz: a 7 kHz tone keeps its amplitude within 0.1 dB', () => {
    const x = tone(7000, 44100, 0.5);
    const y = resample(x, 44100, 16000);
    assert.equal(y.length, 8000);
    const db = 20 * Math.log10(rms(y) / rms(x));
    assert.ok(Math.abs(db) <= 0.1, `7 kHz changed by ${db.toFixed(4)} dB`);
  });

  test('44.1 kHz -> 16 kHz: a 9 kHz tone is attenuated by at least 60 dB', () => {
    const x = tone(9000, 44100, 0.5);
    const y = resample(x, 44100, 16000);
    const db = 20 * Math.log10(rms(y) / rms(x));
    assert.ok(db <= -60, `9 kHz attenuated by only ${(-db).toFixed(1)} dB`);
  });

  test('equals torchaudio.functional.resample (kaiser_best settings and torchaudio defaults)', () => {
    const f = loadFixture('audio/resample');
    const x = f.get('x').data;
    for (const [a, b] of f.config.cases as Array<[number, number]>) {
      const want = f.get(`kaiser.${a}.${b}`);
      const got = resample(x, a, b);
      assert.equal(got.length, want.data.length, `${a} -> ${b} length`);
      assertClose(got, want, { atol: 2e-5, rtol: 0, what: `${a} -> ${b}` });
    }
    const hann = resample(x, 44100, 16000, { lowpassFilterWidth: 6, rolloff: 0.99, window: 'hann' });
    assertClose(hann, f.get('hann.44100.16000'), { atol: 2e-5, rtol: 0, what: 'hann 44100 -> 16000' });
  });

  test('rates with a large reduced ratio (44056 -> 16000: 5507 -> 2000) keep a 3 kHz tone and its frequency', () => {
    for (const from of [44056, 11025, 48000]) {
      const x = tone(3000, from, 0.25);
      const y = resample(x, from, 16000);
      assert.equal(y.length, Math.ceil((16000 * x.length) / from));
      const db = 20 * Math.log10(rms(y) / rms(x));
      assert.ok(Math.abs(db) <= 0.1, `${from}: 3 kHz changed by ${db.toFixed(4)} dB`);
      const want = tone(3000, 16000, 0.25);
      let err = 0;
      for (let i = 1000; i < 3000; i++) err = Math.max(err, Math.abs(y[i]! - want[i]!));
      assert.ok(err < 1e-3, `${from}: off the ideal 16 kHz tone by ${err}`);
    }
  });

  test('same rate is a copy; bad rates are errors', () => {
    const x = Float32Array.from([1, 2, 3]);
    const y = resample(x, 16000, 16000);
    assert.deepEqual(y, x);
    assert.notEqual(y, x);
    assertThrowsWith(() => resample(x, 44100.5, 16000), 'positive integers', '44100.5');
    assertThrowsWith(() => resample(x, 0, 16000), 'positive integers');
  });
});
