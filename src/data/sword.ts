/**
 * A reader for SWORD "zText" Bible modules (the format of Debian's sword-text-* packages),
 * and the English–Spanish verse pairs built from two of them.
 *
 * A zText module keeps each testament in three files:
 *
 * | file | entries | meaning |
 * |---|---|---|
 * | `ot.bzs` / `nt.bzs` | 12 bytes: u32 offset, u32 compressed size, u32 uncompressed size | one zlib block of the `.bzz` file |
 * | `ot.bzv` / `nt.bzv` | 10 bytes: u32 block, u32 offset, u16 size | one verse slot: bytes [offset, offset+size) of the inflated block |
 * | `ot.bzz` / `nt.bzz` | zlib streams | the OSIS markup, block after block |
 *
 * All little-endian. Slot order is fixed by the versification: slot 0 is empty, slot 1 the
 * testament heading, then for each book a book-heading slot, and for each chapter a
 * chapter-heading slot followed by one slot per verse. Two modules with the same
 * versification therefore line up slot by slot; KJV and Reina-Valera 1909 both use KJV's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { CorpusError } from './corpus-error.js';

export type Testament = 'ot' | 'nt';

/** Markup of every slot of one testament, in slot order (empty string for an empty slot). */
export function readZTextTestament(dir: string, testament: Testament): string[] {
  const path = (ext: string): string => join(dir, `${testament}.${ext}`);
  for (const ext of ['bzs', 'bzv', 'bzz']) {
    if (!existsSync(path(ext))) throw new CorpusError(`zText module: missing ${path(ext)}`, dir);
  }
  const bzs = readFileSync(path('bzs')), bzv = readFileSync(path('bzv')), bzz = readFileSync(path('bzz'));
  if (bzs.length % 12 !== 0) throw new CorpusError(`${path('bzs')}: size ${bzs.length} is not a multiple of 12 (u32 offset, u32 size, u32 uncompressed size)`, dir);
  if (bzv.length % 10 !== 0) throw new CorpusError(`${path('bzv')}: size ${bzv.length} is not a multiple of 10 (u32 block, u32 offset, u16 size)`, dir);

  const blocks: Array<Buffer | null> = new Array<Buffer | null>(bzs.length / 12).fill(null);
  const block = (b: number): Buffer => {
    const cached = blocks[b];
    if (cached) return cached;
    const off = bzs.readUInt32LE(b * 12), size = bzs.readUInt32LE(b * 12 + 4), usize = bzs.readUInt32LE(b * 12 + 8);
    if (off + size > bzz.length) throw new CorpusError(`${path('bzs')}: block ${b} [${off}, ${off + size}) runs past the end of ${path('bzz')} (${bzz.length} bytes)`, dir);
    let data: Buffer;
    try {
      data = inflateSync(bzz.subarray(off, off + size));
    } catch {
      throw new CorpusError(`${path('bzz')}: block ${b} at byte ${off} is not a valid zlib stream`, dir);
    }
    if (data.length !== usize) throw new CorpusError(`${path('bzz')}: block ${b} inflates to ${data.length} bytes, index says ${usize}`, dir);
    blocks[b] = data;
    return data;
  };

  const out: string[] = [];
  const n = bzv.length / 10;
  for (let i = 0; i < n; i++) {
    const b = bzv.readUInt32LE(i * 10), off = bzv.readUInt32LE(i * 10 + 4), size = bzv.readUInt16LE(i * 10 + 8);
    if (size === 0) {
      out.push('');
      continue;
    }
    if (b >= blocks.length) throw new CorpusError(`${path('bzv')}: slot ${i} points at block ${b}, but ${path('bzs')} has ${blocks.length}`, dir);
    const data = block(b);
    if (off + size > data.length) throw new CorpusError(`${path('bzv')}: slot ${i} [${off}, ${off + size}) runs past block ${b} (${data.length} bytes)`, dir);
    out.push(data.toString('utf8', off, off + size));
  }
  return out;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Plain text of one slot's OSIS markup: footnotes, cross-references and editorial titles are
 * dropped with their content (they are not part of the verse; canonical titles such as the
 * psalm superscriptions are kept), every other tag is removed keeping
 * its text (words, added words, divine names, quotes), entities are decoded, paragraph signs
 * removed and whitespace collapsed.
 */
export function osisToText(markup: string): string {
  return markup
    .replace(/<note\b[^>]*\/>/g, '')
    .replace(/<note\b[^>]*>[\s\S]*?<\/note>/g, '')
    .replace(/<title\b[^>]*\/>/g, '')
    .replace(/<title\b([^>]*)>[\s\S]*?<\/title>/g, (m, attrs: string) => (/canonical="true"/.test(attrs) ? m : ''))
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
      if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
      if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
      return ENTITIES[e] ?? m;
    })
    .replace(/¶/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface Verse {
  /** Slot index within its testament's index (the alignment key). */
  slot: number;
  testament: Testament;
  /** OSIS reference such as `Gen.1.1`, from the book and chapter markers seen before it. */
  ref: string;
  text: string;
}

/**
 * The verses of a module, both testaments (a missing testament is skipped), with
 * references. Slots that carry a book or chapter marker are headings, not verses.
 */
export function readZTextVerses(dir: string): Verse[] {
  const out: Verse[] = [];
  let found = 0;
  for (const testament of ['ot', 'nt'] as const) {
    if (!existsSync(join(dir, `${testament}.bzv`))) continue;
    found++;
    let book = '?', chapter = 0, verse = 0;
    readZTextTestament(dir, testament).forEach((markup, slot) => {
      // A book's opening marker (its closing one, with eID, ends the book's last verse).
      const bookM = [...markup.matchAll(/<div\b[^>]*\btype="book"[^>]*>/g)].find((m) => !/\beID=/.test(m[0]));
      const chapM = /<chapter\b[^>]*\bosisID="([^"]+)"/.exec(markup);
      if (bookM) {
        book = /\bosisID="([^"]+)"/.exec(bookM[0])?.[1] ?? book;
        chapter = 0;
      }
      if (chapM) {
        const parts = chapM[1]!.split('.');
        book = parts[0] ?? book;
        chapter = Number(parts[1] ?? chapter + 1);
        verse = 0;
        return;
      }
      if (bookM || slot < 2) return;
      verse++;
      out.push({ slot, testament, ref: `${book}.${chapter}.${verse}`, text: osisToText(markup) });
    });
  }
  if (found === 0) throw new CorpusError(`not a zText module: no ot.bzv or nt.bzv in ${dir}`, dir);
  return out;
}

