/**
 * `espeak-digits`: spoken digit strings synthesised with eSpeak NG (Debian `espeak-ng`), with
 * noise mixed in. Isolated digits and connected strings of 2..7 digits ("three one four"),
 * spoken by every English voice (en, en-us, en-gb-scotland, ...) combined with eSpeak's voice
 * variants (m1..m7, f1..f5, klatt, whisper, ...), at random speeds and pitches.
 *
 * Splits: the variants are divided by a hash of their name, about 80% train, 10% valid and
 * 10% test, so the three splits never share a voice. Every utterance is drawn from its own
 * seeded Rng (src/tensor/rng.ts), so a split is the same for the same options whatever the
 * concurrency. The audio is written once, as 16 kHz 16-bit WAV files plus a `manifest.tsv`
 * (the TSV format of ./speech-set.ts), under `cacheDir/<split>-<count>-s<seed>-<hash>/`; the
 * hash covers the options and eSpeak NG's version and voice list. A build killed halfway leaves
 * a `.tmp-<pid>-*` folder, removed by the next build once that process is gone.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { addNoise, pinkNoise, whiteNoise } from '../audio/augment.js';
import { readWavFile, writeWavFile } from '../audio/node.js';
import { resample } from '../audio/resample.js';
import { RecurError } from '../errors.js';
import { Rng } from '../tensor/rng.js';
import { defaultWarning, loadSpeechManifest, type SpeechLoadOptions, type SpeechSet } from './speech-set.js';

export type EspeakSplit = 'train' | 'valid' | 'test';

export const ESPEAK_APT_HINT = 'apt-get install espeak-ng';
const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
/** Bumped when the generator changes what it writes, so old caches are not reused. */
const GENERATOR_VERSION = 1;

export interface EspeakDigitsOptions<A> extends SpeechLoadOptions<A> {
  /** Default 'train'. */
  split?: EspeakSplit;
  /** Utterances. Default 2000 (train), 200 (valid), 300 (test). */
  count?: number;
  /** Default 0. */
  seed?: number;
  /** Default $XDG_CACHE_HOME/recur/espeak-digits (else ~/.cache/recur/espeak-digits). */
  cacheDir?: string;
  /** Digits per string. Default 1 and 7. */
  minDigits?: number;
  maxDigits?: number;
  /** Share of isolated digits (one digit) when minDigits is 1. Default 0.25. */
  isolatedFraction?: number;
  /** Words per minute, drawn uniformly. Default [130, 200]. */
  speed?: [number, number];
  /** eSpeak pitch 0-99, drawn uniformly. Default [25, 75]. */
  pitch?: [number, number];
  /** Signal-to-noise ratio in dB of white or pink noise, drawn uniformly; null: clean. Default [10, 30]. */
  snrDb?: [number, number] | null;
  /** eSpeak processes run at once. Default 2. */
  concurrency?: number;
  /** Called as utterances are synthesised (only when the cache is built). */
  onProgress?: (done: number, total: number) => void;
}

/** One synthesised utterance, as drawn (before synthesis). */
export interface EspeakUtteranceSpec {
  index: number;
  voice: string;
  speed: number;
  pitch: number;
  digits: number[];
  transcript: string;
  noise: 'white' | 'pink' | null;
  snrDb: number | null;
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'recur', 'espeak-digits');
}

/** Throws a RecurError with the apt-get line when espeak-ng cannot be run. */
export function checkEspeak(): string {
  const r = spawnSync('espeak-ng', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new RecurError(`espeak-digits needs eSpeak NG (the espeak-ng command was not found); install it with: ${ESPEAK_APT_HINT}`);
  }
  return r.stdout.trim();
}

