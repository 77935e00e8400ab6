/**
 * The checkpoint fuzzer, run as a child process by test/train/fuzz-checkpoint.test.ts (which
 * kills it if one load hangs). Valid run directories of every task are mutated (truncation, flipped
 * bytes, huge or negative header lengths, tensor entries with wrong dtypes, shapes and
 * offsets, NaN/Inf weights, config and state JSON with wrong types, huge sizes, missing
 * fields and broken tensor references) and then loaded the way `eval`, `generate`, `classify`,
 * `tag`, `translate`, `transcribe`, `compose` and `train --resume` load them. Every load must
 * end in success or a RecurError, within a time and memory bound. Fixed seed, a few seconds of
 * budget.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { RecurError } from '../../src/errors.js';
import { runTask } from '../../src/cli/eval.js';
import { generateText } from '../../src/tasks/lm/generate.js';
import { loadLmRun } from '../../src/tasks/lm/run.js';
import { trainLm } from '../../src/tasks/lm/train.js';
import { classifyTexts, loadClassifierRun } from '../../src/tasks/classify/run.js';
import { loadTaggerRun, tagSentences } from '../../src/tasks/tag/run.js';
import { loadTranslateRun } from '../../src/tasks/translate/run.js';
import { translateTexts } from '../../src/tasks/translate/translate.js';
import { tokenizerFromJSON } from '../../src/text/from-json.js';
import { extractFeatures } from '../../src/audio/features.js';
import type { MidiEntry } from '../../src/music/corpus.js';
import { readMidi } from '../../src/music/midi.js';
import type { LanguageModel } from '../../src/tasks/lm/model.js';
import { composeEvents, composeRoll } from '../../src/tasks/music/compose.js';
import { evaluateMusic } from '../../src/tasks/music/evaluate.js';
import type { PianoRollModel } from '../../src/tasks/music/model.js';
import { loadMusicRun } from '../../src/tasks/music/run.js';
import { loadSpeechRun } from '../../src/tasks/speech/run.js';
import { transcribeUtterances } from '../../src/tasks/speech/task.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { classifyRun, lmRun, musicRun, speechRun, tagRun, tempDir, tinyLmOptions, translateRun } from '../helpers/runs.js';

/** A checkpoint taken apart: header JSON (tensor entries and metadata) and the data buffer. */
interface Parts {
  header: Record<string, unknown>;
  data: Uint8Array;
}

function split(bytes: Uint8Array): Parts {
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<string, unknown>, data: bytes.slice(8 + n) };
}

function join8(p: Parts): Uint8Array {
  const json = Buffer.from(JSON.stringify(p.header));
  const out = Buffer.alloc(8 + json.length + p.data.length);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  out.set(p.data, 8 + json.length);
  return out;
}

const DELETE = Symbol('delete');
type Hostile = unknown;

/** Values a careless edit or a crafted file puts where a config or state field was. */
const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  fc.constantFrom<Hostile>(
    DELETE, null, true, '', 'abc', 'tag', 'lm', 'classify', 'translate', 'lstm', 'NaN', -1, 0, 1, 2, 3, 1e6, 1e9, 2 ** 53, 1e308, 0.5,
    [], {}, [1e9], [0, 0, 0, 0], { $tensor: 'nope', shape: [1] }, { $f32: 'state.optimizer' }, { $num: 'abc' }, { $i32: 5 },
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 4 }),
);

/** Sets (or deletes) the value at a path chosen by indices into a JSON tree. */
function mutateAt(root: unknown, path: number[], value: Hostile): unknown {
  if (typeof root !== 'object' || root === null || path.length === 0) return value === DELETE ? null : value;
  let node = root as Record<string, unknown>;
  for (let depth = 0; ; depth++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[path[depth]! % keys.length]!;
    const child = node[key];
    if (depth === path.length - 1 || typeof child !== 'object' || child === null) {
      if (value === DELETE) delete node[key];
      else node[key] = value;
      return root;
    }
    node = child as Record<string, unknown>;
  }
  return root;
}

