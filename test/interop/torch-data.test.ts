/**
 * train_ddp.py reads data as recur does, in Debian's python3-torch (/usr/bin/python3): BPE and
 * word ids of an odd text (BOM, \r\n, lone \r, U+0085, U+2028, U+FEFF, NBSP, U+001C, emoji,
 * combining marks, CJK), a classifier's lexicon features, and `export torch --with-data` for a
 * run on a built-in data set; one training step's loss equals recur's loss on the same batch.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { readTextFile } from '../../src/data/text-file.js';
import { batchify, getWindow } from '../../src/data/streams.js';
import { loadAnyRun } from '../../src/interop/runs.js';
import { exportTorch, importTorch } from '../../src/interop/torch/torch-dir.js';
import type { Module } from '../../src/nn/module.js';
import { encodeSplit, makeBatch, prepareClassifyData } from '../../src/tasks/classify/data.js';
import { SequenceClassifier } from '../../src/tasks/classify/model.js';
import { prepareLmData } from '../../src/tasks/lm/data.js';
import { LanguageModel } from '../../src/tasks/lm/model.js';
import { buildTagVocabs, loadTagSplits, normalizeChunkTags } from '../../src/tasks/tag/data.js';
import { SequenceTagger } from '../../src/tasks/tag/model.js';
import { prepareTranslateData } from '../../src/tasks/translate/data.js';
import { DEFAULT_DECODE } from '../../src/tasks/translate/run.js';
import { Seq2Seq } from '../../src/tasks/translate/model.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { manualSeed } from '../../src/tensor/rng.js';
import { BpeTokenizer } from '../../src/text/bpe-tokenizer.js';
import { WordTokenizer } from '../../src/text/word-tokenizer.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';

const PY = '/usr/bin/python3';
const hasTorch = existsSync(PY) && spawnSync(PY, ['-c', 'import torch, regex'], { encoding: 'utf8' }).status === 0;
// Like torch.test.ts's DDP runs, these check data handling and PyTorch training, not recur's
// kernels: they run once, in the default-backend run of `npm test`, not again per RECUR_BACKEND.
const skip = !hasTorch ? `needs Debian's python3-torch and python3-regex at ${PY}`
  : process.env.RECUR_BACKEND ? 'backend-independent (PyTorch training); runs in the run without RECUR_BACKEND' : false;
const root = mkdtempSync(join(tmpdir(), 'recur-torch-data-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Everything a tokenizer or line splitter could get wrong; the file adds a BOM and \r\n / lone \r breaks. */
const ODD = [
  'The cat’s “naïve” café—don\'t, we\'ll, I\'M ok.  Ünïcödé e\u0301 (combining) 東京は晴れ。😀👍🏽',
  'tabs\there\u00a0nbsp\u2003em-space and NEL \u0085inside a line\u2028line sep\u2029para sep',
  'zero \ufeffwidth nbsp, file sep\u001cgroup\u001drecord\u001eunit\u001f, 3.14 1,000 10:30 ----- ... !!',
  '   leading spaces, trailing   ',
  '',
  'x'.repeat(40) + ' ' + 'ab'.repeat(30),
].join('\n');

function writeOdd(name: string, text: string): string {
  const path = join(root, name);
  // BOM, then \r\n between most lines and one lone \r: recur reads every break as \n.
  const lines = text.split('\n');
  writeFileSync(path, `\ufeff${lines.slice(0, -1).map((l, i) => `${l}${i === 2 ? '\r' : '\r\n'}`).join('')}${lines[lines.length - 1]}\n`);
  return path;
}

/**
 * One Python process (importing torch is most of its time): `code` runs with train_ddp.py of an
 * exported folder imported as `t` and its config as `cfg`, and prints one JSON line; then, given
 * `train` arguments, train_ddp.py's main() runs in one process (env:// rendezvous as torchrun sets
 * it up). Returns the JSON and the logged training steps.
 */
interface Logged { step: number; loss?: number; valid_loss?: number }

