import { noGrad } from '../../autograd/grad-mode.js';
import { extractFeatures } from '../../audio/features.js';
import { asteriskEntries } from '../../data/asterisk-digits.js';
import { buildEspeakDigits } from '../../data/espeak-digits.js';
import { loadEntries, readManifest, type ManifestEntry } from '../../data/speech-set.js';
import { RecurError } from '../../errors.js';
import { checkpointPath, hasCheckpoint } from '../../train/checkpoint.js';
import { readSafetensorsFile } from '../../io/files.js';
import { DEFAULT_SAMPLE_RATE, maxMelBins } from './check.js';
import { makeFeatureBatch } from './data.js';
import { bestPath } from './decode.js';
import { loadSpeechRun, type SpeechRun } from './run.js';

/** The first utterance of a run's validation data (its manifest's first line). */
async function firstEntry(run: SpeechRun): Promise<ManifestEntry> {
  const d = run.config.data;
  let entries: ManifestEntry[];
  if (d.valid) entries = readManifest(d.valid);
  else if (d.source === 'espeak-digits') entries = readManifest(await buildEspeakDigits({ split: 'valid', seed: d.seed }));
  else if (d.source === 'asterisk-digits') entries = asteriskEntries();
  else entries = readManifest(d.source);
  if (entries.length === 0) throw new RecurError(`${d.valid ?? d.source}: no utterances`);
  return entries[0]!;
}

const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The report section of a speech run (CTC head): the log-mel spectrogram of one validation
 * utterance with the CTC best-path alignment under it (each non-blank output frame labelled
 * with its unit, at the input frames it covers), and the greedy transcript against the
 * reference. Other runs get ''.
 */
export async function speechReportSection(dir: string): Promise<string> {
  const name = hasCheckpoint(dir, 'best') ? 'best' : 'last';
  if (!hasCheckpoint(dir, name)) return '';
  const config = readSafetensorsFile(checkpointPath(dir, name)).metadata.config;
  if (!config || (JSON.parse(config) as { task?: string }).task !== 'speech') return '';
  const run = loadSpeechRun(dir);
  if (run.targets.kind !== 'ctc') return '';
  const units = run.targets.units;
  const entry = await firstEntry(run);
  const sampleRate = run.config.features.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const set = loadEntries([entry], 'report', { sampleRate, onWarning: () => {} });
  if (set.utterances.length === 0) return `<h2>CTC alignment</h2><p>${esc(entry.path)} could not be read: ${esc(set.skipped[0]?.reason ?? '')}</p>`;
  // The spectrogram shown is a log-mel filterbank (80 bins, or fewer at low rates) without normalisation, whatever the model's features.
  const shown = extractFeatures(set.utterances[0]!.audio, { kind: 'fbank', sampleRate, numMelBins: Math.min(80, maxMelBins(sampleRate)), cmvn: false });
  const f = extractFeatures(set.utterances[0]!.audio, run.config.features);
  const utt = { id: entry.path, transcript: entry.transcript, features: f.data, frames: f.frames };
  const { path, L } = noGrad(() => {
    const { logProbs, lengths } = run.model.forwardCtc(makeFeatureBatch([utt], [0], run.model.config.inputSize));
    return { path: bestPath(logProbs, 0, lengths[0]!), L: lengths[0]! };
  });
  const hyp: number[] = [];
  path.forEach((u, t) => { if (u !== 0 && u !== path[t - 1]) hyp.push(u); });
  const step = f.frames / Math.max(L, 1);
  const marks = path.map((u, t) => (u !== 0 && u !== path[t - 1] ? { frame: Math.round(t * step), unit: units.units[u]! } : null)).filter((m) => m !== null);
  let lo = Infinity, hi = -Infinity;
  for (const v of shown.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const pixels = Array.from(shown.data, (v) => Math.round((255 * (v - lo)) / Math.max(hi - lo, 1e-6)));
  const data = JSON.stringify({ T: shown.frames, D: shown.dim, pixels, marks })
    .replace(/</g, '\\u003c');
  return `<h2>CTC alignment</h2>
<p>${esc(entry.path)}<br>reference: <b>${esc(units.normalize(entry.transcript))}</b><br>greedy: <b>${esc(units.decode(hyp))}</b></p>
<canvas id="spec" style="width:100%;image-rendering:pixelated"></canvas>
<p>Log-mel spectrogram (80 bins, 10 ms frames, low frequencies at the bottom); below it, each unit the best CTC path emits, at the frame where it starts (output frames are ${step.toFixed(1)} input frames).</p>
<script>
(() => {
  const d = ${data};
  const c = document.getElementById('spec'), band = 24, H = d.D * 3;
  c.width = d.T; c.height = H + band;
  const x = c.getContext('2d'), img = x.createImageData(d.T, H);
  for (let t = 0; t < d.T; t++) for (let y = 0; y < H; y++) {
    const v = d.pixels[t * d.D + (d.D - 1 - Math.floor(y / 3))], i = (y * d.T + t) * 4;
    img.data[i] = v; img.data[i + 1] = Math.round(v * 0.6); img.data[i + 2] = 255 - v; img.data[i + 3] = 255;
  }
  x.putImageData(img, 0, 0);
  x.fillStyle = '#fff'; x.fillRect(0, H, d.T, band);
  x.font = '14px monospace'; x.fillStyle = '#000'; x.strokeStyle = '#d62728';
  for (const m of d.marks) {
    x.beginPath(); x.moveTo(m.frame + 0.5, 0); x.lineTo(m.frame + 0.5, H); x.stroke();
    x.fillText(m.unit === ' ' ? '\\u2423' : m.unit, m.frame + 1, H + 17);
  }
})();
</script>
`;
}