/** eSpeak NG's English voices (not the mbrola ones, which need extra packages) and its variants. */
export function espeakVoices(): { languages: string[]; variants: string[] } {
  const list = (arg: string): string[][] => {
    const r = spawnSync('espeak-ng', [arg], { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new RecurError(`espeak-ng ${arg} failed: ${(r.stderr || String(r.error)).trim()}`);
    return r.stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 5);
  };
  // columns: Pty Language Age/Gender VoiceName File [Other Languages]
  const languages = [...new Set(list('--voices=en').filter((f) => f[4]!.startsWith('gmw/')).map((f) => f[1]!))].sort();
  const variants = [...new Set(list('--voices=variant').map((f) => f[4]!).filter((f) => f.startsWith('!v/')).map((f) => f.slice(3)))].sort();
  if (languages.length === 0 || variants.length === 0) throw new RecurError(`espeak-ng lists ${languages.length} English voices and ${variants.length} variants; reinstall it: ${ESPEAK_APT_HINT}`);
  return { languages, variants };
}

/** Which split a voice variant belongs to (stable: depends only on its name). */
export function variantSplit(variant: string): EspeakSplit {
  const h = fnv1a(variant) % 10;
  return h === 0 ? 'test' : h === 1 ? 'valid' : 'train';
}

/** The utterances of a split, drawn but not synthesised. */
export function drawEspeakDigits(opts: EspeakDigitsOptions<unknown>, voices: { languages: string[]; variants: string[] }): EspeakUtteranceSpec[] {
  const split = opts.split ?? 'train';
  const count = opts.count ?? (split === 'train' ? 2000 : split === 'valid' ? 200 : 300);
  const minDigits = opts.minDigits ?? 1, maxDigits = opts.maxDigits ?? 7;
  const isolated = opts.isolatedFraction ?? 0.25;
  const [s0, s1] = opts.speed ?? [130, 200];
  const [p0, p1] = opts.pitch ?? [25, 75];
  const snr = opts.snrDb === undefined ? [10, 30] : opts.snrDb;
  if (!Number.isInteger(count) || count < 1) throw new RecurError(`espeak-digits: count must be a positive integer, got ${count}`);
  if (!(Number.isInteger(minDigits) && Number.isInteger(maxDigits) && minDigits >= 1 && maxDigits >= minDigits)) {
    throw new RecurError(`espeak-digits: need 1 <= minDigits <= maxDigits, got ${minDigits} and ${maxDigits}`);
  }
  const variants = voices.variants.filter((v) => variantSplit(v) === split);
  if (variants.length === 0) throw new RecurError(`espeak-digits: no eSpeak voice variant falls in the ${split} split`);
  const seed = opts.seed ?? 0;
  const out: EspeakUtteranceSpec[] = [];
  for (let i = 0; i < count; i++) {
    const rng = new Rng(fnv1a(`${seed}/${split}/${i}`));
    const voice = `${voices.languages[rng.int(voices.languages.length)]!}+${variants[rng.int(variants.length)]!}`;
    const n = minDigits === 1 && maxDigits > 1 && rng.random() < isolated
      ? 1
      : minDigits === 1 && maxDigits > 1 ? 2 + rng.int(maxDigits - 1) : minDigits + rng.int(maxDigits - minDigits + 1);
    const digits = Array.from({ length: n }, () => rng.int(10));
    const speed = s0 + rng.int(s1 - s0 + 1), pitch = p0 + rng.int(p1 - p0 + 1);
    const noise = snr ? (rng.random() < 0.5 ? 'white' : 'pink') : null;
    const snrDb = snr ? snr[0] + rng.random() * (snr[1] - snr[0]) : null;
    out.push({ index: i, voice, speed, pitch, digits, transcript: digits.map((d) => DIGIT_WORDS[d]).join(' '), noise, snrDb });
  }
  return out;
}

/**
 * Builds the split's cache (if it is not there yet) and returns the path of its manifest.
 * A half-built cache is never visible: it is written to a temporary folder and renamed.
 */
export async function buildEspeakDigits(opts: EspeakDigitsOptions<unknown> = {}): Promise<string> {
  const version = checkEspeak();
  const voices = espeakVoices();
  const specs = drawEspeakDigits(opts, voices);
  const split = opts.split ?? 'train';
  const seed = opts.seed ?? 0;
  const key = fnv1a(JSON.stringify({ GENERATOR_VERSION, version, voices, specs })).toString(16).padStart(8, '0');
  const root = opts.cacheDir ?? defaultCacheDir();
  const dir = join(root, `${split}-${specs.length}-s${seed}-${key}`);
  const manifest = join(dir, 'manifest.tsv');
  if (existsSync(manifest)) return manifest;

  try {
    mkdirSync(root, { recursive: true });
  } catch (e) {
    throw new RecurError(`espeak-digits: cannot create the cache folder ${root}: ${(e as Error).message}`);
  }
  removeAbandoned(root);
  const tmp = mkdtempSync(join(root, `.tmp-${process.pid}-`));
  const scratch = mkdtempSync(join(tmpdir(), 'recur-espeak-'));
  const warn = opts.onWarning ?? defaultWarning;
  const lines: string[] = new Array<string>(specs.length).fill('');
  let done = 0;
  try {
    await pool(specs, opts.concurrency ?? 2, async (spec) => {
      const name = `${String(spec.index).padStart(5, '0')}.wav`;
      try {
        const samples = await synthesize(spec, join(scratch, name), seed);
        writeWavFile(join(tmp, name), samples, 16000);
        lines[spec.index] = `${name}\t${spec.transcript}`;
      } catch (e) {
        if (!(e instanceof RecurError)) throw e;
        warn(`espeak-digits: utterance ${spec.index} (${spec.voice}) skipped: ${e.message}`);
      }
      opts.onProgress?.(++done, specs.length);
    });
    const header = `# espeak-digits ${split}, seed ${seed}, ${version}\npath\ttranscript\n`;
    writeFileSync(join(tmp, 'manifest.tsv'), header + lines.filter((l) => l !== '').join('\n') + '\n');
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // another process finished the same cache first: keep theirs
      if (!existsSync(manifest)) throw e;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
  }
  return manifest;
}

/** The split as a speech set (see the module doc); builds the cache the first time. */
export async function loadEspeakDigits<A = Float32Array>(opts: EspeakDigitsOptions<A> = {}): Promise<SpeechSet<A>> {
  const manifest = await buildEspeakDigits(opts as EspeakDigitsOptions<unknown>);
  const set = loadSpeechManifest<A>(manifest, opts);
  return { ...set, source: `espeak-digits ${opts.split ?? 'train'} (${manifest})` };
}

/** Removes the temporary folders of builds whose process is gone (killed while building). */
function removeAbandoned(root: string): void {
  for (const name of readdirSync(root)) {
    const m = /^\.tmp-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    if (!alive) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive) rmSync(join(root, name), { recursive: true, force: true });
  }
}

