import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeWav, encodeWav16, WavError } from '../../src/audio/wav.js';
import { readWavFile } from '../../src/audio/node.js';
import { RecurError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/rng.js';
import { assertClose } from '../helpers/assert.js';
import { FIXTURES_DIR, loadFixture } from '../helpers/fixtures.js';

const WAV = join(FIXTURES_DIR, 'audio', 'wav');
const expected = loadFixture('audio/wav-expected');

describe('WAV reader vs torchaudio.load (fixtures from scripts/fixtures/gen_audio.py)', () => {
  const files = expected.config.files as Record<string, { sample_rate: number; channels: number; encoding: string }>;
  test('covers every encoding the reader supports', () => {
    const encodings = new Set(Object.values(files).map((f) => f.encoding));
    for (const e of ['pcm8', 'pcm16', 'pcm24', 'pcm32', 'float32', 'float64', 'mulaw', 'alaw']) assert.ok(encodings.has(e), e);
    assert.ok(Object.values(files).some((f) => f.channels === 2) && Object.values(files).some((f) => f.channels === 3));
  });
  for (const [name, info] of Object.entries(files)) {
    test(`${name}: ${info.encoding}, ${info.channels} ch, ${info.sample_rate} Hz`, () => {
      const a = readWavFile(join(WAV, name));
      assert.equal(a.encoding, info.encoding);
      assert.equal(a.channels, info.channels);
      assert.equal(a.sampleRate, info.sample_rate);
      const want = expected.get(name);
      assert.equal(a.samples.length, want.data.length);
      // the mean over channels is rounded differently (float32 in torch); values are exact otherwise
      assertClose(a.samples, want, { atol: 1e-7, rtol: 1e-6, what: name });
      assert.ok(Math.max(...want.data.map(Math.abs)) > 0.1, 'the fixture holds a real signal');
    });
  }
});

describe('WAV reader on malformed and unsupported files', () => {
  const bad = expected.config.malformed as Record<string, string>;
  for (const [name, what] of Object.entries(bad)) {
    test(`${name}: one line naming the file and "${what}"`, () => {
      const path = join(WAV, name);
      assert.throws(() => readWavFile(path), (e: unknown) => {
        assert.ok(e instanceof WavError && e instanceof RecurError, `got ${String(e)}`);
        assert.ok(e.message.startsWith(`${path}: `), e.message);
        assert.ok(e.message.includes(what), e.message);
        assert.ok(!e.message.includes('\n'), e.message);
        return true;
      });
    });
  }
  test('mutated headers and cut files end in a WavError or in audio, never another exception', () => {
    const rng = new Rng(16);
    let errors = 0, decoded = 0;
    for (const name of ['pcm16.wav', 'pcm24-stereo.wav', 'float32-ext-3ch.wav', 'mulaw.wav', 'pcm8.wav']) {
      const orig = readFileSync(join(WAV, name));
      for (let i = 0; i < 400; i++) {
        const b = Uint8Array.from(orig);
        for (let k = 1 + rng.int(4); k > 0; k--) b[rng.int(80)] = rng.int(256);
        const bytes = rng.random() < 0.2 ? b.subarray(0, rng.int(b.length)) : b;
        try {
          const a = decodeWav(bytes, name);
          assert.ok(a.samples.every(Number.isFinite) || a.encoding.startsWith('float'), `${name} #${i}: non-finite integer samples`);
          decoded++;
        } catch (e) {
          if (!(e instanceof WavError)) throw new Error(`${name} #${i}: ${String(e)}`);
          assert.ok(e.message.startsWith(`${name}: `) && !e.message.includes('\n'), e.message);
          errors++;
        }
      }
    }
    assert.ok(errors > 300 && decoded > 300, `${errors} errors, ${decoded} decoded`);
  });

  test('a missing file names the file', () => {
    assert.throws(() => readWavFile(join(WAV, 'nope.wav')), /nope\.wav/);
  });
});

describe('encodeWav16', () => {
  test('round trip through the reader is exact on the 16-bit grid, and clips', () => {
    const x = Float32Array.from([0, 0.5, -0.5, 1 / 32768, -1, 0.999969482421875, 1.5, -2]);
    const a = decodeWav(encodeWav16(x, 22050));
    assert.equal(a.sampleRate, 22050);
    assert.equal(a.encoding, 'pcm16');
    assert.deepEqual(Array.from(a.samples), [0, 0.5, -0.5, 1 / 32768, -1, 0.999969482421875, 0.999969482421875, -1]);
  });
  test('the written bytes are what torchaudio reads for pcm16.wav', () => {
    const a = decodeWav(readFileSync(join(WAV, 'pcm16.wav')));
    const again = decodeWav(encodeWav16(a.samples, a.sampleRate));
    assert.deepEqual(again.samples, a.samples);
  });
});
