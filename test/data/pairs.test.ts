import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadCmudict, parseCmudict } from '../../src/data/cmudict.js';
import { readPairsTsv, splitExamples, type ParallelExample } from '../../src/data/pairs.js';
import { assertThrowsWith } from '../helpers/assert.js';

describe('TSV pairs', () => {
  test('reads source<TAB>target lines, skipping comments and blank lines, ignoring extra columns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-pairs-'));
    const p = join(dir, 'p.tsv');
    writeFileSync(p, '# comment\nGo.\tVe.\tCC-BY 2.0\n\r\nHi.\tHola.\r\n');
    const ex = readPairsTsv(p);
    assert.deepEqual(ex.map((e) => [e.source, e.targets]), [['Go.', ['Ve.']], ['Hi.', ['Hola.']]]);
    assert.equal(ex[1]!.id, `${p}:4`);
  });

  test('errors name the file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-pairs-'));
    const p = join(dir, 'bad.tsv');
    writeFileSync(p, 'a\tb\nno tab here\n');
    assertThrowsWith(() => readPairsTsv(p), `${p}:2: expected 'source<TAB>target', found no tab`);
    writeFileSync(p, 'a\t \n');
    assertThrowsWith(() => readPairsTsv(p), `${p}:1: empty target`);
    assertThrowsWith(() => readPairsTsv(join(dir, 'missing.tsv')), 'pairs file not found');
  });

  test('fixed splits depend only on the keys, keep duplicates together and are never empty', () => {
    const ex: ParallelExample[] = Array.from({ length: 200 }, (_, i) => ({ source: `s${i % 150}`, targets: [`t${i}`], id: String(i) }));
    const a = splitExamples(ex, { valid: 0.05, test: 0.05 });
    const b = splitExamples([...ex].reverse(), { valid: 0.05, test: 0.05 });
    const ids = (xs: ParallelExample[]): string[] => xs.map((e) => e.id).sort();
    assert.deepEqual(ids(a.test), ids(b.test));
    assert.deepEqual(ids(a.valid), ids(b.valid));
    assert.equal(a.train.length + a.valid.length + a.test.length, 200);
    const where = new Map<string, string>();
    for (const [name, xs] of Object.entries(a)) for (const e of xs as ParallelExample[]) {
      assert.ok(!where.has(e.source) || where.get(e.source) === name, `${e.source} in two splits`);
      where.set(e.source, name);
    }
    const tiny = splitExamples(ex.slice(0, 3), { valid: 0.01, test: 0.01 });
    assert.deepEqual([tiny.train.length, tiny.valid.length, tiny.test.length], [1, 1, 1]);
  });
});

describe('CMUdict', () => {
  test('parses entries, merges alternatives, drops stress and non-word spellings', () => {
    const e = parseCmudict('READ  R EH1 D\nREAD(1)  R IY1 D\nREADS(1)  R EH1 D Z\nA.  EY1\nAIR_FORCE  EH1 R\nLIVE  L IH1 V\nLIVE(1)  L IH0 V\n');
    assert.deepEqual(e, [
      { word: 'read', pronunciations: [['R', 'EH', 'D'], ['R', 'IY', 'D']] },
      { word: 'reads', pronunciations: [['R', 'EH', 'D', 'Z']] },
      { word: 'live', pronunciations: [['L', 'IH', 'V']] },
    ]);
    assert.deepEqual(parseCmudict('LIVE  L IH1 V\n', { stress: true })[0]!.pronunciations, [['L', 'IH1', 'V']]);
    assertThrowsWith(() => parseCmudict('A\n', {}, 'x.txt'), "x.txt:1: expected 'WORD  PHONEMES'");
  });

  test('the npm package: ~125k words of letters and apostrophes, 39 phonemes', () => {
    const d = loadCmudict();
    assert.ok(d.length > 120_000 && d.length < 130_000, `${d.length} words`);
    assert.ok(d.every((e) => /^[a-z']+$/.test(e.word)));
    const phones = new Set(d.flatMap((e) => e.pronunciations.flat()));
    assert.equal(phones.size, 39);
    assert.deepEqual(d.find((e) => e.word === 'cat')!.pronunciations, [['K', 'AE', 'T']]);
  });
});
