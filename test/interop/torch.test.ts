/**
 * PyTorch round trip, in Debian's python3-torch (/usr/bin/python3): an exported run's model.py
 * gives recur's outputs; weights changed in PyTorch and imported give PyTorch's outputs in
 * recur; train_ddp.py runs with 2 CPU processes (gloo, localhost) and its checkpoint imports.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { exportTorch, importTorch } from '../../src/interop/torch/torch-dir.js';
import { loadAnyRun } from '../../src/interop/runs.js';
import type { Module } from '../../src/nn/module.js';
import { SequenceClassifier } from '../../src/tasks/classify/model.js';
import { LanguageModel } from '../../src/tasks/lm/model.js';
import { SequenceTagger } from '../../src/tasks/tag/model.js';
import type { Seq2SeqConfig } from '../../src/tasks/translate/config.js';
import { DEFAULT_DECODE } from '../../src/tasks/translate/run.js';
import { Seq2Seq } from '../../src/tasks/translate/model.js';
import { CharTokenizer } from '../../src/text/char-tokenizer.js';
import { WordTokenizer } from '../../src/text/word-tokenizer.js';
import { Vocabulary } from '../../src/text/vocab.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { saveSafetensors } from '../../src/io/safetensors.js';
import { manualSeed, Rng } from '../../src/tensor/rng.js';
import { relError } from '../helpers/rel-error.js';

const PY = '/usr/bin/python3';
const CHECK = fileURLToPath(new URL('./torch_check.py', import.meta.url));
const hasTorch = existsSync(PY) && spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const skip = hasTorch ? false : `needs Debian's python3-torch at ${PY} (apt-get install python3-torch)`;
const TOL = 1e-5;
// The DDP runs exercise PyTorch and the import, not recur's kernels: they run once, in the
// default-backend run of `npm test`, not again under each RECUR_BACKEND.
const ddpSkip = skip || (process.env.RECUR_BACKEND ? 'backend-independent (PyTorch training); runs in the run without RECUR_BACKEND' : false);
const root = mkdtempSync(join(tmpdir(), 'recur-torch-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

const TEXT = 'the cat sat on the mat.\nthe dog sat on the log.\na cat and a dog.\n';

function py(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(PY, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', ...env }, timeout: 120_000 });
  assert.equal(r.status, 0, `${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

type Outputs = Record<string, number[]>;

/** The exported model's outputs, then (perturbed, saved as DIR/checkpoint.safetensors) again. */
function torchOutputs(dir: string, inputs: object): { before: Outputs; after: Outputs } {
  const inp = join(root, 'in.json'), out = join(root, 'out.json');
  writeFileSync(inp, JSON.stringify(inputs));
  py([CHECK, dir, inp, out, '--perturb']);
  return JSON.parse(readFileSync(out, 'utf8')) as { before: Outputs; after: Outputs };
}

function close(got: ArrayLike<number>, want: ArrayLike<number> | undefined, what: string): void {
  assert.ok(want, `${what}: missing`);
  const e = relError(got, want);
  assert.ok(e <= TOL, `${what}: rel err ${e} > ${TOL}`);
}

/** A classification run's data spec as `train classify` saves it. */
const CLASSIFY_DATA = { source: 'train.csv', split: { valid: 0.1, test: 0.1 }, seed: 0, size: 0 };

function writeRun(name: string, model: Module, config: Record<string, unknown>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  saveCheckpoint(dir, 'best', { config: { train: {}, ...config }, weights: model.stateDict(), state: null });
  return dir;
}

interface Case {
  name: string;
  make: () => { run: string; inputs: object; recur: (m: Module) => Record<string, Float32Array | number[][]> };
}

const ids = (n: number, V: number, rng: Rng, min = 1): number[] => Array.from({ length: n }, () => min + Math.floor(rng.random() * (V - min)));

