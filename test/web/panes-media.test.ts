/**
 * The Speech and Music panes in real Chromium (Debian's /usr/bin/chromium, playwright-core) on
 * the committed runs of fixtures/web-runs/: a WAV upload and a (fake) microphone recording are
 * transcribed as `recur transcribe` transcribes them, with a drawn spectrogram; composing draws
 * the piano roll, plays, stops, keeps the page responsive, and downloads the MIDI file that
 * `recur compose` writes for the same options. Screenshots go to test-output/web/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { audio, music } from '../../src/index.js';
import { composeFromRun } from '../../src/cli/music.js';
import { loadMusicRun } from '../../src/tasks/music/run.js';
import { loadSpeechRun, transcribeFiles } from '../../src/tasks/speech/run.js';
import { startWebServer, type WebServer } from '../../src/web/server.js';
import { backendIndependent } from '../helpers/backend-independent.js';
import { eventLoopDelay } from '../helpers/event-loop-delay.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const have = existsSync(CHROMIUM);
if (!have && process.env.RECUR_REQUIRE_BROWSER === '1') throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium), and RECUR_REQUIRE_BROWSER=1`);
const SHOTS = 'test-output/web';
const RUNS = 'fixtures/web-runs';
const TINY = 'fixtures/speech-tiny';
const PRIMER = 'fixtures/midi/tempo-changes.mid';

describe('Speech and Music panes in Chromium', { skip: have ? backendIndependent.skip : `no Chromium at ${CHROMIUM} (apt-get install chromium)` }, () => {
  let browser: Browser, web: WebServer;
  const out = mkdtempSync(join(tmpdir(), 'recur-panes-media-'));
  const errors: string[] = [];
  // The fake microphone plays this: 0.3 s of silence, "three four" (train-0.wav), 3 s of silence.
  // The fixture run only knows its six training files as they are, so the transcript of a
  // padded recording is not "three four"; it must be what recur transcribe makes of the file.
  const micFile = join(out, 'mic.wav');

  before(async () => {
    const b = spawnSync(process.execPath, ['scripts/build-web.mjs', '--out', join(out, 'app')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const speechWav = audio.decodeWav(readFileSync(join(TINY, 'train-0.wav')));
    const mic = new Float32Array(Math.round(3.3 * 16000) + speechWav.samples.length);
    mic.set(speechWav.samples, Math.round(0.3 * 16000));
    writeFileSync(micFile, audio.encodeWav16(mic, 16000));
    mkdirSync(SHOTS, { recursive: true });
    web = await startWebServer({ appDir: join(out, 'app'), runs: ['speech', 'music', 'music-roll'].map((r) => join(RUNS, r)), port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${resolve(micFile)}`,
        '--autoplay-policy=no-user-gesture-required'],
    });
  });
  after(async () => {
    await browser?.close();
    await web?.close();
  });

  async function open(tab: 'speech' | 'music'): Promise<Page> {
    const page = await browser.newPage({ acceptDownloads: true });
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(web.url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
    await page.click(`#tab-${tab}`);
    assert.equal(await page.isVisible(`#pane-${tab}`), true);
    return page;
  }

  /** Distinct colours among the canvas's pixels (a drawn canvas has many, a blank one one). */
  const colours = (page: Page, id: string): Promise<number> => page.evaluate((sel) => {
    const c = document.getElementById(sel) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
    return seen.size;
  }, id);

  const transcribed = (page: Page, n: number): Promise<unknown> =>
    page.waitForFunction((k) => Number(document.getElementById('speech-text')?.dataset.count ?? 0) >= k, n, { timeout: 60_000 });

  it('speech: an uploaded WAV gets recur transcribe\'s transcript and a drawn spectrogram; a bad file one error line', async () => {
    const file = join(TINY, 'train-3.wav');
    const [expected] = await transcribeFiles(loadSpeechRun(join(RUNS, 'speech')), [file], { beam: 1 });
    assert.equal(expected, 'zero three');
    const page = await open('speech');
    await page.setInputFiles('#speech-file', file);
    await transcribed(page, 1);
    assert.equal(await page.textContent('#speech-text'), expected);
    assert.match(await page.textContent('#speech-status') ?? '', /^train-3\.wav: 0\.86 s transcribed in \d+ ms$/);
    const samples = audio.decodeWav(readFileSync(file)).samples.length;
    assert.equal(Number(await page.getAttribute('#speech-spec', 'data-frames')), Math.floor((samples - 400) / 160) + 1);
    assert.equal(Number(await page.getAttribute('#speech-spec', 'data-bins')), 64);
    assert.ok(await colours(page, 'speech-spec') > 50, 'the spectrogram is not drawn');
    await page.screenshot({ path: join(SHOTS, 'speech.png'), fullPage: true });

    await page.fill('#speech-beam', '4');
    await page.focus('#speech-go');
    await page.keyboard.press('Enter');
    await transcribed(page, 2);
    assert.equal(await page.textContent('#speech-text'), expected);

    await page.setInputFiles('#speech-file', join(TINY, 'broken.wav'));
    await page.waitForFunction(() => /^error:/.test(document.getElementById('speech-status')?.textContent ?? ''));
    assert.equal(await page.textContent('#speech-status'), 'error: broken.wav: not a WAV file (starts with "this file is", expected "RIFF....WAVE")');
    await page.close();
  });

  it('speech: a microphone recording (Chromium\'s fake device) holds the played audio and gets recur transcribe\'s transcript', async () => {
    const page = await open('speech');
    await page.click('#speech-record');
    await page.waitForFunction(() => /^recording: (2\.[5-9]|[3-9]\.\d) s/.test(document.getElementById('speech-status')?.textContent ?? ''), null, { timeout: 30_000 });
    // The live counter is rounded to 0.1 s, so a counter of "2.5" may be 2.45 s of audio.
    const shown = Number(/recording: ([\d.]+) s/.exec(await page.textContent('#speech-status') ?? '')?.[1]);
    await page.click('#speech-stop');
    await transcribed(page, 1);
    const status = await page.textContent('#speech-status') ?? '', text = await page.textContent('#speech-text');
    const held = /^the recording: (\d+\.\d\d) s transcribed in \d+ ms/.exec(status);
    assert.ok(held && Number(held[1]) >= shown - 0.05, `the recording holds less audio than the ${shown} s shown: "${status}"`);
    assert.ok(await colours(page, 'speech-spec') > 50, 'the spectrogram is not drawn');
    assert.equal(await page.isEnabled('#speech-record'), true);
    await page.screenshot({ path: join(SHOTS, 'speech-mic.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#speech-save')]);
    const file = join(out, 'recording.wav');
    await download.saveAs(file);
    const rec = audio.decodeWav(readFileSync(file));
    // The recording is the fake microphone's file (resampled by Chromium to the device rate):
    // find "three four" in it by normalised cross-correlation at 16 kHz.
    const x = audio.resample(rec.samples, rec.sampleRate, 16000), y = audio.decodeWav(readFileSync(join(TINY, 'train-0.wav'))).samples;
    let best = 0;
    const yy = y.reduce((a, v) => a + v * v, 0);
    for (let lag = 0; lag + y.length <= x.length; lag += 1) {
      let xy = 0, xx = 0;
      for (let i = 0; i < y.length; i += 2) { xy += x[lag + i]! * y[i]!; xx += x[lag + i]! ** 2; }
      best = Math.max(best, xy / Math.sqrt(xx * yy / 2 + 1e-12));
    }
    const [expected] = await transcribeFiles(loadSpeechRun(join(RUNS, 'speech')), [file], { beam: 1 });
    console.log(`# microphone: ${status}; ${rec.sampleRate} Hz; correlation with the played file ${best.toFixed(3)}; transcript ${JSON.stringify(text)}`);
    assert.ok(best > 0.9, `the recording does not hold the played utterance (correlation ${best})`);
    assert.equal(text, expected);
    await page.close();
  });

  for (const [run, primer] of [['music', null], ['music-roll', PRIMER]] as const) {
    it(`music (${run}${primer ? ', primer' : ''}): compose from the keyboard, piano roll drawn, play and stop, download = recur compose's file`, async () => {
      const node = loadMusicRun(join(RUNS, run));
      const expected = composeFromRun(node.model, node.config, {
        seconds: 6, temperature: 1, topP: 0.95, seed: 5, ...(primer ? { primer: readFileSync(primer), primerName: 'tempo-changes.mid' } : {}),
      });
      const page = await open('music');
      await page.selectOption('#music-run', run);
      if (primer) await page.setInputFiles('#music-primer', primer);
      await page.fill('#music-seconds', '6');
      await page.fill('#music-seed', '5');
      await page.focus('#music-go');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /notes/.test(document.getElementById('music-status')?.textContent ?? ''), null, { timeout: 60_000 });
      assert.equal(await page.textContent('#music-status'),
        `${expected.score.notes.length} notes (${expected.generatedNotes} new), ${music.tempoMap(expected.score).seconds(Math.max(...expected.score.notes.map((n) => n.endTick))).toFixed(1)} s${run === 'music-roll' ? ' (piano roll)' : ''}`);
      assert.equal(Number(await page.getAttribute('#music-roll', 'data-notes')), expected.score.notes.length);
      assert.ok(await colours(page, 'music-roll') > (primer ? 4 : 3), 'the piano roll is not drawn');
      await page.screenshot({ path: join(SHOTS, `${run}.png`), fullPage: true });

      await page.click('#music-play');
      await page.waitForFunction(() => document.getElementById('music-roll')?.dataset.playing === 'running', null, { timeout: 10_000 });
      assert.match(await page.textContent('#music-status') ?? '', /^playing \d+\.\d s$/);
      await page.waitForTimeout(300);
      await page.click('#music-stop');
      await page.waitForFunction(() => document.getElementById('music-status')?.textContent === 'stopped');
      assert.equal(await page.getAttribute('#music-roll', 'data-playing'), null);

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#music-download')]);
      assert.equal(download.suggestedFilename(), `${run}-seed5.mid`);
      const file = join(out, `${run}.mid`);
      await download.saveAs(file);
      const bytes = readFileSync(file);
      assert.deepEqual(new Uint8Array(bytes), music.writeMidi(expected.score));
      const back = music.readMidi(bytes, file);
      if (primer) assert.deepEqual(back.tempos, music.readMidi(readFileSync(primer)).tempos);
      await page.close();
    });
  }

  it('music: a long composition keeps the page responsive and Stop ends it', async () => {
    const page = await open('music');
    // The tiny fixture run composes 600 s in well under a second on an idle machine, which ends
    // before a measurement can; a CPU slowed 6x (a slow phone) gives a composition long enough
    // to measure and stop, and is where a page that does not yield would freeze.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
    await page.fill('#music-seconds', '600');
    await page.click('#music-go');
    await page.waitForFunction(() => /^composing: \d+%$/.test(document.getElementById('music-status')?.textContent ?? ''), null, { timeout: 30_000 });
    // This machine's one shared core deschedules the page now and then whatever it runs (an
    // idle page's worst lateness is tens of ms there too), so the bound is on the 95th percentile.
    const lag = await eventLoopDelay(page, 2000);
    assert.match(await page.textContent('#music-status') ?? '', /^composing: \d+%$/, 'composing ended before the measurement did');
    console.log(`# at ${await page.textContent('#music-status')} after the measurement; page event-loop delay while composing: median ${lag.median.toFixed(1)} ms, 95th percentile ${lag.p95.toFixed(1)} ms, worst ${lag.worst.toFixed(1)} ms`);
    assert.ok(lag.p95 < 100, `event loop delayed ${lag.p95} ms (95th percentile)`);
    assert.ok(lag.median < 40, `event loop delayed ${lag.median} ms (median)`);
    await page.click('#music-stop');
    await page.waitForFunction(() => document.getElementById('music-status')?.textContent === 'stopped', null, { timeout: 10_000 });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    assert.equal(await page.isEnabled('#music-go'), true);
    assert.equal(await page.isDisabled('#music-download'), true);
    await page.close();
  });

  it('every control of both panes is a native input, select or button', async () => {
    const page = await open('speech');
    const tags = await page.evaluate(() => Array.from(document.querySelectorAll('#pane-speech [id], #pane-music [id]'))
      .filter((e) => !['OUTPUT', 'CANVAS', 'SPAN', 'DIV', 'P'].includes(e.tagName)).map((e) => e.tagName));
    assert.ok(tags.length >= 14, tags.join(' '));
    assert.deepEqual([...new Set(tags)].sort(), ['BUTTON', 'INPUT', 'SELECT']);
    await page.close();
  });

  it('logged no console errors', () => {
    assert.deepEqual(errors, []);
  });
});
