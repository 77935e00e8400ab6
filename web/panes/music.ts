/**
 * The Music pane: compose with a music run (from silence or a primer .mid), see the piano roll,
 * hear it through a small WebAudio synthesiser, download the .mid. Composing runs in slices
 * (src/tasks/music/browser.ts), so the page keeps answering and Stop works mid-way.
 */
import { composer } from '../../src/index.js';
import { $, setStatus } from '../dom.js';
import { download, errorLine, numberInput, ramp, runPicker, showStatus, type RunListing } from './media-common.js';

type MusicRun = ReturnType<typeof composer.fromCheckpoint>;
type Composed = Awaited<ReturnType<typeof composer.compose>>;

const PX_PER_SECOND = 60;
const ROW_PX = 4;

/** Draws the notes (time across, pitch up), the primer grey, new notes coloured by velocity, and the playhead. */
function drawRoll(canvas: HTMLCanvasElement, c: Composed, playhead: number | null): void {
  let lo = 127, hi = 0;
  for (const n of c.notes) { lo = Math.min(lo, n.pitch); hi = Math.max(hi, n.pitch); }
  if (lo > hi) { lo = 60; hi = 72; }
  lo = Math.max(0, lo - 2);
  hi = Math.min(127, hi + 2);
  const width = Math.max(200, Math.ceil(c.seconds * PX_PER_SECOND) + 10), height = (hi - lo + 1) * ROW_PX;
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#10141c';
  g.fillRect(0, 0, width, height);
  // A lighter row under every C, so octaves can be counted.
  g.fillStyle = '#1c2230';
  for (let p = lo; p <= hi; p++) if (p % 12 === 0) g.fillRect(0, (hi - p) * ROW_PX, width, ROW_PX);
  for (const n of c.notes) {
    if (n.primer) g.fillStyle = '#8a93a6';
    else {
      const [r, gr, b] = ramp(0.25 + 0.75 * (n.velocity / 127));
      g.fillStyle = `rgb(${r | 0},${gr | 0},${b | 0})`;
    }
    g.fillRect(n.start * PX_PER_SECOND, (hi - n.pitch) * ROW_PX, Math.max(1, (n.end - n.start) * PX_PER_SECOND - 1), ROW_PX - 1);
  }
  if (c.primerSeconds > 0) {
    g.fillStyle = '#e0e4ee';
    g.fillRect(c.primerSeconds * PX_PER_SECOND, 0, 1, height);
  }
  if (playhead !== null) {
    g.fillStyle = '#ff5a5a';
    g.fillRect(playhead * PX_PER_SECOND, 0, 2, height);
  }
  canvas.dataset.notes = String(c.notes.length);
}

interface Playback {
  ctx: AudioContext;
  start: number;
}

/** Schedules every note on a triangle-wave voice with a short attack and release. */
async function play(c: Composed): Promise<Playback> {
  const ctx = new AudioContext();
  await ctx.resume();
  const master = ctx.createGain();
  master.gain.value = 0.25;
  const comp = ctx.createDynamicsCompressor();
  master.connect(comp).connect(ctx.destination);
  const start = ctx.currentTime + 0.1;
  for (const n of c.notes) {
    const t0 = start + n.start, t1 = start + Math.max(n.end, n.start + 0.05);
    const osc = ctx.createOscillator(), env = ctx.createGain();
    osc.type = 'triangle';
    osc.frequency.value = 440 * 2 ** ((n.pitch - 69) / 12);
    const peak = 0.15 + 0.5 * (n.velocity / 127);
    env.gain.setValueAtTime(0, t0);
    env.gain.linearRampToValueAtTime(peak, t0 + 0.008);
    env.gain.setTargetAtTime(peak * 0.6, t0 + 0.008, 0.1);
    env.gain.setTargetAtTime(0, t1, 0.03);
    osc.connect(env).connect(master);
    osc.start(t0);
    osc.stop(t1 + 0.2);
  }
  return { ctx, start };
}