const cases: Case[] = [
  {
    name: 'language model (2-layer LSTM, tied weights, char tokenizer)',
    make: () => {
      manualSeed(1);
      const tok = CharTokenizer.fromCorpus(TEXT);
      const V = tok.vocabSize;
      const model = new LanguageModel({ vocabSize: V, embedSize: 8, hiddenSize: 8, numLayers: 2, cell: 'lstm', dropout: 0.2, tieWeights: true });
      const run = writeRun('lm', model, { task: 'lm', level: 'char', corpus: 'text.txt', model: model.config, tokenizer: tok.toJSON() });
      const T = 6, B = 2, x = ids(T * B, V, new Rng(2));
      return {
        run, inputs: { ids: Array.from({ length: T }, (_, t) => x.slice(t * B, (t + 1) * B)) },
        recur: (m) => {
          const r = (m as LanguageModel).forward(Int32Array.from(x), T, B, null);
          return { logits: r.logits.data, h: r.state.h.data };
        },
      };
    },
  },
  {
    name: 'classifier (bidirectional GRU, attention pooling, lexicon feature)',
    make: () => {
      manualSeed(3);
      const tok = WordTokenizer.fromCorpus(TEXT, { lineBreaks: 'ignore' });
      const V = tok.vocabSize;
      const model = new SequenceClassifier({ vocabSize: V, embedSize: 6, hiddenSize: 5, numLayers: 2, cell: 'gru', bidirectional: true, pooling: 'attention', dropout: 0.3, numClasses: 3, paddingIdx: 0, lexicon: 'afinn' });
      const run = writeRun('classify', model, { task: 'classify', data: CLASSIFY_DATA, labels: ['a', 'b', 'c'], maxLength: 0, tokenizer: tok.toJSON(), model: model.config });
      const rng = new Rng(4);
      const B = 3, T = 5, lengths = [5, 2, 3];
      const x = ids(B * T, V, rng);
      const features = Array.from({ length: B * T }, () => rng.random() - 0.5);
      for (let b = 0; b < B; b++) for (let t = lengths[b]!; t < T; t++) { x[b * T + t] = 0; features[b * T + t] = 0; }
      const rows = <V>(a: V[]): V[][] => Array.from({ length: B }, (_, b) => a.slice(b * T, (b + 1) * T));
      return {
        run, inputs: { ids: rows(x), lengths, features: rows(features) },
        recur: (m) => ({ logits: (m as SequenceClassifier).forward({ ids: Int32Array.from(x), lengths, B, T, features: Float32Array.from(features) }).data }),
      };
    },
  },
  {
    name: 'tagger (char CNN, 2-layer BiLSTM, BIO-constrained CRF)',
    make: () => {
      manualSeed(5);
      const tags = ['O', 'B-X', 'I-X', 'B-Y', 'I-Y'];
      const words = Vocabulary.build(['the', 'cat', 'sat', 'dog'], { specials: ['<pad>', '<unk>'] });
      const chars = Vocabulary.build([...'thecatsdog'], { specials: ['<pad>', '<unk>'] });
      const model = new SequenceTagger({ wordVocabSize: words.size, charVocabSize: chars.size, tags, wordEmbed: 5, charEncoder: 'cnn', charEmbed: 3, charHidden: 4, hiddenSize: 4, numLayers: 2, dropout: 0.5, crf: true, scheme: 'bio' });
      const run = writeRun('tag', model, { task: 'tag', data: { source: 'train.conll', seed: 0 }, words: words.toJSON(), chars: chars.toJSON(), model: model.config });
      const rng = new Rng(6);
      const B = 2, T = 4, lengths = [4, 2], U = 3, C = 4;
      const wordIds = ids(B * T, words.size, rng), wordSlot = ids(B * T, U, rng, 0);
      for (let t = 2; t < T; t++) { wordIds[T + t] = 0; wordSlot[T + t] = 0; }
      const uniqueLengths = [4, 1, 3], uniqueChars = ids(U * C, chars.size, rng);
      for (let u = 0; u < U; u++) for (let p = uniqueLengths[u]!; p < C; p++) uniqueChars[u * C + p] = 0;
      const rows = (a: number[], n: number, w: number): number[][] => Array.from({ length: n }, (_, i) => a.slice(i * w, (i + 1) * w));
      return {
        run, inputs: { word_ids: rows(wordIds, B, T), lengths, chars: rows(uniqueChars, U, C), char_lengths: uniqueLengths, word_slot: rows(wordSlot, B, T) },
        recur: (m) => {
          const tagger = m as SequenceTagger;
          const batch = { B, T, lengths, wordIds: Int32Array.from(wordIds), tagIds: null, U, maxChars: C, uniqueChars: Int32Array.from(uniqueChars), uniqueLengths, wordSlot: Int32Array.from(wordSlot), tokens: 6 };
          const em = tagger.forward(batch);
          return { emissions: em.data, paths: tagger.decode(batch, em) };
        },
      };
    },
  },
  {
    name: 'translation (bidirectional LSTM encoder, Bahdanau attention, input feeding, 2 decoder layers)',
    make: () => {
      manualSeed(7);
      const src = WordTokenizer.fromCorpus(TEXT), tgt = WordTokenizer.fromCorpus(TEXT);
      const config: Seq2SeqConfig = {
        srcVocabSize: src.vocabSize, tgtVocabSize: tgt.vocabSize, srcPadId: 0, tgtPadId: 0, embedSize: 5, hiddenSize: 6, encoderLayers: 2, decoderLayers: 2,
        cell: 'lstm', bidirectional: true, attention: 'bahdanau', inputFeeding: true, dropout: 0.1, bridge: 'dense', attentionSize: 4,
      };
      const model = new Seq2Seq(config);
      const run = writeRun('translate', model, { task: 'translate', data: 'pairs.tsv', reverse: false, metric: 'bleu', model: config, srcTokenizer: src.toJSON(), tgtTokenizer: tgt.toJSON(), decode: DEFAULT_DECODE });
      const rng = new Rng(8);
      const B = 2, S = 4, T = 3, lengths = [4, 2];
      const x = ids(B * S, src.vocabSize, rng);
      for (let s = 2; s < S; s++) x[S + s] = 0;
      const tgtIn = ids(T * B, tgt.vocabSize, rng);
      return {
        run, inputs: { src: [x.slice(0, S), x.slice(S)], src_lengths: lengths, tgt_in: Array.from({ length: T }, (_, t) => tgtIn.slice(t * B, (t + 1) * B)) },
        recur: (m) => ({ logits: (m as Seq2Seq).forward({ ids: Int32Array.from(x), B, S, lengths: Int32Array.from(lengths), tgtIn: Int32Array.from(tgtIn), tgtOut: Int32Array.from(tgtIn), T }).data }),
      };
    },
  },
];

