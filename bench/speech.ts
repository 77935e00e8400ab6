/**
 * Transcription speed of a speech run's shape: how many times faster than real time recur turns
 * audio into text for a 3×256 BiLSTM (fbank 40, two stride-2 convolutions, 29 CTC units), one
 * utterance at a time on one core (issue target: at least 50×). Stages timed separately:
 * feature extraction, the model's forward pass, greedy decoding, and prefix beam search (beam 8,
 * digit-word constraint). Random weights and a synthetic 4 s signal: speed does not depend on
 * what the model learned.
 * Run: RECUR_THREADS=1 npx tsx bench/speech.ts [--seconds S] [--hidden H] [--layers L]
 */
import { noGrad } from '../src/autograd/grad-mode.js';
import { extractFeatures, type FeatureConfig } from '../src/audio/features.js';
import { backendName } from '../src/kernels/index.js';
import { makeFeatureBatch } from '../src/tasks/speech/data.js';
import { decodeCtcBatch } from '../src/tasks/speech/decode.js';
import { SpeechRecognizer } from '../src/tasks/speech/model.js';
import { DEFAULT_UNITS, UnitSet } from '../src/tasks/speech/units.js';
import { readVocab, wordConstraint } from '../src/tasks/speech/vocab.js';
import { manualSeed, Rng } from '../src/tensor/rng.js';
import { footer, header, pad, time, type Timing } from './common.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const seconds = arg('seconds', 4), hidden = arg('hidden', 256), layers = arg('layers', 3);

header('Speech transcription speed, one utterance at a time', {
  backend: backendName(), model: `conv 2x128 -> ${layers}x${hidden} BiLSTM -> 29 units`, audio: `${seconds} s synthetic, 16 kHz`, runs: '7 per figure',
});
manualSeed(0);
const units = UnitSet.fromChars(DEFAULT_UNITS);
const features: FeatureConfig = { kind: 'fbank', numMelBins: 40, cmvn: true };
const model = new SpeechRecognizer({
  inputSize: 40, convLayers: 2, convChannels: 128, cell: 'lstm', hiddenSize: hidden, numLayers: layers, bidirectional: true,
  dropout: 0, head: 'ctc', numOutputs: units.size, pooling: 'mean',
});
model.eval();
const rng = new Rng(1);
// A few harmonics with a moving pitch plus noise: a speech-like spectrum, not silence.
const samples = Float32Array.from({ length: seconds * 16000 }, (_, i) => {
  const f0 = 120 + 40 * Math.sin(i / 8000);
  let v = 0;
  for (let h = 1; h <= 5; h++) v += Math.sin((2 * Math.PI * f0 * h * i) / 16000) / h;
  return 0.2 * v + 0.01 * rng.normal();
});
const f = extractFeatures(samples, features);
const utt = [{ id: 'bench', transcript: '', features: f.data, frames: f.frames }];
const forward = (): ReturnType<SpeechRecognizer['forwardCtc']> => noGrad(() => model.forwardCtc(makeFeatureBatch(utt, [0], 40)));
const out = forward();
const digits = wordConstraint(readVocab('digits'), units);

const rows: Array<[string, Timing]> = [
  ['features (fbank 40 + CMVN)', time(() => { extractFeatures(samples, features); }, 7, 200)],
  ['model forward', time(() => { forward(); }, 7, 200)],
  ['greedy decoding', time(() => { decodeCtcBatch(out.logProbs, out.lengths, units, { beam: 1 }); }, 7, 200)],
  ['prefix beam 8, digit words', time(() => { decodeCtcBatch(out.logProbs, out.lengths, units, { beam: 8, constraint: digits }); }, 7, 200)],
];
for (const [name, t] of rows) {
  console.log(`${pad(name, 30)} ${(t.median * 1000).toFixed(2).padStart(9)} ms [${(t.min * 1000).toFixed(2)}-${(t.max * 1000).toFixed(2)}]${t.contended ? ' *' : ''}`);
}
const total = rows[0]![1].median + rows[1]![1].median + rows[2]![1].median;
console.log(`end to end (features + forward + greedy): ${(seconds / total).toFixed(1)}x faster than real time`);
footer();
