import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RecurError } from '../../src/errors.js';
import { loadBrown, loadBrownSentences, loadMobyDick, loadSotu, loadSotuSpeeches, loadTextCorpus } from '../../src/data/corpora.js';
import { CorpusError } from '../../src/data/corpus-error.js';
import { firstBinaryByte, SNIFF_BYTES } from '../../src/data/text-file.js';

const words = (s: string): number => s.split(/\s+/).filter((w) => w.length > 0).length;

describe('built-in corpora', () => {
  it('Moby-Dick: the whole book, ~1.2M characters', () => {
    const text = loadMobyDick();
    assert.ok(text.length > 1_150_000 && text.length < 1_300_000, `${text.length} chars`);
    assert.ok(text.startsWith('CONTENTS'));
    assert.ok(text.includes('CHAPTER 1. Loomings.\n\nCall me Ishmael.'));
    assert.ok(text.trimEnd().endsWith('only found another orphan.'));
    assert.equal(loadTextCorpus('moby-dick'), text);
  });

  it('State of the Union: 233 speeches, more than a million words', () => {
    const speeches = loadSotuSpeeches();
    assert.equal(speeches.length, 233);
    assert.deepEqual([speeches[0]!.year, speeches[0]!.name], [1790, 'George Washington']);
    assert.ok(speeches.every((s, i) => i === 0 || s.year >= speeches[i - 1]!.year));
    const text = loadSotu();
    assert.equal(text.split('\n').length, 233);
    assert.ok(words(text) > 1_000_000, `${words(text)} words`);
  });

  it('Brown: 57,340 tagged sentences, 1,161,192 tokens, tags stripped in the plain text', () => {
    const sents = loadBrownSentences();
    assert.equal(sents.length, 57_340);
    assert.deepEqual(sents[0]!.words.slice(0, 5), ['The', 'Fulton', 'County', 'Grand', 'Jury']);
    assert.deepEqual(sents[0]!.tags.slice(0, 5), ['at', 'np-tl', 'nn-tl', 'jj-tl', 'nn-tl']);
    assert.ok(sents.every((s) => s.words.length === s.tags.length && s.tags.every((t) => t.length > 0)));
    const text = loadBrown();
    const lines = text.split('\n');
    assert.equal(lines.length, 57_340);
    assert.equal(words(text), 1_161_192);
    assert.ok(lines[0]!.startsWith('The Fulton County Grand Jury said Friday an investigation of'));
    assert.ok(!/\/(nn|at|vbd|np)\b/.test(text.slice(0, 100_000)), 'POS tags left in the text');
  });
});

describe('loadTextCorpus on user files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-corpus-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, data: string | Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };

  it('reads a text file, dropping a BOM and normalising CRLF', () => {
    assert.equal(loadTextCorpus(file('crlf.txt', '\uFEFFone\r\ntwo\r\n')), 'one\ntwo\n');
  });

  it('reads a folder of .txt files in sorted order, joined by newlines', () => {
    const folder = join(dir, 'books');
    mkdirSync(folder);
    writeFileSync(join(folder, 'b.txt'), 'second');
    writeFileSync(join(folder, 'a.txt'), 'first');
    writeFileSync(join(folder, 'c.md'), 'ignored');
    writeFileSync(join(folder, 'empty.txt'), '');
    assert.equal(loadTextCorpus(folder), 'first\nsecond');
  });

  it('reports a missing file', () => {
    const p = join(dir, 'nope.txt');
    assert.throws(() => loadTextCorpus(p), (e: unknown) => {
      assert.ok(e instanceof CorpusError && e instanceof RecurError);
      assert.equal(e.message, `corpus file not found: ${p}`);
      assert.equal(e.path, p);
      return true;
    });
  });

  it('reports an empty file or folder', () => {
    const p = file('empty.txt', '');
    assert.throws(() => loadTextCorpus(p), { message: `corpus is empty: ${p}` });
    const blank = file('blank.txt', ' \n\t\n');
    assert.throws(() => loadTextCorpus(blank), { message: `corpus is empty: ${blank}` });
    const folder = join(dir, 'nothing');
    mkdirSync(folder);
    assert.throws(() => loadTextCorpus(folder), /^CorpusError: corpus is empty: .*nothing \(no non-empty .txt files/);
  });

  it('reports binary data with its offset', () => {
    const nul = file('nul.bin', Uint8Array.from([104, 105, 32, 116, 104, 0, 1, 2]));
    assert.throws(() => loadTextCorpus(nul), { message: `not a text file: ${nul} (binary data at byte 5)` });
    const latin1 = file('latin1.txt', Uint8Array.from([99, 97, 102, 0xe9, 33]));
    assert.throws(() => loadTextCorpus(latin1), { message: `not a text file: ${latin1} (binary data at byte 3)` });
    const folder = join(dir, 'mixed');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.txt'), 'fine');
    writeFileSync(join(folder, 'b.txt'), Uint8Array.from([0xff, 0xfe, 0]));
    assert.throws(() => loadTextCorpus(folder), { message: `not a text file: ${join(folder, 'b.txt')} (binary data at byte 0)` });
  });

  it('sniffs only the first 64 KB, and tolerates a character cut by that boundary', () => {
    const euro = new TextEncoder().encode('€'); // 3 bytes
    const big = new Uint8Array(SNIFF_BYTES + 10).fill(97);
    big.set(euro, SNIFF_BYTES - 1);
    big[SNIFF_BYTES + 5] = 0xff; // past the window: decoded as U+FFFD, not rejected
    const text = loadTextCorpus(file('big.txt', big));
    assert.equal(text.length, SNIFF_BYTES + 8); // 3 bytes of € make one character
    assert.equal(text[SNIFF_BYTES - 1], '€');
    assert.ok(text.includes('\uFFFD'));
  });
});

describe('firstBinaryByte', () => {
  const at = (bytes: number[], truncated = false): number => firstBinaryByte(Uint8Array.from(bytes), truncated);
  it('accepts valid UTF-8 and rejects overlong, surrogate and out-of-range forms', () => {
    assert.equal(firstBinaryByte(new TextEncoder().encode('héllo 世界 😀')), -1);
    assert.equal(at([0x41, 0xc0, 0x80]), 1); // overlong NUL
    assert.equal(at([0xe0, 0x80, 0x80]), 0); // overlong 3-byte
    assert.equal(at([0x41, 0x41, 0xed, 0xa0, 0x80]), 2); // UTF-16 surrogate
    assert.equal(at([0xf4, 0x90, 0x80, 0x80]), 0); // above U+10FFFF
    assert.equal(at([0x80]), 0); // stray continuation byte
    assert.equal(at([0x41, 0xe2, 0x82]), 1); // cut off at end of file
    assert.equal(at([0x41, 0xe2, 0x82], true), -1); // cut off at end of the sniffed window
  });
});