function py<T>(dir: string, code: string, train?: string[]): { out: T; logged: Logged[] } {
  const prelude = `import sys, json\nsys.path.insert(0, ${JSON.stringify(dir)})\nimport train_ddp as t\ncfg = json.load(open(${JSON.stringify(join(dir, 'config.json'))}))\n`;
  const run = train ? `\nsys.stdout.flush()\nsys.argv = ${JSON.stringify(['train_ddp.py', ...train])}\nt.main()\n` : '';
  const r = spawnSync(PY, ['-c', prelude + code + run], {
    encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, OMP_NUM_THREADS: '1', RANK: '0', WORLD_SIZE: '1', LOCAL_RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(31500 + (process.pid % 1000)) },
  });
  assert.equal(r.status, 0, `python failed (${r.status} ${r.signal}):\n${r.stderr.slice(-2000)}`);
  const [first, ...rest] = r.stdout.trim().split('\n');
  return { out: JSON.parse(first!) as T, logged: rest.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Logged) };
}

/** `recur import torch DIR` into a new run folder beside DIR. */
function importRun(dir: string): string {
  const back = `${dir}-back`;
  importTorch(dir, back);
  return back;
}

function writeRun(name: string, model: Module, config: Record<string, unknown>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  saveCheckpoint(dir, 'best', { config: { train: {}, ...config }, weights: model.stateDict(), state: null });
  return dir;
}

/** Mean cross-entropy of logits [N, C] against targets, in float64. */
function crossEntropy(logits: Tensor, targets: ArrayLike<number>): number {
  const C = logits.shape[logits.shape.length - 1]!, N = logits.data.length / C;
  let sum = 0;
  for (let n = 0; n < N; n++) {
    const row = logits.data.subarray(n * C, (n + 1) * C);
    const m = Math.max(...row);
    let z = 0;
    for (const v of row) z += Math.exp(v - m);
    sum += m + Math.log(z) - row[targets[n]!]!;
  }
  return sum / N;
}

