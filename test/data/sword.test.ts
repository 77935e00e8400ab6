import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { alignVerses, hasKjvSpanish, loadKjvSpanish, osisToText, readZTextTestament, readZTextVerses } from '../../src/data/sword.js';
import { assertThrowsWith } from '../helpers/assert.js';

/**
 * Writes a zText testament: slots are grouped into zlib blocks of `perBlock` slots, the .bzs
 * index holds (offset, compressed size, uncompressed size) per block, the .bzv index
 * (block, offset, size) per slot — the layout SWORD's zText driver reads.
 */
function writeZText(dir: string, testament: 'ot' | 'nt', slots: string[], perBlock: number): void {
  const bzs: Buffer[] = [], bzv: Buffer[] = [], bzz: Buffer[] = [];
  let zOff = 0;
  for (let b = 0; b * perBlock < slots.length; b++) {
    const group = slots.slice(b * perBlock, (b + 1) * perBlock).map((s) => Buffer.from(s, 'utf8'));
    let off = 0;
    for (const g of group) {
      const e = Buffer.alloc(10);
      e.writeUInt32LE(g.length ? b : 0, 0);
      e.writeUInt32LE(g.length ? off : 0, 4);
      e.writeUInt16LE(g.length, 8);
      bzv.push(e);
      off += g.length;
    }
    const raw = Buffer.concat(group), z = deflateSync(raw);
    const s = Buffer.alloc(12);
    s.writeUInt32LE(zOff, 0);
    s.writeUInt32LE(z.length, 4);
    s.writeUInt32LE(raw.length, 8);
    bzs.push(s);
    bzz.push(z);
    zOff += z.length;
  }
  writeFileSync(join(dir, `${testament}.bzs`), Buffer.concat(bzs));
  writeFileSync(join(dir, `${testament}.bzv`), Buffer.concat(bzv));
  writeFileSync(join(dir, `${testament}.bzz`), Buffer.concat(bzz));
}

/** Two tiny modules with KJV-style slot layout: empty, testament heading, book heading, chapter heading, verses. */
function fixture(): { en: string; es: string } {
  const root = mkdtempSync(join(tmpdir(), 'recur-sword-'));
  const en = join(root, 'en'), es = join(root, 'es');
  mkdirSync(en);
  mkdirSync(es);
  writeZText(en, 'ot', [
    '', '<milestone type="x-importer"/>',
    '<div osisID="Gen" type="book"/> <title type="main">Genesis</title>',
    '<chapter n="1" osisID="Gen.1" sID="Gen.1"/> ',
    'In the <w lemma="strong:H7225">beginning</w> God created the heaven and the earth.',
    '¶ And God said, Let there be light: <transChange type="added">and</transChange> there was light.<note placement="foot">Or, <reference>1.3</reference> be</note>',
    '<chapter n="2" osisID="Gen.2" sID="Gen.2"/>',
    '<title canonical="true" type="psalm">A Psalm.</title> Thus the heavens &amp; the earth were finished.',
    'An English verse the other side lacks.',
  ], 3);
  writeZText(es, 'ot', [
    '', '<milestone type="x-importer"/>',
    '<div osisID="Gen" type="book"/><title>Génesis</title>',
    '<chapter n="1" osisID="Gen.1" sID="Gen.1"/>',
    '<w lemma="strong:H7225">EN el principio</w> crió Dios los cielos y la tierra.',
    'Y dijo Dios: Sea la luz: y fué la luz.',
    '<chapter n="2" osisID="Gen.2" sID="Gen.2"/>',
    'Y fueron acabados los cielos y la tierra.',
    '',
  ], 4);
  writeZText(en, 'nt', ['', '', '<div osisID="Matt" type="book"/>', '<chapter osisID="Matt.1"/>', 'The book of the generation of Jesus Christ.'], 2);
  writeZText(es, 'nt', ['', '', '<div osisID="Matt" type="book"/>', '<chapter osisID="Matt.1"/>', 'LIBRO de la generación de Jesucristo.'], 5);
  return { en, es };
}

describe('SWORD zText reader', () => {
  test('reads slots across zlib blocks, with empty slots', () => {
    const { en } = fixture();
    const slots = readZTextTestament(en, 'ot');
    assert.equal(slots.length, 9);
    assert.equal(slots[0], '');
    assert.equal(slots[3], '<chapter n="1" osisID="Gen.1" sID="Gen.1"/> ');
    assert.ok(slots[5]!.startsWith('¶ And God said'));
  });

  test('strips OSIS markup: keeps words, added words and canonical titles; drops notes and editorial titles', () => {
    assert.equal(osisToText('¶ And God said, Let there be light: <transChange type="added">and</transChange> there was light.<note placement="foot">Or, be</note>'),
      'And God said, Let there be light: and there was light.');
    assert.equal(osisToText('<title canonical="true" type="psalm">A Psalm.</title> X &amp; Y &#233;'), 'A Psalm. X & Y é');
    assert.equal(osisToText('<div type="book"/> <title type="main">Genesis</title>'), '');
  });

  test('verses get references from the book and chapter markers; modules align slot by slot', () => {
    const { en, es } = fixture();
    const v = readZTextVerses(en);
    assert.deepEqual(v.map((x) => x.ref), ['Gen.1.1', 'Gen.1.2', 'Gen.2.1', 'Gen.2.2', 'Matt.1.1']);
    const pairs = alignVerses(v, readZTextVerses(es));
    assert.deepEqual(pairs.map((p) => p.ref), ['Gen.1.1', 'Gen.1.2', 'Gen.2.1', 'Matt.1.1'], 'the verse Spanish lacks is skipped');
    assert.deepEqual(pairs[0], { ref: 'Gen.1.1', source: 'In the beginning God created the heaven and the earth.', target: 'EN el principio crió Dios los cielos y la tierra.' });
    assert.equal(pairs[2]!.source, 'A Psalm. Thus the heavens & the earth were finished.');
  });

  test('damaged modules give errors naming the file', () => {
    const { en } = fixture();
    writeFileSync(join(en, 'ot.bzs'), Buffer.alloc(13));
    assertThrowsWith(() => readZTextTestament(en, 'ot'), 'ot.bzs: size 13 is not a multiple of 12');
    const empty = mkdtempSync(join(tmpdir(), 'recur-sword-empty-'));
    assertThrowsWith(() => readZTextVerses(empty), 'not a zText module: no ot.bzv or nt.bzv in');
    assertThrowsWith(() => loadKjvSpanish(empty), 'apt-get install sword-text-kjv sword-text-sparv');
  });

  test('Debian KJV and Reina-Valera 1909: ~31k aligned verse pairs', { skip: hasKjvSpanish() ? false : 'sword-text-kjv / sword-text-sparv not installed (apt-get install sword-text-kjv sword-text-sparv)' }, () => {
    const pairs = loadKjvSpanish();
    assert.ok(pairs.length > 30_000 && pairs.length < 31_200, `${pairs.length} pairs`);
    assert.deepEqual(pairs[0], { ref: 'Gen.1.1', source: 'In the beginning God created the heaven and the earth.', target: 'EN el principio crió Dios los cielos y la tierra.' });
    assert.equal(pairs[pairs.length - 1]!.ref, 'Rev.22.21');
    assert.ok(pairs.every((p) => !/[<>]/.test(p.source + p.target)), 'no markup left');
  });
});
