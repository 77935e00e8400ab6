import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTextCorpus } from '../../data/corpora.js';
import { splitContiguous } from '../../data/streams.js';
import { RecurError } from '../../errors.js';
import { prepareClassifyData } from '../../tasks/classify/data.js';
import { loadTagSplits, normalizeChunkTags, type TaggedSentence } from '../../tasks/tag/data.js';
import { loadDataset } from '../../tasks/translate/data.js';
import type { ParallelExample } from '../../data/pairs.js';
import type { AnyRun } from '../runs.js';

/** The folder under the export that holds the data; train_ddp.py reads DIR/data/train.* when --data is not given. */
export const RUN_DATA_DIR = 'data';

/**
 * `recur export torch RUN --out DIR --with-data`: the run's training and validation data, rebuilt
 * as the run's task rebuilds it (built-in corpora included, same splits), in the file formats
 * train_ddp.py reads, so that a run on a named data set can be continued in PyTorch:
 *
 * | task      | files                         | as                                                      |
 * |-----------|-------------------------------|---------------------------------------------------------|
 * | lm        | train.txt, valid.txt          | the text the run's tokenizer encoded, contiguous split   |
 * | classify  | train.jsonl, valid.jsonl      | one {text, label} object per example (keys: the run's columns) |
 * | tag       | train.conll, valid.conll      | word<TAB>tag per line (tag at the run's tag column), blank line between sentences |
 * | translate | train.tsv, valid.tsv          | source<TAB>target per line, one per target; swapped back for a --reverse run |
 */
export function writeRunData(run: AnyRun, out: string): string[] {
  const dir = join(out, RUN_DATA_DIR);
  mkdirSync(dir, { recursive: true });
  const files = runDataFiles(run);
  const names: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    names.push(join(RUN_DATA_DIR, name));
  }
  return names;
}

function runDataFiles(run: AnyRun): Record<string, string> {
  switch (run.task) {
    case 'lm': {
      // The same cut as src/tasks/lm/data.ts prepareLmData, so train.txt encodes to the run's training ids.
      const c = run.config;
      const parts = splitContiguous(loadTextCorpus(c.corpus), { valid: c.valid ? 0 : 0.05, test: c.valid || c.test ? 0 : 0.05 });
      return { 'train.txt': parts.train, 'valid.txt': c.valid ? loadTextCorpus(c.valid) : parts.valid };
    }
    case 'classify': {
      const c = run.config;
      const { examples, split } = prepareClassifyData(c.data, c.labels);
      const tk = String(c.data.textColumn ?? 'text'), lk = String(c.data.labelColumn ?? 'label');
      const jsonl = (idx: readonly number[]): string => idx.map((i) => `${JSON.stringify({ [tk]: examples[i]!.text, [lk]: examples[i]!.label })}\n`).join('');
      return { 'train.jsonl': jsonl(split.train), 'valid.jsonl': jsonl(split.valid) };
    }
    case 'tag': {
      const c = run.config;
      const raw = loadTagSplits(c.data);
      const scheme = c.model.scheme;
      const norm = (s: TaggedSentence[]): TaggedSentence[] => (scheme === 'none' ? s : normalizeChunkTags(s, scheme));
      const col = c.data.tagColumn ?? -1;
      return { 'train.conll': conll(norm(raw.train), col), 'valid.conll': conll(norm(raw.valid), col) };
    }
    case 'translate': {
      const c = run.config;
      const { splits } = loadDataset(c.data, c.reverse);
      return { 'train.tsv': pairs(splits.train, c.reverse, true), 'valid.tsv': pairs(splits.valid, c.reverse, false) };
    }
  }
}

/** word<TAB>tag lines; with a tag column n >= 2 the tag is put at column n (train_ddp.py reads the run's column). */
function conll(sentences: readonly TaggedSentence[], tagColumn: number): string {
  const fill = tagColumn > 1 ? Array<string>(tagColumn - 1).fill('_') : [];
  return sentences.map((s) => s.words.map((w, i) => {
    if (/[\t\n\r]/.test(w) || w.startsWith('-DOCSTART-')) throw new RecurError(`${s.where}: word ${JSON.stringify(w)} cannot be written as a CoNLL line`);
    return `${[w, ...fill, s.tags[i]!].join('\t')}\n`;
  }).join('')).join('\n');
}

/** source<TAB>target lines (every target of a training example, the first of a held-out one). */
function pairs(examples: readonly ParallelExample[], reverse: boolean, allTargets: boolean): string {
  const lines: string[] = [];
  for (const e of examples) {
    for (const t of allTargets ? e.targets : e.targets.slice(0, 1)) {
      // train_ddp.py swaps the columns of a --reverse run back, as recur's loader does.
      const [a, b] = reverse ? [t, e.source] : [e.source, t];
      if (/[\t\n\r]/.test(a + b) || a.startsWith('#')) throw new RecurError(`${e.id}: the pair cannot be written as a source<TAB>target line`);
      lines.push(`${a}\t${b}\n`);
    }
  }
  return lines.join('');
}
