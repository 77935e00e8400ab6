/**
 * The browser modules of the text tasks (classify, tag, translate) on the committed web-app runs
 * (fixtures/web-runs/, scripts/fixtures/gen-web-runs-text.ts): built from checkpoint bytes alone,
 * they give what the Node run loaders give, and refuse other tasks' runs and bad files with one
 * line naming the file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { classify, io, noGrad, tag, tensor, translate } from '../../src/index.js';
import { maxPool } from '../../src/nn/pooling.js';
import { parseCheckpoint } from '../../src/io/checkpoint.js';
import { loadAfinn } from '../../src/tasks/classify/lexicon.js';
import { classifyTexts, loadClassifierRun } from '../../src/tasks/classify/run.js';
import { loadTaggerRun, tagSentences } from '../../src/tasks/tag/run.js';
import { loadTranslateRun } from '../../src/tasks/translate/run.js';
import { translateTexts } from '../../src/tasks/translate/translate.js';
import { tokenizerFromJSON } from '../../src/text/from-json.js';

const RUNS = 'fixtures/web-runs';
const bytesOf = (run: string): Buffer => readFileSync(`${RUNS}/${run}/best.safetensors`);

/** The checkpoint of `run` with its config changed by `edit`, as bytes. */
function edited(run: string, edit: (c: Record<string, unknown>) => void): Uint8Array {
  const ck = parseCheckpoint(bytesOf(run));
  const config = structuredClone(ck.config) as Record<string, unknown>;
  edit(config);
  const tensors = new Map([...ck.weights].map(([k, t]) => [`model.${k}`, t]));
  return io.saveSafetensors(tensors, { format: io.CHECKPOINT_FORMAT, config: JSON.stringify(config) });
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

const TEXTS = [
  'The food was great and the service was friendly.',
  'Terrible battery, it died after two days. Would not buy again.',
  'It works.',
  'Zzyzx qwertyuiop', // every word unknown
];

describe('classify.fromCheckpoint', () => {
  const run = classify.fromCheckpoint(bytesOf('classify'), 'classify/best.safetensors');

  it('gives the Node loader\'s labels and probabilities, and attention weights per word', async () => {
    const node = await classifyTexts(loadClassifierRun(`${RUNS}/classify`), TEXTS);
    TEXTS.forEach((text, i) => {
      const r = classify.classifyText(run, text);
      assert.equal(r.label, node[i]!.label, text);
      close(Object.values(r.probs), Object.values(node[i]!.probs), 1e-5, `probs of '${text}'`);
      assert.deepEqual(r.tokens, run.tokenizer.tokenize(text));
      assert.equal(r.weights!.length, r.tokens.length);
      assert.equal(r.weightKind, 'attention');
      assert.ok(Math.abs(r.weights!.reduce((s, w) => s + w, 0) - 1) < 1e-5, 'attention weights sum to 1');
    });
    assert.deepEqual(classify.classifyText(run, TEXTS[3]!).known, [false, false]);
    // The fixture learned the sentiment: a clearly positive and a clearly negative text.
    assert.equal(classify.classifyText(run, TEXTS[0]!).label, 'positive');
    assert.equal(classify.classifyText(run, TEXTS[1]!).label, 'negative');
  });

  it('with max pooling, weights each word by the share of pooled features whose maximum it holds', () => {
    const edit = edited('classify', (c) => { (c.model as { pooling: string }).pooling = 'max'; });
    // The attention weights stay in the file; a max-pooling model does not use them.
    const ck = parseCheckpoint(edit);
    for (const k of [...ck.weights.keys()]) if (k.startsWith('attention.')) ck.weights.delete(k);
    const bytes = io.saveSafetensors(new Map([...ck.weights].map(([k, t]) => [`model.${k}`, t])), { format: io.CHECKPOINT_FORMAT, config: JSON.stringify(ck.config) });
    const maxRun = classify.fromCheckpoint(bytes, 'max');
    const r = classify.classifyText(maxRun, TEXTS[0]!);
    assert.equal(r.weightKind, 'max-share');
    const T = r.tokens.length, ids = maxRun.tokenizer.encode(TEXTS[0]!);
    const { output } = noGrad(() => maxRun.model.scores({ ids, lengths: [T], B: 1, T }));
    const pooled = maxPool(output, [T]).data, F = pooled.length;
    const counts = new Array<number>(T).fill(0);
    for (let f = 0; f < F; f++) counts[[...Array(T).keys()].find((t) => output.data[t * F + f] === pooled[f])!]!++;
    close(r.weights!, counts.map((n) => n / F), 1e-6, 'max shares');
    assert.ok(counts.filter((n) => n > 0).length > 1, 'the features peak at different words');
  });

  it('runs a lexicon run when given the word list, as the Node loader does', async () => {
    const run = classify.fromCheckpoint(bytesOf('classify-afinn'), 'afinn', { lexicon: loadAfinn() });
    const node = await classifyTexts(loadClassifierRun(`${RUNS}/classify-afinn`), TEXTS);
    TEXTS.forEach((text, i) => close(Object.values(classify.classifyText(run, text).probs), Object.values(node[i]!.probs), 1e-5, text));
    // Without its features the model gives other probabilities: the list really is used.
    const blind = { ...run, lexicon: { valence: new Map<string, number>(), negators: new Set<string>() } };
    assert.notEqual(classify.classifyText(blind, TEXTS[0]!).probs.positive, classify.classifyText(run, TEXTS[0]!).probs.positive);
  });

  it('refuses a run with the AFINN lexicon without its word list, other tasks\' runs and inconsistent configs', () => {
    assert.throws(() => classify.fromCheckpoint(bytesOf('classify-afinn'), 'afinn/best.safetensors'),
      /^RecurError: afinn\/best\.safetensors uses the 'afinn' lexicon feature, whose word list \(npm package sentiment\) is not in the checkpoint/);
    assert.throws(() => classify.fromCheckpoint(bytesOf('tag'), 't.safetensors'), /t\.safetensors is a 'tag' run, not a classification run/);
    const labels = edited('classify', (c) => { c.labels = ['a', 'b', 'c']; });
    assert.throws(() => classify.fromCheckpoint(labels, 'x'), /x: config: 3 labels for a model of 2 classes/);
    assert.throws(() => classify.fromCheckpoint(bytesOf('classify').subarray(0, 1000), 'cut'), /^RecurError: cut: /);
    const plain = io.saveSafetensors({ w: tensor([1, 2]) });
    assert.throws(() => classify.fromCheckpoint(plain, 'plain'), /plain: not a recur checkpoint/);
  });
});

describe('tag.fromCheckpoint', () => {
  const run = tag.fromCheckpoint(bytesOf('tag'), 'tag/best.safetensors');
  const TEXT = 'Mayor William Hartsfield of Atlanta met the City Council in Washington on Tuesday with John F. Kennedy.';

  it('splits text into words with their offsets', () => {
    const words = tag.splitWords('"Don\'t," said Mr. O\'Neil -- 1,000.5 well-known U.S. items.');
    assert.deepEqual(tag.splitWords('John F. Kennedy.').map((w) => w.word), ['John', 'F.', 'Kennedy', '.']);
    assert.deepEqual(words.map((w) => w.word), ['"', "Don't", ',', '"', 'said', 'Mr.', "O'Neil", '-', '-', '1,000.5', 'well-known', 'U.S.', 'items', '.']);
    for (const w of words) assert.equal('"Don\'t," said Mr. O\'Neil -- 1,000.5 well-known U.S. items.'.slice(w.start, w.end), w.word);
  });

  it('gives the Node loader\'s tags, and chunks of names', async () => {
    const r = tag.tagText(run, TEXT);
    const node = await tagSentences(loadTaggerRun(`${RUNS}/tag`), [r.words.map((w) => w.word)]);
    assert.deepEqual(r.words.map((w) => w.tag), node[0]);
    assert.ok(r.chunks !== null, 'brown-names has chunk tags');
    const names = r.chunks.map((c) => `${c.type}:${r.words.slice(c.start, c.end).map((w) => w.word).join(' ')}`);
    // The names of the sentence (the fixture's chunk F1 is ~0.73, so not necessarily all of them).
    assert.ok(names.some((n) => /^NAME:.*Hartsfield/.test(n)), names.join(', '));
    assert.ok(names.some((n) => /^NAME:.*Kennedy/.test(n)), names.join(', '));
    assert.deepEqual(tag.tagText(run, '   '), { words: [], chunks: [] });
  });

  it('tags parts of speech (plain tags, no chunks) as the Node loader does', async () => {
    const pos = tag.fromCheckpoint(bytesOf('tag-pos'), 'tag-pos');
    const r = tag.tagText(pos, TEXT);
    assert.equal(r.chunks, null);
    const node = await tagSentences(loadTaggerRun(`${RUNS}/tag-pos`), [r.words.map((w) => w.word)]);
    assert.deepEqual(r.words.map((w) => w.tag), node[0]);
    // Brown's tags for words the fixture cannot miss: 'of' and 'in' prepositions, 'the' article.
    const tagOf = (w: string): string | undefined => r.words.find((x) => x.word === w)?.tag;
    assert.deepEqual([tagOf('of'), tagOf('in'), tagOf('the')], ['in', 'in', 'at']);
  });

  it('refuses other tasks\' runs and vocabularies that do not fit the model', () => {
    assert.throws(() => tag.fromCheckpoint(bytesOf('classify'), 'c'), /c is a 'classify' run, not a tagging run/);
    const bad = edited('tag', (c) => {
      const words = c.words as { tokens: string[]; counts: number[] };
      words.tokens.pop();
      words.counts.pop();
    });
    assert.throws(() => tag.fromCheckpoint(bad, 'w'), /^RecurError: w: config: vocabularies of \d+ words and \d+ characters for a model of/);
  });
});

describe('translate.fromCheckpoint', () => {
  const run = translate.fromCheckpoint(bytesOf('translate'), 'translate/best.safetensors');

  it('gives the Node loader\'s outputs and attention, greedy and beam', async () => {
    const node = loadTranslateRun(`${RUNS}/translate`);
    const src = tokenizerFromJSON(node.config.srcTokenizer), tgt = tokenizerFromJSON(node.config.tgtTokenizer);
    for (const beam of [1, 4]) {
      for (const text of ['recurrent', 'banana', 'philosophy']) {
        const r = await translate.translateText(run, text, { beam });
        const d = node.config.decode;
        const [n] = await translateTexts(node.model, src, tgt, [text], { beam, lengthPenalty: d.lengthPenalty, maxLenA: d.maxLenA, maxLenB: d.maxLenB, attention: true });
        assert.equal(r.text, n!.text, `${text}, beam ${beam}`);
        assert.ok(r.text.length > 0);
        assert.deepEqual(r.sourceTokens, [...text]);
        const rows = r.attention!;
        assert.equal(rows.length, r.targetTokens.length + 1, 'a row per output token and one for </s>');
        rows.forEach((row, i) => {
          close(row, n!.attention![i]!, 1e-5, `attention row ${i}`);
          assert.equal(row.length, text.length);
          assert.ok(Math.abs(row.reduce((s, w) => s + w, 0) - 1) < 1e-4);
        });
      }
    }
  });

  it('refuses other tasks\' runs and tokenizers that do not fit the model', () => {
    assert.throws(() => translate.fromCheckpoint(bytesOf('tag'), 't'), /t is a 'tag' run, not a translation run/);
    const bad = edited('translate', (c) => { c.srcTokenizer = c.tgtTokenizer; });
    assert.throws(() => translate.fromCheckpoint(bad, 's'), /^RecurError: s: config: tokenizers of \d+ and \d+ tokens for a model of/);
  });
});
