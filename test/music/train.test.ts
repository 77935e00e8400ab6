import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { loadMusicSplits } from '../../src/tasks/music/data.js';
import { trainMusic, type MusicTrainOptions } from '../../src/tasks/music/train.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';

const base = (repr: 'events' | 'pianoroll', out: string): MusicTrainOptions => ({
  data: join(FIXTURES_DIR, 'midi'), repr, grid: 'sixteenth', output: 'made', madeHidden: 8, cell: 'lstm', layers: 1, hidden: 12,
  embed: 6, dropout: 0.1, augment: true, batch: 2, bptt: 8, lr: 0.01, optimizer: 'adam', clip: 1, evalEvery: 5, seed: 4, out, resume: false,
});

// Augmentation is redrawn each epoch from (seed, epoch): a resumed run must redraw the same
// transpositions and stretches, and the event task's carried state must survive the checkpoint.
for (const repr of ['events', 'pianoroll'] as const) {
  test(`${repr}: 8 steps + resume to 16 gives the weights of 16 straight steps (augmentation on, across epochs)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-music-resume-'));
    const straight = join(dir, 'straight'), split = join(dir, 'split');
    await trainMusic({ ...base(repr, straight), steps: 16 });
    await trainMusic({ ...base(repr, split), steps: 8 });
    await trainMusic({ ...base(repr, split), steps: 16, resume: true, seed: 99 });
    const a = loadCheckpoint(straight, 'last'), b = loadCheckpoint(split, 'last');
    assert.ok((a.state as { epoch: number }).epoch >= 2, `only ${(a.state as { epoch: number }).epoch} epochs: the test must cross epochs`);
    for (const [name, t] of a.weights) assert.deepEqual(b.weights.get(name)!.data, t.data, `${name} differs after resume`);
  });
}

test('--valid DIR: all of --data trains, the test files are --test\'s only', () => {
  const data = join(FIXTURES_DIR, 'midi');
  const one = join(data, 'drums.mid');
  const s = loadMusicSplits({ data, valid: one });
  assert.deepEqual([s.train.length, s.valid.length, s.test.length], [3, 1, 0]);
  const t = loadMusicSplits({ data, valid: one, test: join(data, 'running-status.mid') });
  assert.deepEqual(t.test.map((f) => f.name), ['running-status.mid']);
  const fixed = loadMusicSplits({ data, test: one });
  assert.deepEqual([fixed.train.length, fixed.valid.length, fixed.test.map((f) => f.name)], [1, 1, ['drums.mid']]);
});
