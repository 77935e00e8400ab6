import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { RecurError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { hasCheckpoint } from '../train/checkpoint.js';
import { installNodeGc } from '../train/node-gc.js';
import { loadMidiFolder } from '../music/corpus.js';
import { readMidi, tempoMap, writeMidi } from '../music/midi.js';
import { GRIDS, pianoRoll } from '../music/pianoroll.js';
import { RENDER_APT, renderWav } from '../music/render.js';
import { musicStats } from '../music/stats.js';
import { timedNotes } from '../music/timed.js';
import { CELL_KINDS } from '../nn/index.js';
import { MAX_FPS, MIN_FPS } from '../tasks/music/check.js';
import { composeEvents, composeRoll, type Composition } from '../tasks/music/compose.js';
import { loadMusicRun, REPRS, type MusicRunConfig } from '../tasks/music/run.js';
import { loadMusicSplits, piecesOf } from '../tasks/music/data.js';
import { evaluateMusic } from '../tasks/music/evaluate.js';
import { ROLL_OUTPUTS, type PianoRollModel } from '../tasks/music/model.js';
import { pianoRollSvg, statsTable } from '../tasks/music/report.js';
import { trainMusic, type MusicTrainOptions } from '../tasks/music/train.js';
import type { LanguageModel } from '../tasks/lm/model.js';
import { choiceArg, intArg, numArg } from './args.js';
import { registerEvaluator, runTask, type EvalOptions } from './eval.js';
import { registerReportSection } from './report.js';
import { addTrainOptions, cliHooks, savedLine, trainOptions, type TrainFlagDefaults } from './train-options.js';

const warnSkip = (path: string, reason: string): void => {
  process.stderr.write(`recur: warning: skipped ${path}: ${reason}\n`);
};

const MUSIC_DEFAULTS: TrainFlagDefaults = { lr: 0.002, epochs: 1 };

function registerTrain(train: Command): void {
  addTrainOptions(train
    .command('music')
    .description('train a music model on MIDI files (performance events or piano roll)')
    .requiredOption('--data <dir>', 'folder of .mid files (searched recursively), a .mid file, or debian / openmsx / planetblupi')
    .option('--valid <dir>', 'held-out MIDI folder (default: the fixed split by file of --data)')
    .option('--test <dir>', 'test MIDI folder')
    .option('--repr <repr>', 'events or pianoroll', choiceArg('repr', REPRS), 'events')
    .option('--grid <grid>', 'piano roll: one frame per quarter, eighth or sixteenth note', choiceArg('grid', GRIDS), 'sixteenth')
    .option('--fps <n>', 'piano roll: fixed frame rate instead of a beat grid', numArg('fps', MIN_FPS, MAX_FPS))
    .option('--output <kind>', 'piano roll: bernoulli (independent keys) or made (autoregressive over keys)', choiceArg('output', ROLL_OUTPUTS), 'bernoulli')
    .option('--made-hidden <n>', 'piano roll: hidden units of the made output', intArg('made-hidden', 1), 100)
    .option('--cell <cell>', CELL_KINDS.join(', '), choiceArg('cell', CELL_KINDS), 'lstm')
    .option('--layers <n>', 'recurrent layers', intArg('layers', 1), 2)
    .option('--hidden <n>', 'hidden size', intArg('hidden', 1), 256)
    .option('--embed <n>', 'events: embedding size', intArg('embed', 1), 64)
    .option('--dropout <p>', 'dropout', numArg('dropout', 0, 0.99), 0.1)
    .option('--no-augment', 'no transposition (±6) / time-stretch (±5%) augmentation')
    .option('--batch <n>', 'batch size', intArg('batch', 1), 32)
    .option('--bptt <n>', 'truncated-BPTT window (events) or frames per chunk (piano roll)', intArg('bptt', 1), 128), MUSIC_DEFAULTS)
    .action(async (opts: MusicTrainOptions, cmd: Command) => {
      const o = trainOptions(cmd, opts, MUSIC_DEFAULTS);
      const h = cliHooks(o, o.repr === 'events' ? 'ev' : 'frm');
      const r = await trainMusic({
        ...o, onSkip: warnSkip,
        onData: (d) => console.log(`MIDI files: ${d.train} train, ${d.valid} valid, ${d.test} test${d.skipped ? `; ${d.skipped} skipped (unreadable)` : ''}`),
      }, h.onEvent, h.signal);
      console.log(savedLine(o, r));
    });
}

async function evalMusic(dir: string, o: EvalOptions): Promise<void> {
  const { model, config } = loadMusicRun(dir);
  let files, what;
  if (o.data) {
    const f = loadMidiFolder(o.data, { drums: 'drop', onSkip: warnSkip });
    if (f.skipped.length) console.log(`${f.skipped.length} file(s) skipped (unreadable)`);
    files = f.files;
    what = o.data;
  } else {
    if (o.split === 'test' && config.valid && !config.test) {
      throw new RecurError(`${dir} was trained with --valid and no --test, so it has no test files: pass --data DIR or --split valid`);
    }
    files = loadMusicSplits(config, warnSkip)[o.split];
    what = `${config.data} ${o.split}`;
  }
  if (files.length === 0) throw new RecurError(`no readable MIDI files in '${what}'`);
  const r = await evaluateMusic(model, config, files);
  if (config.repr === 'events') {
    console.log(`${what}: ${files.length} files, ${r.metrics.events} events`);
    console.log(`NLL ${r.loss.toFixed(4)} nats/event | perplexity ${r.metrics.perplexity!.toFixed(3)}`);
  } else {
    console.log(`${what}: ${files.length} files, ${r.metrics.frames} frames`);
    console.log(`NLL ${r.loss.toFixed(4)} nats/frame | frame accuracy ${r.metrics.frame_accuracy!.toFixed(4)}`);
  }
}

interface ComposeCliOptions {
  primer?: string;
  seconds?: number;
  frames?: number;
  temperature: number;
  topP: number;
  maxNoteSeconds?: number;
  seed: number;
  out: string;
  wav?: string;
}

/** Samples from a music run (shared by `recur compose` and the report). */
export function composeFromRun(model: LanguageModel | PianoRollModel, config: MusicRunConfig, o: Omit<ComposeCliOptions, 'out' | 'primer'> & { primer?: Uint8Array; primerName?: string }): Composition & { primerFrames?: number } {
  const primer = o.primer ? readMidi(o.primer, o.primerName ?? 'primer', { drums: 'drop' }) : null;
  const common = { primer, temperature: o.temperature, topP: o.topP, seed: o.seed, ...(o.maxNoteSeconds !== undefined ? { maxNoteSeconds: o.maxNoteSeconds } : {}), ...(o.seconds !== undefined ? { seconds: o.seconds } : {}), ...(o.frames !== undefined ? { frames: o.frames } : {}) };
  return config.repr === 'events' ? composeEvents(model as LanguageModel, common) : composeRoll(model as PianoRollModel, config.frames, common);
}

function registerCompose(program: Command): void {
  program
    .command('compose')
    .description('continue a primer (or start from silence) with a trained music model; writes a .mid file')
    .argument('<run-dir>')
    .option('--primer <file.mid>', 'MIDI file to continue (its tempo map times the output)')
    .option('--seconds <s>', 'length of the continuation in seconds', numArg('seconds', 0.01, 36000))
    .option('--frames <n>', 'piano roll: length of the continuation in frames', intArg('frames', 1))
    .option('--temperature <t>', 'sampling temperature', numArg('temperature', 0.01, 100), 1)
    .option('--top-p <p>', 'events: nucleus sampling mass', numArg('top-p', 0, 1), 1)
    .option('--max-note-seconds <s>', 'events: end notes the model leaves on after this long (default 5)', numArg('max-note-seconds', 0.01, 3600))
    .option('--seed <n>', 'random seed', intArg('seed', 0), 0)
    .requiredOption('--out <file.mid>', 'MIDI file to write')
    .option('--wav <file.wav>', 'also render audio with fluidsynth and the FluidR3 GM SoundFont')
    .action((dir: string, o: ComposeCliOptions) => {
      installNodeGc();
      if (o.seconds === undefined && o.frames === undefined) o.seconds = 30;
      const { model, config } = loadMusicRun(dir);
      if (config.repr === 'events' && o.frames !== undefined) throw new RecurError('--frames applies to piano-roll runs; this run models events (use --seconds)');
      let primer: Uint8Array | undefined;
      if (o.primer) {
        try {
          primer = readFileSync(o.primer);
        } catch {
          throw new RecurError(`primer not found: ${o.primer}`);
        }
      }
      const { primer: primerPath, ...rest } = o;
      const c = composeFromRun(model, config, { ...rest, ...(primer ? { primer, primerName: primerPath! } : {}) });
      writeFileAtomic(o.out, writeMidi(c.score));
      const map = tempoMap(c.score);
      const seconds = c.score.notes.reduce((m, n) => Math.max(m, map.seconds(n.endTick)), 0);
      console.log(`wrote ${o.out}: ${c.score.notes.length} notes (${c.generatedNotes} new), ${seconds.toFixed(1)} s`);
      if (o.wav) {
        if (renderWav(o.out, o.wav)) console.log(`wrote ${o.wav}`);
        else console.log(`no audio: fluidsynth or its SoundFont is not installed; run: ${RENDER_APT}`);
      }
    });
}

/**
 * The report's music section: a 10-second (or 64-frame) sample from silence, seed 0, drawn as
 * a piano roll, with its statistics next to the training set's.
 */
export async function musicSection(dir: string): Promise<string> {
  if (!hasCheckpoint(dir, 'last') && !hasCheckpoint(dir, 'best')) return '';
  if (runTask(dir) !== 'music') return '';
  installNodeGc();
  const { model, config } = loadMusicRun(dir);
  const c = composeFromRun(model, config, config.repr === 'events' ? { seconds: 10, temperature: 1, topP: 1, seed: 0 } : { frames: 64, temperature: 1, topP: 1, seed: 0 });
  const frames = config.repr === 'pianoroll' ? config.frames : { grid: 'sixteenth' as const };
  const roll = pianoRoll(c.score, frames);
  let reference = null, note = '';
  try {
    reference = musicStats(piecesOf(loadMusicSplits(config).train));
  } catch (e) {
    if (!(e instanceof RecurError)) throw e;
    note = `<p>Training-set statistics unavailable: ${e.message.replace(/[<>&]/g, '')}</p>`;
  }
  const sample = musicStats([timedNotes(c.score)]);
  const what = config.repr === 'events' ? '10 seconds of performance events' : `64 frames (${'grid' in frames ? `${frames.grid} notes` : `${frames.fps} frames/s`})`;
  return `<h2>Sample</h2><p>${what} from silence, temperature 1, seed 0: ${c.score.notes.length} notes.</p>
<div style="overflow-x:auto">${pianoRollSvg(roll)}</div>
<h2>Sample statistics</h2>${note}${statsTable(sample, reference)}`;
}

/**
 * Hooks music into the CLI: `recur train music`, `recur compose`, `recur eval` of music runs
 * and the report's sample section.
 */
export function registerMusic(program: Command, train: Command): void {
  registerTrain(train);
  registerCompose(program);
  registerEvaluator('music', evalMusic);
  registerReportSection(musicSection);
}