describe('train_ddp.py reads data as recur does', { skip }, () => {
  test('an LM run with BPE: ids of an odd text (BOM, \\r\\n, \\r) equal recur\'s, --with-data writes train.txt, the first training loss and the validation loss are recur\'s', () => {
    const corpus = writeOdd('odd.txt', Array.from({ length: 3 }, (_, i) => `${ODD} ${i}`).join('\n'));
    const text = readTextFile(corpus);
    assert.ok(text.includes('\u0085') && text.includes('\u2028') && !text.includes('\r'), 'recur keeps U+0085 and U+2028 inside lines, turns \\r into \\n');
    const spec = { corpus };
    const { tokenizer, splits } = prepareLmData(spec, { level: 'bpe', bpeVocab: 256 + 80 + 3 });
    assert.ok((tokenizer as BpeTokenizer).numMerges > 40, `only ${(tokenizer as BpeTokenizer).numMerges} merges were learnt`);
    const word = WordTokenizer.fromCorpus(text.slice(0, 300), { lowercase: true });
    manualSeed(2);
    const model = new LanguageModel({ vocabSize: tokenizer.vocabSize, embedSize: 6, hiddenSize: 5, numLayers: 2, cell: 'lstm', dropout: 0, tieWeights: false });
    const dir = join(root, 'lm-torch');
    const r = exportTorch(writeRun('lm', model, { task: 'lm', level: 'bpe', ...spec, model: model.config, tokenizer: tokenizer.toJSON() }), dir, { withData: true });
    assert.deepEqual(r.files.filter((f) => f.startsWith('data')), ['data/train.txt', 'data/valid.txt']);
    const B = 3, T = 7;
    // No --data: train_ddp.py takes DIR/data/train.txt.
    const { out, logged } = py<{ bpe: number[]; word: number[]; train: number[]; lines: number }>(dir, `text = t.read_text(${JSON.stringify(corpus)})
word = json.loads(${JSON.stringify(JSON.stringify(word.toJSON()))})
train = t.encode(cfg["tokenizer"], t.read_text(${JSON.stringify(join(dir, 'data', 'train.txt'))})).tolist()
print(json.dumps({"bpe": t.encode(cfg["tokenizer"], text).tolist(), "word": t.encode(word, text).tolist(), "train": train, "lines": len(text.split("\\n"))}))`,
    ['--steps', '1', '--batch', String(B), '--bptt', String(T)]);
    assert.equal(out.lines, text.split('\n').length);
    assert.deepEqual(out.bpe, Array.from(tokenizer.encode(text)));
    assert.deepEqual(out.word, Array.from(word.encode(text)));
    assert.deepEqual(out.train, Array.from(splits.train));
    const w = getWindow(batchify(splits.train, B), 0, T);
    const want = noGrad(() => crossEntropy(model.forward(w.input, w.steps, B, null).logits, w.target));
    assert.equal(logged[0]!.step, 1);
    assert.ok(Math.abs(logged[0]!.loss! - want) <= 2e-5, `PyTorch's first loss ${logged[0]!.loss}, recur's ${want}`);
    // data/valid.txt is the default --valid: its loss after the step, in recur with the imported checkpoint.
    const trained = loadAnyRun(importRun(dir)).model as LanguageModel;
    const v = splits.valid;
    const wantValid = noGrad(() => crossEntropy(trained.forward(v.subarray(0, v.length - 1), v.length - 1, 1, null).logits, v.subarray(1)));
    assert.ok(Math.abs(logged[1]!.valid_loss! - wantValid) <= 2e-5, `PyTorch's validation loss ${logged[1]!.valid_loss}, recur's ${wantValid}`);
  });

  test('a classifier with the AFINN lexicon on the built-in uci-sentiment: --with-data, same ids and features, same first and validation losses', () => {
    const data = { source: 'uci-sentiment', split: { valid: 0.1, test: 0.1 }, seed: 3 };
    const { examples, labels, y, split } = prepareClassifyData(data);
    const tok = WordTokenizer.fromCorpus(split.train.map((i) => examples[i]!.text).join('\n'), { lowercase: true, lineBreaks: 'ignore', specials: ['<pad>', '<unk>'], minFreq: 2 });
    const enc = encodeSplit(tok, examples, y, split.train, 0, 'afinn');
    manualSeed(4);
    const model = new SequenceClassifier({ vocabSize: tok.vocabSize, embedSize: 4, hiddenSize: 3, numLayers: 1, cell: 'gru', bidirectional: true, pooling: 'attention', dropout: 0, numClasses: labels.length, paddingIdx: 0, lexicon: 'afinn' });
    const run = writeRun('uci', model, { task: 'classify', data: { ...data, size: examples.length }, labels, maxLength: 0, tokenizer: tok.toJSON(), model: model.config });
    const dir = join(root, 'uci-torch');
    const r = exportTorch(run, dir, { withData: true });
    assert.ok(r.files.includes('lexicon.json'));
    assert.deepEqual(readdirSync(join(dir, 'data')).sort(), ['train.jsonl', 'valid.jsonl']);
    // One batch of every training example: the mean loss does not depend on train_ddp.py's shuffle.
    const n = enc.ids.length;
    const { out: got, logged } = py<{ ids: number[][]; labels: number[]; features: number[][]; errors: string[] }>(dir, `p = ${JSON.stringify(join(dir, 'data', 'train.jsonl'))}
ex = t.classify_examples(cfg, t.read_text(p), p, t.load_lexicon(cfg, ${JSON.stringify(dir)}))
errors = []
for f in (lambda: t.load_lexicon(cfg, ${JSON.stringify(root)}), lambda: t.exported_data(${JSON.stringify(root)})):
    try:
        f()
    except SystemExit as e:
        errors.append(str(e))
print(json.dumps({"ids": [e[0] for e in ex], "labels": [e[1] for e in ex], "features": [e[2] for e in ex], "errors": errors}))`, ['--steps', '1', '--batch', String(n)]);
    // Where the lexicon or the exported data are missing (here: the test's temp folder), the message says so.
    assert.equal(got.errors.length, 2);
    assert.match(got.errors[0]!, /uses the 'afinn' lexicon but .*lexicon\.json is missing/);
    assert.match(got.errors[1]!, /give --data FILE \(no .*data\/train\.\*; `recur export torch RUN --out DIR --with-data`/);
    assert.deepEqual(got.ids, enc.ids.map((a) => Array.from(a)));
    assert.deepEqual(got.labels, Array.from(enc.labels));
    // float32 in recur, float64 in Python: the same valence/5 once rounded.
    assert.deepEqual(got.features.map((f) => Array.from(Float32Array.from(f))), enc.features!.map((f) => Array.from(f)));
    assert.ok(enc.features!.some((f) => f.some((v) => v < 0)) && enc.features!.some((f) => f.some((v) => v > 0)), 'the lexicon should score some words');
    const batch = makeBatch(enc.ids, Array.from({ length: n }, (_, i) => i), 0, enc.features);
    const want = noGrad(() => crossEntropy(model.forward(batch), enc.labels));
    assert.ok(Math.abs(logged[0]!.loss! - want) <= 2e-5, `PyTorch's first loss ${logged[0]!.loss}, recur's ${want}`);
    const validEnc = encodeSplit(tok, examples, y, split.valid, 0, 'afinn');
    const trained = loadAnyRun(importRun(dir)).model as SequenceClassifier;
    const vb = makeBatch(validEnc.ids, Array.from({ length: validEnc.ids.length }, (_, i) => i), 0, validEnc.features);
    const wantValid = noGrad(() => crossEntropy(trained.forward(vb), validEnc.labels));
    assert.ok(Math.abs(logged[1]!.valid_loss! - wantValid) <= 2e-5, `PyTorch's validation loss ${logged[1]!.valid_loss}, recur's ${wantValid}`);
  });

  test('--with-data for a translation run with BPE on both sides (--reverse) and a tagger (tag column 2, IOB1 tags): train_ddp.py reads recur\'s training examples, and trains', () => {
    const conll = join(root, 'tags.conll');
    const sentences = Array.from({ length: 20 }, (_, i) => [`Ünï${i} NN I-PER`, `cat\u0085s VB O`, `x${i % 3} NN I-LOC`, `y NN I-LOC`].join('\r\n'));
    writeFileSync(conll, `${sentences.join('\r\n\r\n')}\r\n`);
    const tagData = { source: conll, tagColumn: 2, seed: 6 };
    const raw = loadTagSplits(tagData);
    const train = normalizeChunkTags(raw.train, 'bio');
    const vocabs = buildTagVocabs(train, 1);
    const tags = ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER'];
    const tagger = new SequenceTagger({ wordVocabSize: vocabs.words.size, charVocabSize: vocabs.chars.size, tags, wordEmbed: 3, charEncoder: 'cnn', charEmbed: 2, charHidden: 2, hiddenSize: 2, numLayers: 1, dropout: 0, crf: true, scheme: 'bio' });
    const tagDir = join(root, 'tag-torch');
    exportTorch(writeRun('tag', tagger, { task: 'tag', data: tagData, words: vocabs.words.toJSON(), chars: vocabs.chars.toJSON(), model: tagger.config }), tagDir, { withData: true });

    const file = join(root, 'pairs.tsv');
    writeFileSync(file, Array.from({ length: 30 }, (_, i) => `${ODD.split('\n')[i % 3]!.slice(i, i + 25).trim()} ${i}\tuno\u0085dos ${i} “tres”`).join('\r\n'));
    const d = prepareTranslateData(file, true, { bpeVocab: 300 });
    manualSeed(5);
    const config = {
      srcVocabSize: d.src.vocabSize, tgtVocabSize: d.tgt.vocabSize, srcPadId: d.specials.srcPad, tgtPadId: d.specials.tgtPad, embedSize: 4, hiddenSize: 4,
      encoderLayers: 1, decoderLayers: 1, cell: 'gru', bidirectional: false, attention: 'luong-general', inputFeeding: false, dropout: 0, bridge: 'dense',
    } as const;
    const model = new Seq2Seq(config);
    const run = writeRun('tr', model, { task: 'translate', data: file, reverse: true, metric: 'bleu', model: config, srcTokenizer: d.src.toJSON(), tgtTokenizer: d.tgt.toJSON(), decode: DEFAULT_DECODE });
    const dir = join(root, 'tr-torch');
    exportTorch(run, dir, { withData: true });
    const { out, logged } = py<{ pairs: Array<[number[], number[]]>; tagged: Array<[string[], number[]]> }>(dir, `tag_cfg = json.load(open(${JSON.stringify(join(tagDir, 'config.json'))}))
tagged = t.tag_examples(tag_cfg, t.read_text(${JSON.stringify(join(tagDir, 'data', 'train.conll'))}))
print(json.dumps({"pairs": t.translate_examples(cfg, t.read_raw(${JSON.stringify(join(dir, 'data', 'train.tsv'))})), "tagged": tagged}))`, ['--steps', '2', '--batch', '4']);
    assert.deepEqual(out.pairs, d.train.map((p) => [Array.from(p.src), Array.from(p.tgt)]));
    assert.deepEqual(out.tagged, train.map((s) => [s.words, s.tags.map((t) => tags.indexOf(t))]));
    assert.ok(train.some((s) => s.tags.includes('B-PER')), 'IOB1 tags are written in the run\'s BIO form');
    assert.ok(logged[0]!.step === 2 && Number.isFinite(logged[0]!.loss) && Number.isFinite(logged[1]!.valid_loss), JSON.stringify(logged));
  });
});
