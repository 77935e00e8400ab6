/**
 * Speech front end speed: seconds of audio processed per second of compute on one core
 * (x real time; the issue asks for at least 200x for feature extraction), median [min-max].
 * Input: the asterisk digit recordings (Debian asterisk-core-sounds-en-wav) resampled to 16 kHz
 * and concatenated, else 10 s of synthetic tones and noise.
 * Run: npx tsx bench/features.ts [--seconds S]
 */
import { existsSync } from 'node:fs';
import { changeSpeed, specAugment } from '../src/audio/augment.js';
import { withDeltas } from '../src/audio/deltas.js';
import { fbank } from '../src/audio/fbank.js';
import { extractFeatures } from '../src/audio/features.js';
import { mfcc } from '../src/audio/mfcc.js';
import { readAudioFile } from '../src/audio/node.js';
import { cmvn } from '../src/audio/normalize.js';
import { resample } from '../src/audio/resample.js';
import { findAsteriskVoice } from '../src/data/asterisk-digits.js';
import { Rng } from '../src/tensor/rng.js';
import { footer, header, pad, time } from './common.js';

const argSeconds = process.argv.indexOf('--seconds');
const seconds = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 10;

function input(): { samples: Float32Array; source: string } {
  const n = Math.round(seconds * 16000);
  const out = new Float32Array(n);
  const voice = findAsteriskVoice('en');
  if (voice) {
    const clips: Float32Array[] = [];
    for (let d = 0; d <= 9; d++) if (existsSync(`${voice}/digits/${d}.wav`)) clips.push(readAudioFile(`${voice}/digits/${d}.wav`));
    for (let i = 0, k = 0; i < n; k++) {
      const c = clips[k % clips.length]!;
      out.set(c.subarray(0, Math.min(c.length, n - i)), i);
      i += c.length;
    }
    return { samples: out, source: `asterisk digits 0-9 repeated, ${seconds} s at 16 kHz` };
  }
  const rng = new Rng(1);
  for (let i = 0; i < n; i++) out[i] = 0.3 * Math.sin(i * 0.13) + 0.2 * Math.sin(i * 0.031) + 0.05 * rng.normal();
  return { samples: out, source: `synthetic tones + noise, ${seconds} s at 16 kHz` };
}

const { samples, source } = input();
const int16 = samples.map((v) => v * 32768);
const at44k = resample(samples, 16000, 44100);
const at22k = resample(samples, 16000, 22050);
const fb80 = fbank(int16, { numMelBins: 80 });
header('Speech front end, x real time on one core', { input: source });

const cases: Array<[string, () => void]> = [
  ['fbank 80 bins', () => { fbank(int16, { numMelBins: 80 }); }],
  ['fbank 40 bins', () => { fbank(int16, { numMelBins: 40 }); }],
  ['mfcc 40 bins, 13 ceps', () => { mfcc(int16, { numMelBins: 40, numCeps: 13 }); }],
  ['deltas + delta-deltas of fbank 80', () => { withDeltas(fb80, 2); }],
  ['cmvn of fbank 80', () => { cmvn(fb80); }],
  ['extractFeatures fbank 80 + cmvn', () => { extractFeatures(samples, { kind: 'fbank' }); }],
  ['extractFeatures mfcc + deltas + cmvn', () => { extractFeatures(samples, { kind: 'mfcc', deltas: 2 }); }],
  ['resample 44.1 kHz -> 16 kHz', () => { resample(at44k, 44100, 16000); }],
  ['resample 22.05 kHz -> 16 kHz', () => { resample(at22k, 22050, 16000); }],
  ['resample 8 kHz -> 16 kHz', () => { resample(samples.subarray(0, samples.length >> 1), 8000, 16000); }],
  ['speed perturbation 1.1x', () => { changeSpeed(samples, 16000, 1.1); }],
  ['specAugment of fbank 80', () => { specAugment(fb80, new Rng(3)); }],
];
for (const [name, fn] of cases) {
  const t = time(fn, 5, 200);
  // every case covers the whole input, except 8k -> 16k, which covers half as many seconds at half the rate
  const audio = seconds;
  const x = (s: number): string => (audio / s).toFixed(0);
  console.log(`${pad(name, 40)} ${pad(`${x(t.median)}x`, 8)} [${x(t.max)}-${x(t.min)}]${t.contended ? ' *' : ''}`);
}
footer();