/** Fields of configs and states, so that mutations hit them often (not only by a random path). */
const KEYS = {
  config: [
    'task', 'model', 'train', 'tokenizer', 'vocabSize', 'hiddenSize', 'numLayers', 'embedSize', 'cell', 'tags', 'labels', 'numClasses',
    'wordVocabSize', 'srcVocabSize', 'tgtPadId', 'paddingIdx', 'bptt', 'data', 'decode', 'tieWeights', 'vocab', 'tokens',
  ],
  state: ['step', 'epoch', 'index', 'bestLoss', 'rng', 's', 'spare', 'optimizer', 'scheduler', 'task', 'state', 'h', 'c', 'shape', '$tensor', 'paramGroups', 'lr'],
} as const;

/** Sets (or deletes) `key` in the first object of the tree (breadth first) that has it. */
function mutateKey(root: unknown, key: string, value: Hostile): unknown {
  const queue: unknown[] = [root];
  while (queue.length > 0) {
    const node = queue.shift();
    if (typeof node !== 'object' || node === null) continue;
    if (!Array.isArray(node) && Object.prototype.hasOwnProperty.call(node, key)) {
      if (value === DELETE) delete (node as Record<string, unknown>)[key];
      else (node as Record<string, unknown>)[key] = value;
      return root;
    }
    queue.push(...Object.values(node));
  }
  return root;
}

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'length'; value: bigint }
  | { kind: 'entry'; tensor: number; field: 'dtype' | 'shape' | 'data_offsets'; value: Hostile }
  | { kind: 'json'; which: 'config' | 'state'; path: number[]; value: Hostile }
  | { kind: 'key'; which: 'config' | 'state'; key: string; value: Hostile }
  | { kind: 'raw'; which: 'config' | 'state' | 'format'; text: string }
  | { kind: 'nonfinite'; tensor: number; index: number; value: number };

/** Mutations whose 'key' edits pick among `configKeys`, with relative weight `keyWeight`. */
const mutationOf = (configKeys: readonly string[], keyWeight = 2): fc.Arbitrary<Mutation> => fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 5000n })) }),
  fc.record({
    kind: fc.constant('entry' as const), tensor: fc.nat(), field: fc.constantFrom('dtype' as const, 'shape' as const, 'data_offsets' as const),
    value: fc.oneof(hostile, fc.constantFrom('F16', 'I64', 'BOOL', 'F8', 'C64'), fc.array(fc.oneof(fc.integer(), fc.constantFrom(-1, 2 ** 53, 1e9, 0)), { maxLength: 3 })),
  }),
  fc.record({ kind: fc.constant('json' as const), which: fc.constantFrom('config' as const, 'state' as const), path: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), value: hostile }),
  { arbitrary: fc.record({ kind: fc.constant('key' as const), which: fc.constant('config' as const), key: fc.constantFrom(...configKeys), value: hostile }), weight: keyWeight },
  { arbitrary: fc.record({ kind: fc.constant('key' as const), which: fc.constant('state' as const), key: fc.constantFrom(...KEYS.state), value: hostile }), weight: 2 },
  fc.record({ kind: fc.constant('raw' as const), which: fc.constantFrom('config' as const, 'state' as const, 'format' as const), text: fc.constantFrom('', '{', 'null', '[]', '"x"', '1e999', '{"task":"tag"}') }),
  fc.record({ kind: fc.constant('nonfinite' as const), tensor: fc.nat(), index: fc.nat(), value: fc.constantFrom(NaN, Infinity, -Infinity) }),
);

/** Every key of a checkpoint's config JSON (so that edits hit the fields the task really has). */
function configKeysOf(file: string): string[] {
  const keys = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    if (!Array.isArray(v)) Object.keys(v).forEach((k) => keys.add(k));
    Object.values(v).forEach(walk);
  };
  walk(JSON.parse((split(new Uint8Array(readFileSync(file))).header.__metadata__ as { config: string }).config));
  return [...keys];
}