export interface VersePair {
  ref: string;
  source: string;
  target: string;
}

/**
 * Verse pairs of two modules with the same versification, matched slot by slot; pairs where
 * either side is empty (a verse one translation omits or merges into its neighbour) are skipped.
 */
export function alignVerses(source: readonly Verse[], target: readonly Verse[]): VersePair[] {
  const key = (v: Verse): string => `${v.testament}:${v.slot}`;
  const tgt = new Map(target.map((v) => [key(v), v] as const));
  const out: VersePair[] = [];
  for (const s of source) {
    const t = tgt.get(key(s));
    if (t && s.text.length > 0 && t.text.length > 0) out.push({ ref: s.ref, source: s.text, target: t.text });
  }
  return out;
}

/** Where Debian's packages install the modules. */
export const SWORD_ROOT = '/usr/share/sword';
export const KJV_MODULE = 'modules/texts/ztext/engKJV2006eb';
export const SPARV_MODULE = 'modules/texts/ztext/spaRV1909eb';
export const SWORD_APT_HINT = 'apt-get install sword-text-kjv sword-text-sparv';

/** True when both Debian modules are installed (tests that need them skip otherwise). */
export function hasKjvSpanish(root = SWORD_ROOT): boolean {
  return existsSync(join(root, KJV_MODULE, 'ot.bzv')) && existsSync(join(root, SPARV_MODULE, 'ot.bzv'));
}

/**
 * King James Version (English) ↔ Reina-Valera 1909 (Spanish), ~31k verse pairs in canonical
 * order, from Debian's sword-text-kjv and sword-text-sparv. Throws a CorpusError naming the
 * apt-get line when they are not installed.
 */
export function loadKjvSpanish(root = SWORD_ROOT): VersePair[] {
  for (const m of [KJV_MODULE, SPARV_MODULE]) {
    if (!existsSync(join(root, m))) {
      throw new CorpusError(`the KJV/Reina-Valera corpus needs the SWORD modules in ${join(root, m)}: run \`${SWORD_APT_HINT}\` (as root)`, join(root, m));
    }
  }
  return alignVerses(readZTextVerses(join(root, KJV_MODULE)), readZTextVerses(join(root, SPARV_MODULE)));
}
