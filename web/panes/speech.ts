/**
 * The Speech pane: a WAV file or a microphone recording in, the run's transcript and the
 * audio's log-mel spectrogram out. Recording collects PCM in an AudioWorklet at the device's
 * rate; src/tasks/speech/browser.ts resamples it to the run's rate.
 */
import { audio, speech } from '../../src/index.js';
import { $, setStatus } from '../dom.js';
import { download, errorLine, numberInput, ramp, runPicker, showStatus, type RunListing } from './media-common.js';

type SpeechRun = ReturnType<typeof speech.fromCheckpoint>;

/** Posts each block of input (channels averaged) to the page. */
const COLLECTOR = `registerProcessor('recur-collect', class extends AudioWorkletProcessor {
  process(inputs) {
    const chans = inputs[0];
    if (chans && chans.length) {
      const out = new Float32Array(chans[0].length);
      for (const c of chans) for (let i = 0; i < out.length; i++) out[i] += c[i] / chans.length;
      this.port.postMessage(out, [out.buffer]);
    }
    return true;
  }
});`;

/** Recordings stop by themselves after this long. */
const MAX_RECORD_SECONDS = 30;

interface Recording {
  stop(): Promise<{ samples: Float32Array; sampleRate: number }>;
}

async function startRecording(onLevel: (seconds: number) => void): Promise<Recording> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this page cannot use a microphone (it needs https or localhost)');
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const ctx = new AudioContext();
  try {
    const url = URL.createObjectURL(new Blob([COLLECTOR], { type: 'text/javascript' }));
    await ctx.audioWorklet.addModule(url);
    URL.revokeObjectURL(url);
  } catch (e) {
    for (const t of stream.getTracks()) t.stop();
    await ctx.close();
    throw e;
  }
  const source = ctx.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(ctx, 'recur-collect', { numberOfInputs: 1, numberOfOutputs: 0 });
  const chunks: Float32Array[] = [];
  let length = 0;
  node.port.onmessage = (e: MessageEvent<Float32Array>) => {
    chunks.push(e.data);
    length += e.data.length;
    onLevel(length / ctx.sampleRate);
  };
  source.connect(node);
  return {
    async stop() {
      source.disconnect();
      node.port.onmessage = null;
      for (const t of stream.getTracks()) t.stop();
      const sampleRate = ctx.sampleRate;
      await ctx.close();
      const samples = new Float32Array(length);
      let o = 0;
      for (const c of chunks) { samples.set(c, o); o += c.length; }
      return { samples, sampleRate };
    },
  };
}

/** Draws log-mel frames [frames, bins] on the canvas, one pixel per frame and band, low bands at the bottom. */
function drawSpectrogram(canvas: HTMLCanvasElement, spec: { data: Float32Array; frames: number; dim: number }): void {
  const { data, frames, dim } = spec;
  canvas.width = Math.max(1, frames);
  canvas.height = dim;
  let hi = -Infinity;
  for (const v of data) hi = Math.max(hi, v);
  // 14 nats of log power (about 60 dB) below the loudest cell: quieter cells are drawn as silence.
  const lo = hi - 14;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(canvas.width, dim);
  for (let t = 0; t < frames; t++) {
    for (let b = 0; b < dim; b++) {
      const [r, g, bl] = ramp((data[t * dim + b]! - lo) / (hi - lo));
      const p = ((dim - 1 - b) * canvas.width + t) * 4;
      img.data[p] = r;
      img.data[p + 1] = g;
      img.data[p + 2] = bl;
      img.data[p + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  canvas.dataset.frames = String(frames);
  canvas.dataset.bins = String(dim);
}

export function setupSpeechPane(runs: readonly RunListing[]): void {
  const picker = runPicker<SpeechRun>('speech-run', runs, 'speech', 'speech recognition', (bytes, name) => speech.fromCheckpoint(bytes, name));
  const file = $('speech-file') as HTMLInputElement, again = $('speech-go') as HTMLButtonElement;
  const record = $('speech-record') as HTMLButtonElement, stop = $('speech-stop') as HTMLButtonElement;
  const save = $('speech-save') as HTMLButtonElement;
  const out = $('speech-text'), canvas = $('speech-spec') as HTMLCanvasElement;
  const status = (t: string): void => setStatus('speech-status', t);
  let last: { samples: Float32Array; sampleRate: number; what: string } | null = null;
  let recording: Recording | null = null;
  let recordedWav: Uint8Array | null = null;
  let busy = false;

  const setBusy = (b: boolean): void => {
    busy = b;
    again.disabled = b || !last;
    record.disabled = b;
    file.disabled = b;
  };

  const transcribeLast = async (): Promise<void> => {
    if (!last) return;
    const r = picker.selected();
    if (!r) return status('no speech recognition run to transcribe with: recur serve RUN_DIR');
    setBusy(true);
    try {
      const run = await picker.load(r, status);
      drawSpectrogram(canvas, speech.spectrogram(last.samples, last.sampleRate));
      const beam = numberInput('speech-beam', 'beam', 1, 64);
      await showStatus('speech-status', `transcribing ${last.what} (${(last.samples.length / last.sampleRate).toFixed(1)} s)…`);
      const t0 = performance.now();
      const { text } = await speech.transcribe(run, last.samples, last.sampleRate, { beam, source: last.what });
      out.textContent = text;
      out.dataset.count = String(Number(out.dataset.count ?? 0) + 1);
      status(`${last.what}: ${(last.samples.length / last.sampleRate).toFixed(2)} s transcribed in ${Math.round(performance.now() - t0)} ms${text ? '' : ' (nothing recognised)'}`);
    } catch (e) {
      status(errorLine(e));
    } finally {
      setBusy(false);
    }
  };

  file.addEventListener('change', () => void (async () => {
    const f = file.files?.[0];
    if (!f || busy) return;
    try {
      const bytes = new Uint8Array(await f.arrayBuffer());
      const a = audio.decodeWav(bytes, f.name);
      last = { samples: a.samples, sampleRate: a.sampleRate, what: f.name };
    } catch (e) {
      return status(errorLine(e));
    }
    await transcribeLast();
  })());
  again.addEventListener('click', () => void transcribeLast());

  record.addEventListener('click', () => void (async () => {
    if (busy) return;
    setBusy(true);
    try {
      status('asking for the microphone…');
      recording = await startRecording((s) => {
        status(`recording: ${s.toFixed(1)} s (Stop to transcribe)`);
        if (s >= MAX_RECORD_SECONDS) stop.click();
      });
      stop.disabled = false;
      stop.focus();
    } catch (e) {
      status(errorLine(e));
      setBusy(false);
    }
  })());
  stop.addEventListener('click', () => void (async () => {
    const rec = recording;
    if (!rec) return;
    recording = null;
    stop.disabled = true;
    const { samples, sampleRate } = await rec.stop();
    setBusy(false);
    if (samples.length === 0) return status('error: the microphone gave no audio');
    // What is transcribed is exactly the 16-bit WAV "Download recording" saves, so the file
    // gives the same transcript anywhere (recur transcribe included).
    recordedWav = audio.encodeWav16(samples, sampleRate);
    save.disabled = false;
    last = { samples: audio.decodeWav(recordedWav).samples, sampleRate, what: 'the recording' };
    await transcribeLast();
  })());
  save.addEventListener('click', () => {
    if (recordedWav) download(recordedWav, 'recording.wav', 'audio/wav');
  });
}