/** Applies the mutations: structured ones on the parsed file first, byte-level ones after. */
function mutate(original: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  const p = split(original);
  p.data = p.data.slice();
  const meta = p.header.__metadata__ as Record<string, unknown>;
  const names = Object.keys(p.header).filter((k) => k !== '__metadata__');
  for (const m of muts) {
    if (m.kind === 'entry') {
      const e = p.header[names[m.tensor % names.length]!] as Record<string, unknown>;
      if (m.value === DELETE) delete e[m.field];
      else e[m.field] = m.value;
    } else if (m.kind === 'json' || m.kind === 'key') {
      let tree: unknown;
      try {
        tree = JSON.parse(meta[m.which] as string);
      } catch {
        continue; // an earlier 'raw' mutation left no JSON to edit
      }
      meta[m.which] = JSON.stringify(m.kind === 'json' ? mutateAt(tree, m.path, m.value) : mutateKey(tree, m.key, m.value));
    } else if (m.kind === 'raw') {
      meta[m.which] = m.text;
    } else if (m.kind === 'nonfinite') {
      const model = names.filter((k) => k.startsWith('model.'));
      const e = p.header[model[m.tensor % model.length]!] as { data_offsets: [number, number] };
      const [b, end] = e.data_offsets;
      if (end > b) new DataView(p.data.buffer).setFloat32(b + 4 * (m.index % ((end - b) / 4)), m.value, true);
    }
  }
  let bytes = join8(p);
  for (const m of muts) {
    if (m.kind === 'truncate') bytes = bytes.slice(0, m.at % bytes.length);
    else if (m.kind === 'flip' && bytes.length > 0) bytes[m.at % bytes.length]! ^= 1 << m.bit;
    else if (m.kind === 'length' && bytes.length >= 8) Buffer.from(bytes.buffer, bytes.byteOffset, 8).writeBigUInt64LE(m.value, 0);
  }
  return bytes;
}

/** Loads a run as every command does, and uses what loaded (a few tokens, one prediction). */
async function useRun(dir: string): Promise<void> {
  const task = runTask(dir);
  if (task === 'lm') {
    const { model, config } = loadLmRun(dir, 'last');
    const { logits } = model.forward(Int32Array.of(0, 1), 2, 1, null);
    if (!logits.data.every(Number.isFinite)) throw new Error('a loaded language model gives non-finite logits');
    for await (const piece of generateText(model, tokenizerFromJSON(config.tokenizer), { prompt: 'a', length: 3, seed: 1 })) assert.equal(typeof piece, 'string');
  } else if (task === 'classify') {
    const [p] = await classifyTexts(loadClassifierRun(dir, 'last'), ['good film']);
    if (!Object.values(p!.probs).every(Number.isFinite)) throw new Error('a loaded classifier gives non-finite probabilities');
  } else if (task === 'tag') {
    await tagSentences(loadTaggerRun(dir, 'last'), [['John', 'sings']]);
  } else if (task === 'translate') {
    const { model, config } = loadTranslateRun(dir, 'last');
    await translateTexts(model, tokenizerFromJSON(config.srcTokenizer), tokenizerFromJSON(config.tgtTokenizer), ['the dog'], { maxLenB: 3 });
  } else if (task === 'speech') {
    const run = loadSpeechRun(dir, 'last');
    const rate = run.config.features.sampleRate ?? 16000;
    const samples = Float32Array.from({ length: Math.round(0.3 * rate) }, (_, i) => 0.3 * Math.sin(i * 0.37) + 0.1 * Math.sin(i * 1.9));
    const f = extractFeatures(samples, run.config.features);
    const { texts, lossSum } = await transcribeUtterances(run.model, run.targets, [{ id: 'sine', transcript: '', features: f.data, frames: f.frames }], { beam: 2 });
    assert.equal(texts.length, 1);
    if (!Number.isFinite(lossSum)) throw new Error('a loaded speech model gives a non-finite loss');
  } else if (task === 'music') {
    const { model, config } = loadMusicRun(dir, 'last');
    const c = config.repr === 'events'
      ? composeEvents(model as LanguageModel, { seconds: 0.2, temperature: 1, seed: 1 })
      : composeRoll(model as PianoRollModel, config.frames, { frames: 3, temperature: 1, seed: 1 });
    assert.ok(c.generatedNotes >= 0);
    // Evaluation reads the saved BPTT window (piano rolls: the frames, which compose used).
    if (config.repr === 'events' && !Number.isFinite((await evaluateMusic(model, config, [MIDI])).loss)) throw new Error('a loaded music model gives a non-finite loss');
  } else {
    throw new RecurError(`no evaluator for task '${task}'`);
  }
}