async function synthesize(spec: EspeakUtteranceSpec, wavPath: string, seed: number): Promise<Float32Array> {
  // -w writes a complete header; --stdout would give a streaming one
  const args = ['-w', wavPath, '-v', spec.voice, '-s', String(spec.speed), '-p', String(spec.pitch), spec.transcript];
  await new Promise<void>((resolve, reject) => {
    execFile('espeak-ng', args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err) reject(new RecurError(`espeak-ng ${args.slice(2).join(' ')} failed: ${(stderr || err.message).trim().split('\n')[0]}`));
      else resolve();
    });
  });
  const a = readWavFile(wavPath);
  rmSync(wavPath, { force: true });
  if (a.samples.length === 0) throw new RecurError(`espeak-ng wrote no audio for voice ${spec.voice}`);
  let x = a.sampleRate === 16000 ? a.samples : resample(a.samples, a.sampleRate, 16000);
  if (spec.noise && spec.snrDb !== null) {
    const rng = new Rng(fnv1a(`${seed}/noise/${spec.index}`));
    const noise = spec.noise === 'white' ? whiteNoise(x.length, rng) : pinkNoise(x.length, rng);
    x = addNoise(x, noise, spec.snrDb);
  }
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  if (peak > 0.99) for (let i = 0; i < x.length; i++) x[i] = (x[i]! * 0.99) / peak;
  return x;
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