export function setupMusicPane(runs: readonly RunListing[]): void {
  const picker = runPicker<MusicRun>('music-run', runs, 'music', 'music', (bytes, name) => composer.fromCheckpoint(bytes, name));
  const go = $('music-go') as HTMLButtonElement, playBtn = $('music-play') as HTMLButtonElement;
  const stop = $('music-stop') as HTMLButtonElement, dl = $('music-download') as HTMLButtonElement;
  const primerInput = $('music-primer') as HTMLInputElement, canvas = $('music-roll') as HTMLCanvasElement;
  const status = (t: string): void => setStatus('music-status', t);
  for (const id of ['music-temperature', 'music-topp']) {
    const input = $(id) as HTMLInputElement, out = input.nextElementSibling as HTMLOutputElement;
    const show = (): void => { out.value = input.value; };
    input.addEventListener('input', show);
    show();
  }
  let result: { c: Composed; name: string } | null = null;
  let stopRequested = false;
  let playing: Playback | null = null;

  const stopPlaying = async (): Promise<void> => {
    const p = playing;
    playing = null;
    delete canvas.dataset.playing;
    if (p) await p.ctx.close();
    if (result) drawRoll(canvas, result.c, null);
  };

  go.addEventListener('click', () => void (async () => {
    const r = picker.selected();
    if (!r) return status('no music run to compose with: recur serve RUN_DIR');
    await stopPlaying();
    go.disabled = true;
    playBtn.disabled = true;
    dl.disabled = true;
    stop.disabled = false;
    stopRequested = false;
    try {
      const seconds = numberInput('music-seconds', 'seconds', 0.5, 600), seed = numberInput('music-seed', 'seed', 0, 2 ** 31);
      const temperature = numberInput('music-temperature', 'temperature', 0.01, 10), topP = numberInput('music-topp', 'top-p', 0.01, 1);
      const run = await picker.load(r, status);
      const f = primerInput.files?.[0];
      const primer = f ? new Uint8Array(await f.arrayBuffer()) : null;
      await showStatus('music-status', `composing ${seconds} s${f ? ` after ${f.name}` : ''}…`);
      const c = await composer.compose(run, { primer, primerName: f?.name ?? 'primer', seconds, temperature, topP, seed }, {
        onProgress: (x) => status(`composing: ${Math.round(100 * x)}%`),
        shouldStop: () => stopRequested,
      });
      result = { c, name: `${r.name}-seed${seed}.mid` };
      drawRoll(canvas, c, null);
      playBtn.disabled = false;
      dl.disabled = false;
      status(`${c.notes.length} notes (${c.generatedNotes} new), ${c.seconds.toFixed(1)} s${run.config.repr === 'pianoroll' ? ' (piano roll)' : ''}`);
    } catch (e) {
      status(stopRequested ? 'stopped' : errorLine(e));
    } finally {
      go.disabled = false;
      stop.disabled = playing === null;
    }
  })());

  playBtn.addEventListener('click', () => void (async () => {
    if (!result) return;
    await stopPlaying();
    const c = result.c;
    try {
      const p = await play(c);
      playing = p;
      canvas.dataset.playing = p.ctx.state;
      stop.disabled = false;
      status(`playing ${c.seconds.toFixed(1)} s`);
      const tick = (): void => {
        if (playing !== p) return;
        const t = p.ctx.currentTime - p.start;
        if (t > c.seconds + 0.3) {
          void stopPlaying().then(() => { status('played'); stop.disabled = true; });
          return;
        }
        drawRoll(canvas, c, Math.max(0, t));
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    } catch (e) {
      status(errorLine(e));
    }
  })());

  stop.addEventListener('click', () => void (async () => {
    stopRequested = true;
    if (playing) {
      await stopPlaying();
      status('stopped');
    }
    stop.disabled = !go.disabled;
  })());

  dl.addEventListener('click', () => {
    if (result) download(result.c.midi, result.name, 'audio/midi');
  });
}