const MIDI_FILE = join(FIXTURES_DIR, 'midi', 'tempo-changes.mid');
const MIDI: MidiEntry = { path: MIDI_FILE, name: 'tempo-changes.mid', score: readMidi(readFileSync(MIDI_FILE), MIDI_FILE, { drums: 'drop' }) };

/** Lines on stdout tell the parent what runs: `{"case": ...}` before each load, `{"done": ...}` at the end. */
function report(msg: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(msg, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : typeof v === 'symbol' ? 'DELETE' : v))}\n`);
}

const TIME_LIMIT_MS = 10_000;
const MEMORY_LIMIT = 512 * 2 ** 20;

/** Runs `load` on each mutated copy of `file`: success or RecurError, within the time and memory bound. */
async function fuzz(name: string, file: string, seed: number, budgetMs: number, load: (dir: string) => Promise<void>,
  mutation = mutationOf(KEYS.config)): Promise<number> {
  const original = new Uint8Array(readFileSync(file));
  const work = tempDir(`recur-fuzz-${name}-`);
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (muts) => {
      runs++;
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work);
      writeFileSync(join(work, 'last.safetensors'), mutate(original, muts));
      report({ case: name, mutations: muts });
      const rss0 = process.memoryUsage().rss, t0 = performance.now();
      try {
        await load(work);
      } catch (e) {
        if (!(e instanceof RecurError)) throw new Error(`${name}: ${e instanceof Error ? e.stack : String(e)}`);
        assert.doesNotMatch(e.message, /\n/, 'a one-line message');
      }
      const ms = performance.now() - t0, grew = process.memoryUsage().rss - rss0;
      assert.ok(ms < TIME_LIMIT_MS, `${name}: a load took ${ms.toFixed(0)} ms`);
      assert.ok(grew < MEMORY_LIMIT, `${name}: a load grew RSS by ${(grew / 2 ** 20).toFixed(0)} MiB`);
    }),
    { seed, numRuns: 100_000, includeErrorInReport: true, plugins: [fc.interruptAfterTimeLimit(budgetMs)] },
  );
  rmSync(work, { recursive: true, force: true });
  return runs;
}

const budget = Number(process.argv[2] ?? 1);
const lm = await lmRun();
const runs: Record<string, number> = {
  lm: await fuzz('lm', join(lm.dir, 'last.safetensors'), 1, 1500 * budget, useRun),
  resume: await fuzz('resume', join(lm.dir, 'last.safetensors'), 5, 2000 * budget, async (work) => {
    await trainLm({ ...tinyLmOptions(lm.corpus, work), resume: true, steps: 1 });
  }),
  classify: await fuzz('classify', join(classifyRun(), 'last.safetensors'), 2, 800 * budget, useRun),
  tag: await fuzz('tag', join(tagRun(), 'last.safetensors'), 3, 800 * budget, useRun),
  translate: await fuzz('translate', join(translateRun(), 'last.safetensors'), 4, 800 * budget, useRun),
};
// Edits of the later tasks pick among the keys their configs really have, and are drawn more often.
const later: Array<[string, string]> = [
  ['speech', join(speechRun(), 'last.safetensors')], ['music-events', join(musicRun('events'), 'last.safetensors')],
  ['music-roll', join(musicRun('pianoroll'), 'last.safetensors')],
];
for (const [i, [name, file]] of later.entries()) runs[name] = await fuzz(name, file, 6 + i, 900 * budget, useRun, mutationOf(configKeysOf(file), 8));
// The unmutated fixtures load: the fuzzer starts from valid files.
for (const dir of [lm.dir, classifyRun(), tagRun(), translateRun(), speechRun(), musicRun('events'), musicRun('pianoroll')]) {
  const copy = tempDir();
  copyFileSync(join(dir, 'last.safetensors'), join(copy, 'last.safetensors'));
  await useRun(copy);
}
report({ done: runs });