function compare(got: Record<string, Float32Array | number[][]>, want: Record<string, unknown>, what: string): void {
  for (const [k, v] of Object.entries(got)) {
    if (v instanceof Float32Array) close(v, want[k] as number[], `${what} ${k}`);
    else assert.deepEqual(v, want[k], `${what} ${k}`);
  }
}

describe('PyTorch export and import', { skip }, () => {
  for (const c of cases) {
    test(c.name, () => {
      const { run, inputs, recur } = c.make();
      const dir = join(root, `${run.split('/').pop()}-torch`);
      exportTorch(run, dir);
      const lexicon = run.endsWith('/classify') ? ['lexicon.json'] : [];
      assert.deepEqual(readdirSync(dir).sort(), ['config.json', ...lexicon, 'model.py', 'train_ddp.py', 'weights.safetensors']);
      const original = loadAnyRun(run).model;
      const { before, after: changed } = torchOutputs(dir, inputs);
      compare(noGrad(() => recur(original)), before, 'exported model.py');
      // Weights changed in PyTorch come back: recur gives PyTorch's new outputs, not the old ones.
      const back = join(root, `${run.split('/').pop()}-back`);
      importTorch(dir, back);
      const imported = noGrad(() => recur(loadAnyRun(back).model));
      compare(imported, changed, 'imported checkpoint');
      const first = Object.values(imported).find((v) => v instanceof Float32Array) as Float32Array;
      assert.ok(relError(first, noGrad(() => recur(original)[Object.keys(imported)[0]!] as Float32Array)) > 1e-3, 'the perturbed weights should change the outputs');
    });
  }

  test('train_ddp.py: 2 CPU processes (gloo, localhost), then recur import', { skip: ddpSkip }, () => {
    const run = join(root, 'lm');
    const dir = join(root, 'lm-ddp');
    exportTorch(run, dir);
    const corpus = join(root, 'corpus.txt');
    writeFileSync(corpus, TEXT.repeat(8));
    // --redirects/--tee 2: Debian's torch 1.13 on Python 3.11 cannot parse their default '0'
    // (elastic/multiprocessing/api.py's Std.from_str returns None, as 3.11's Flag iteration skips 0).
    const torchrun = spawnSync(PY, ['-m', 'torch.distributed.run', '--redirects', '2', '--tee', '2', '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', String(29500 + (process.pid % 1000)),
      join(dir, 'train_ddp.py'), '--corpus', corpus, '--steps', '4', '--batch', '4', '--bptt', '5', '--save-every', '2'],
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 180_000 });
    assert.equal(torchrun.status, 0, `torchrun failed:\n${torchrun.stderr.slice(-2000)}`);
    const logged = torchrun.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { step: number; loss: number });
    assert.deepEqual(logged.map((l) => l.step), [4]);
    assert.ok(Number.isFinite(logged[0]!.loss));
    const back = join(root, 'lm-ddp-back');
    const r = importTorch(dir, back);
    assert.match(r.weights, /checkpoint\.safetensors$/);
    const before = loadAnyRun(run).model.stateDict().get('rnn.weight_hh_l0')!.data;
    const trained = loadAnyRun(back).model.stateDict().get('rnn.weight_hh_l0')!.data;
    assert.ok(relError(trained, before) > 1e-6, 'DDP training should have changed the weights');
  });

  test('train_ddp.py trains classifier, tagger and translation runs on their CLI data formats, then recur imports them', { skip: ddpSkip }, () => {
    const data: Record<string, string> = {
      classify: 'text\tlabel\n' + ['the cat sat\ta', 'a dog\tb', 'the mat\tc', 'on the log\ta'].join('\n') + '\n',
      tag: ['the O', 'cat B-X', 'sat O', '', '-DOCSTART- O', '', 'dog B-Y', 'sat I-Y', ''].join('\n'),
      translate: ['the cat sat\tthe dog sat', 'a dog\ta cat', 'on the mat\ton the log'].join('\n') + '\n',
    };
    // A classifier without the lexicon feature (torch-data.test.ts trains one with it).
    manualSeed(9);
    const tok = WordTokenizer.fromCorpus(TEXT, { lineBreaks: 'ignore', lowercase: true });
    const plain = new SequenceClassifier({ vocabSize: tok.vocabSize, embedSize: 4, hiddenSize: 3, numLayers: 1, cell: 'lstm', bidirectional: true, pooling: 'max', dropout: 0, numClasses: 3, paddingIdx: 0 });
    const runs: Record<string, string> = {
      classify: writeRun('classify-plain', plain, { task: 'classify', data: CLASSIFY_DATA, labels: ['a', 'b', 'c'], maxLength: 0, tokenizer: tok.toJSON(), model: plain.config }),
      tag: join(root, 'tag'), translate: join(root, 'translate'),
    };
    for (const task of ['classify', 'tag', 'translate']) {
      const dir = join(root, `${task}-ddp`);
      exportTorch(runs[task]!, dir);
      const file = join(root, `${task}.data`);
      writeFileSync(file, data[task]!);
      // One process through torch.distributed's env:// rendezvous, as torchrun sets it up.
      const r = spawnSync(PY, [join(dir, 'train_ddp.py'), '--data', file, '--steps', '2', '--batch', '2'], {
        encoding: 'utf8', timeout: 120_000,
        env: { ...process.env, OMP_NUM_THREADS: '1', RANK: '0', WORLD_SIZE: '1', LOCAL_RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(30500 + (process.pid % 1000)) },
      });
      assert.equal(r.status, 0, `${task}: train_ddp.py failed (${r.status} ${r.signal}):\n${r.stderr.slice(-2000)}\n${r.stdout.slice(-500)}`);
      const last = JSON.parse(r.stdout.trim().split('\n').pop()!) as { step: number; loss: number };
      assert.equal(last.step, 2);
      assert.ok(Number.isFinite(last.loss) && last.loss > 0, `${task}: loss ${last.loss}`);
      const back = join(root, `${task}-ddp-back`);
      importTorch(dir, back);
      assert.equal(loadAnyRun(back).task, task);
    }
  });

  test('import errors: a wrong tensor shape, a NaN, a non-empty --out', () => {
    const bad = join(root, 'bad');
    exportTorch(join(root, 'lm'), bad);
    const cfg = JSON.parse(readFileSync(join(bad, 'config.json'), 'utf8')) as { model: { hiddenSize: number } };
    cfg.model.hiddenSize += 1;
    writeFileSync(join(bad, 'config.json'), JSON.stringify(cfg));
    assert.throws(() => importTorch(bad, join(root, 'bad-run')), /config and weights disagree/);
    assert.ok(!existsSync(join(root, 'bad-run.import-tmp')) && !existsSync(join(root, 'bad-run', 'best.safetensors')));
    // Same element count, wrong shape: named by the weight loader.
    const sd = loadAnyRun(join(root, 'lm')).model.stateDict();
    const w = sd.get('decoder.weight')!;
    const flipped = new Map(sd);
    flipped.set('decoder.weight', w.reshape([w.shape[1]!, w.shape[0]!]));
    writeFileSync(join(bad, 'flipped.safetensors'), saveSafetensors(flipped));
    assert.throws(() => importTorch(join(root, 'lm-torch'), join(root, 'flip-run'), join(bad, 'flipped.safetensors')), /decoder\.weight/);
    assert.ok(!existsSync(join(root, 'flip-run', 'best.safetensors')));
    sd.get('decoder.bias')!.data[2] = NaN;
    writeFileSync(join(bad, 'nan.safetensors'), saveSafetensors(sd));
    assert.throws(() => importTorch(join(root, 'lm-torch'), join(root, 'nan-run'), join(bad, 'nan.safetensors')), /tensor decoder\.bias holds a NaN/);
    assert.throws(() => importTorch(join(root, 'lm-torch'), join(root, 'lm')), /is not empty/);
  });
});
