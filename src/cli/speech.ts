import { dirname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { readTextFile } from '../data/text-file.js';
import { RecurError } from '../errors.js';
import { classificationReport, formatClassificationReport } from '../metrics/classification.js';
import type { DecodeOptions } from '../tasks/speech/decode.js';
import { fusionLmFrom } from '../tasks/speech/lm-fusion.js';
import { DEFAULT_SAMPLE_RATE, maxMelBins, MIN_MEL_BINS, SAMPLE_RATES } from '../tasks/speech/check.js';
import type { FeatureUtterance } from '../tasks/speech/data.js';
import { evaluateSpeechRun, featuresOfFiles, loadSpeechRun, transcribeFiles, type SpeechRun } from '../tasks/speech/run.js';
import { speechReportSection } from '../tasks/speech/report.js';
import { transcribeUtterances } from '../tasks/speech/task.js';
import { trainSpeech, type SpeechTrainOptions } from '../tasks/speech/train.js';
import { DEFAULT_UNITS } from '../tasks/speech/units.js';
import { readVocab, wordConstraint } from '../tasks/speech/vocab.js';
import { choiceArg, intArg, numArg } from './args.js';
import { registerEvaluator, type EvalOptions } from './eval.js';
import { registerReportSection } from './report.js';
import { addTrainOptions, cliHooks, savedLine, trainOptions, type TrainFlagDefaults } from './train-options.js';

const SPEECH_DEFAULTS: TrainFlagDefaults = { lr: 0.001, epochs: 10 };

/** Decoding flags shared by `transcribe` and `eval`. */
export interface DecodeFlags {
  beam?: number;
  lm?: string;
  lmWeight?: number;
  bonus?: number;
  vocab?: string;
}

/** The decoder a run and the flags ask for: greedy by default; an LM or word list implies beam search (default 8). */
export function decodeOptions(run: SpeechRun, f: DecodeFlags): DecodeOptions {
  if (run.targets.kind === 'classify') {
    if (f.lm || f.vocab || (f.beam ?? 1) > 1) throw new RecurError('--beam, --lm and --vocab are for CTC models; this run classifies whole utterances');
    return { beam: 1 };
  }
  const units = run.targets.units;
  const searched = f.lm !== undefined || f.vocab !== undefined;
  return {
    beam: f.beam ?? (searched ? 8 : 1),
    lm: f.lm ? fusionLmFrom(f.lm, units) : null,
    lmWeight: f.lmWeight ?? 0.5,
    insertionBonus: f.bonus ?? 0,
    constraint: f.vocab ? wordConstraint(readVocab(f.vocab), units) : null,
  };
}

function registerTrain(train: Command): void {
  addTrainOptions(train
    .command('speech')
    .description('train a speech recogniser: fbank/MFCC -> conv subsampling -> BiLSTM/BiGRU -> CTC (or --head classify)')
    .option('--data <name|tsv>', 'espeak-digits, asterisk-digits, or a TSV manifest (path<TAB>transcript)', 'espeak-digits')
    .option('--valid <tsv>', 'validation manifest (default: 10% of --data; espeak-digits has its own voices)')
    .option('--test <tsv>', 'test manifest (default: the validation set; espeak-digits has its own voices)')
    .option('--train-count <n>', 'espeak-digits: training utterances to synthesise', intArg('train-count', 1))
    .option('--features <kind>', 'fbank or mfcc (Kaldi / torchaudio compatible)', choiceArg('features', ['fbank', 'mfcc'] as const), 'fbank')
    .option('--sample-rate <hz>', `rate the audio is read at: ${SAMPLE_RATES.join(', ')} (default ${DEFAULT_SAMPLE_RATE}; saved in the run, transcribe uses it)`,
      (v: string) => Number(choiceArg('sample-rate', SAMPLE_RATES.map(String))(v)))
    .option('--mel-bins <n>', `mel filterbank bins (${MIN_MEL_BINS} to ${maxMelBins(DEFAULT_SAMPLE_RATE)} at ${DEFAULT_SAMPLE_RATE} Hz)`, intArg('mel-bins', MIN_MEL_BINS), 40)
    .option('--deltas <n>', '0, 1 (deltas) or 2 (and delta-deltas)', (v: string) => choiceArg('deltas', ['0', '1', '2'] as const)(v), '0')
    .option('--cell <kind>', 'lstm or gru', choiceArg('cell', ['lstm', 'gru'] as const), 'lstm')
    .option('--layers <n>', 'recurrent layers', intArg('layers', 1), 3)
    .option('--hidden <n>', 'hidden size per direction', intArg('hidden', 1), 256)
    .option('--no-conv', 'no convolutional subsampling (by default two stride-2 convolutions quarter the frames)')
    .option('--conv-channels <n>', 'channels of the subsampling convolutions', intArg('conv-channels', 1), 128)
    .option('--dropout <p>', 'dropout', numArg('dropout', 0, 0.99), 0.2)
    .option('--batch <n>', 'utterances per batch', intArg('batch', 1), 16)
    .option('--head <kind>', 'ctc (transcripts) or classify (isolated words / commands: one class per distinct transcript)',
      choiceArg('head', ['ctc', 'classify'] as const), 'ctc')
    .option('--units <chars>', 'CTC output characters (after the blank)', DEFAULT_UNITS)
    .option('--pooling <kind>', 'classify: mean or max over frames', choiceArg('pooling', ['mean', 'max'] as const), 'mean')
    .option('--no-spec-augment', 'no SpecAugment time/frequency masks on training batches'), SPEECH_DEFAULTS)
    .action(async (raw: Omit<SpeechTrainOptions, 'deltas'> & { deltas: string | number }, cmd: Command) => {
      const opts = trainOptions(cmd, raw, SPEECH_DEFAULTS);
      const o: SpeechTrainOptions = { ...opts, deltas: Number(opts.deltas) as 0 | 1 | 2 };
      const h = cliHooks(o, 'utt');
      const r = await trainSpeech(o, h.onEvent, h.signal);
      for (const line of r.summary) console.log(line);
      const t = r.test;
      console.log(t.targets.kind === 'ctc'
        ? `test: WER ${(100 * t.wer).toFixed(2)}% | CER ${(100 * t.cer).toFixed(2)}% | utterance accuracy ${(100 * t.accuracy).toFixed(2)}% (${t.utterances} utterances, greedy, best checkpoint)`
        : `test: accuracy ${(100 * t.accuracy).toFixed(2)}% (${t.utterances} utterances, best checkpoint)`);
      console.log(savedLine(o, r));
    });
}

async function evalSpeech(dir: string, o: EvalOptions): Promise<void> {
  const run = loadSpeechRun(dir);
  const r = await evaluateSpeechRun(run, o, decodeOptions(run, o));
  console.log(r.where);
  if (r.targets.kind === 'ctc') {
    console.log(`${r.utterances} utterances: loss ${r.loss.toFixed(4)} | WER ${(100 * r.wer).toFixed(2)}% | CER ${(100 * r.cer).toFixed(2)}% | utterance accuracy ${(100 * r.accuracy).toFixed(2)}%`);
    return;
  }
  const classes = r.targets.classes;
  const gold = r.references.map((t) => classes.indexOf(t)), pred = r.hypotheses.map((t) => classes.indexOf(t));
  console.log(`${r.utterances} utterances: loss ${r.loss.toFixed(4)}`);
  console.log(formatClassificationReport(classificationReport(gold, pred, classes)));
}

/** Audio paths from the arguments and `--file` (one path per line; relative paths are relative to the list's folder). */
function inputFiles(files: string[], list?: string): string[] {
  const all = [...files];
  if (list) {
    const lines = readTextFile(list).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    all.push(...lines.map((l) => (isAbsolute(l) ? l : resolve(dirname(resolve(list)), l))));
  }
  if (all.length === 0) throw new RecurError('transcribe: no audio files (give WAV paths or --file LIST)');
  return all;
}

/** `recur train speech`, `recur transcribe`, `recur eval` of speech runs and their report section. */
export function registerSpeech(program: Command, train: Command): void {
  registerTrain(train);
  registerEvaluator('speech', evalSpeech);
  registerReportSection(speechReportSection);
  program
    .command('transcribe')
    .description('transcribe WAV files with a trained speech run (one file: the text; several: path<TAB>text per line)')
    .argument('<run-dir>')
    .argument('[wav...]', 'WAV files (any rate, mono or stereo)')
    .option('--file <list>', 'a text file with one WAV path per line')
    .option('--beam <k>', 'prefix beam search width (1 = greedy; default 1, or 8 with --lm / --vocab)', intArg('beam', 1))
    .option('--lm <path>', 'shallow fusion: a recur char LM run directory, or a text file for a character trigram')
    .option('--lm-weight <a>', 'LM weight alpha', numArg('lm-weight', 0), 0.5)
    .option('--bonus <b>', 'insertion bonus beta per character', numArg('bonus'), 0)
    .option('--vocab <words>', 'constrain the output to words: digits, or a file with one word per line')
    .action(async (dir: string, wavs: string[], o: DecodeFlags & { file?: string }) => {
      const run = loadSpeechRun(dir);
      const files = inputFiles(wavs, o.file);
      const decode = decodeOptions(run, o);
      if (files.length === 1) {
        console.log((await transcribeFiles(run, files, decode))[0]);
        return;
      }
      // A file that cannot be read is a warning naming it; the others are still transcribed.
      const utts: FeatureUtterance[] = [];
      for (const f of files) {
        try {
          utts.push(...featuresOfFiles(run, [f]));
        } catch (e) {
          if (!(e instanceof RecurError)) throw e;
          process.stderr.write(`recur: warning: ${e.message} (skipped)\n`);
        }
      }
      const texts = utts.length > 0 ? (await transcribeUtterances(run.model, run.targets, utts, decode)).texts : [];
      utts.forEach((u, i) => console.log(`${u.id}\t${texts[i]}`));
      const failed = files.length - utts.length;
      if (failed > 0) throw new RecurError(`${failed} of ${files.length} files could not be transcribed`);
    });
}
