/**
 * The Classify, Tag and Translate panes in real Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) on the committed runs of fixtures/web-runs/: each pane shows what the
 * library gives in Node for the same text, a run the browser cannot use is refused with one
 * line in the pane, and the app still works without WebAssembly. Screenshots go to
 * test-output/web/ (ignored by git). Without Chromium the suite is skipped, saying so, unless
 * RECUR_REQUIRE_BROWSER=1.
 *
 * Without WebAssembly: Chromium is launched with `--js-flags=--jitless`, which leaves V8 with no
 * WebAssembly at all, so the app must fall back to the plain TypeScript kernels. Turning off
 * only WebAssembly SIMD (keeping WebAssembly) has no switch in Chromium 156, so that case is
 * not tested here; the fallback path taken is the same (initWasm fails, the js backend stays).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { classify, tag, translate } from '../../src/index.js';
import { startWebServer, type WebServer } from '../../src/web/server.js';
import { backendIndependent } from '../helpers/backend-independent.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const have = existsSync(CHROMIUM);
if (!have && process.env.RECUR_REQUIRE_BROWSER === '1') throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium), and RECUR_REQUIRE_BROWSER=1`);
const SHOTS = 'test-output/web';
const RUNS = 'fixtures/web-runs';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const bytesOf = (run: string): Buffer => readFileSync(`${RUNS}/${run}/best.safetensors`);

const CLS_TEXT = 'The food was great and the service was friendly, but the room was far too noisy.';
const TAG_TEXT = 'Mayor William Hartsfield of Atlanta met the City Council in Washington on Tuesday with John F. Kennedy.';

describe('text panes in Chromium', { skip: have ? backendIndependent.skip : `no Chromium at ${CHROMIUM} (apt-get install chromium)` }, () => {
  let browser: Browser, jitless: Browser, web: WebServer;
  const out = mkdtempSync(join(tmpdir(), 'recur-panes-'));
  const errors: string[] = [];

  before(async () => {
    const b = spawnSync(process.execPath, ['scripts/build-web.mjs', '--out', join(out, 'app')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    mkdirSync(SHOTS, { recursive: true });
    web = await startWebServer({ appDir: join(out, 'app'), runs: ['classify', 'classify-afinn', 'tag', 'tag-pos', 'translate'].map((r) => join(RUNS, r)), port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    jitless = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, '--js-flags=--jitless'] });
  });
  after(async () => {
    await browser?.close();
    await jitless?.close();
    await web?.close();
  });

  async function open(b: Browser = browser): Promise<Page> {
    const page = await b.newPage();
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(web.url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
    return page;
  }

  const statusIs = (page: Page, id: string, re: RegExp, timeout = 60_000): Promise<unknown> =>
    page.waitForFunction(([i, src]) => new RegExp(src!).test(document.getElementById(i!)?.textContent ?? ''), [id, re.source], { timeout });

  /** Classify from the keyboard only: arrow keys to the tab, Tab to the text, Ctrl+Enter. */
  async function classifyByKeyboard(page: Page): Promise<void> {
    await page.focus('#tab-generate');
    while (!(await page.isVisible('#pane-classify'))) await page.keyboard.press('ArrowRight');
    await page.focus('#cls-text');
    await page.fill('#cls-text', CLS_TEXT);
    await page.keyboard.press('Control+Enter');
    await statusIs(page, 'cls-status', /^done: /);
  }

  async function checkClassifyResult(page: Page): Promise<void> {
    const want = classify.classifyText(classify.fromCheckpoint(bytesOf('classify')), CLS_TEXT);
    assert.equal(await page.textContent('#cls-out .cls-label'), want.label);
    const bars = await page.$$eval('#cls-out .cls-bar', (rows) => rows.map((r) => [(r as HTMLElement).dataset.label, r.querySelector('.cls-prob')?.textContent]));
    assert.deepEqual(bars.sort(), Object.entries(want.probs).map(([l, p]) => [l, `${(100 * p).toFixed(1)}%`]).sort());
    const words = await page.$$eval('#cls-out .cls-word', (ws) => ws.map((w) => [w.textContent, Number((w as HTMLElement).dataset.weight)]));
    assert.deepEqual(words.map((w) => w[0]), want.tokens);
    words.forEach(([, w], i) => assert.ok(Math.abs((w as number) - want.weights![i]!) < 1e-4));
  }

  it('classify: label, a bar per class and words shaded by attention, as in Node', async () => {
    const page = await open();
    await classifyByKeyboard(page);
    await checkClassifyResult(page);
    await page.screenshot({ path: join(SHOTS, 'classify.png'), fullPage: true });
    // The AFINN run needs a word list the checkpoint does not hold: one line in the pane.
    await page.selectOption('#cls-run', 'classify-afinn');
    await page.click('#cls-go');
    await statusIs(page, 'cls-status', /^error: /);
    assert.match(await page.textContent('#cls-status') ?? '', /^error: classify-afinn\/best\.safetensors uses the 'afinn' lexicon feature, whose word list \(npm package sentiment\) is not in the checkpoint: run it in Node with `recur classify`$/);
    await page.close();
  });

  it('tag: the names coloured inline, with a legend, as in Node', async () => {
    const page = await open();
    await page.click('#tab-tag');
    await page.fill('#tag-text', TAG_TEXT);
    await page.click('#tag-go');
    await statusIs(page, 'tag-status', /^done: /);
    const want = tag.tagText(tag.fromCheckpoint(bytesOf('tag')), TAG_TEXT);
    const chunks = want.chunks!.map((c) => [c.type, TAG_TEXT.slice(want.words[c.start]!.start, want.words[c.end - 1]!.end)]);
    assert.ok(chunks.length >= 2, JSON.stringify(chunks));
    const marks = await page.$$eval('#tag-out mark', (ms) => ms.map((m) => [(m as HTMLElement).dataset.tag, m.firstChild?.textContent]));
    assert.deepEqual(marks, chunks);
    // The text reads as it was typed, marks included (their type labels aside).
    assert.equal(await page.$eval('#tag-out', (o) => Array.from(o.childNodes, (n) => n.nodeType === 3 ? n.textContent : n.firstChild?.textContent).join('')), TAG_TEXT);
    const legend = await page.$$eval('#tag-legend li', (ls) => ls.map((l) => (l as HTMLElement).dataset.tag));
    assert.deepEqual(legend.sort(), [...new Set(chunks.map((c) => c[0]))].sort());
    await page.screenshot({ path: join(SHOTS, 'tag.png'), fullPage: true });
    // Parts of speech: every word marked with its tag above it.
    await page.selectOption('#tag-run', 'tag-pos');
    await page.click('#tag-go');
    await statusIs(page, 'tag-status', /^done: \d+ words$/);
    const pos = tag.tagText(tag.fromCheckpoint(bytesOf('tag-pos')), TAG_TEXT);
    assert.equal(pos.chunks, null);
    const words = await page.$$eval('#tag-out mark', (ms) => ms.map((m) => [m.querySelector('ruby')?.firstChild?.textContent, m.querySelector('rt')?.textContent]));
    assert.deepEqual(words, pos.words.map((w) => [w.word, w.tag]));
    const tags = await page.$$eval('#tag-legend li', (ls) => ls.map((l) => (l as HTMLElement).dataset.tag));
    assert.deepEqual(tags.sort(), [...new Set(pos.words.map((w) => w.tag))].sort());
    await page.screenshot({ path: join(SHOTS, 'tag-pos.png'), fullPage: true });
    await page.close();
  });

  it('translate: greedy and beam outputs and a labelled attention heat map, as in Node', async () => {
    const page = await open();
    await page.click('#tab-translate');
    await page.fill('#tr-text', 'recurrent');
    await page.fill('#tr-beam', '4');
    await page.click('#tr-go');
    await statusIs(page, 'tr-status', /^done: /);
    const run = translate.fromCheckpoint(bytesOf('translate'));
    const greedy = await translate.translateText(run, 'recurrent', { beam: 1 }), beam = await translate.translateText(run, 'recurrent', { beam: 4 });
    assert.ok(greedy.text.length > 0);
    assert.equal(await page.textContent('#tr-greedy'), greedy.text);
    assert.equal(await page.textContent('#tr-beam-out'), beam.text);
    const axes = async (): Promise<{ x: string[]; y: string[]; cells: number }> => ({
      x: await page.$$eval('#tr-heat .tr-x', (t) => t.map((e) => e.textContent ?? '')),
      y: await page.$$eval('#tr-heat .tr-y', (t) => t.map((e) => e.textContent ?? '')),
      cells: await page.locator('#tr-heat rect.tr-cell').count(),
    });
    let a = await axes();
    assert.deepEqual(a.x, [...'recurrent']);
    assert.deepEqual(a.y, [...beam.targetTokens, '</s>']);
    assert.equal(a.cells, 9 * (beam.targetTokens.length + 1));
    await page.screenshot({ path: join(SHOTS, 'translate.png'), fullPage: true });
    await page.selectOption('#tr-map', 'greedy');
    a = await axes();
    assert.deepEqual(a.y, [...greedy.targetTokens, '</s>']);
    await page.close();
  });

  it('runs without WebAssembly (jitless V8): says so, and a pane still gives its result', async () => {
    const page = await open(jitless);
    assert.equal(await page.evaluate(() => typeof (globalThis as { WebAssembly?: unknown }).WebAssembly), 'undefined');
    assert.equal(await page.getAttribute('#backend', 'data-backend'), 'js');
    assert.match(await page.textContent('#backend') ?? '', /^backend: js \(no WebAssembly SIMD here/);
    await classifyByKeyboard(page);
    await checkClassifyResult(page);
    await page.screenshot({ path: join(SHOTS, 'classify-jitless.png'), fullPage: true });
    await page.close();
  });

  it('logged no console errors', () => {
    assert.deepEqual(errors, []);
  });
});
