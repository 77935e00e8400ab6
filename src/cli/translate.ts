import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readPairsTsv } from '../data/pairs.js';
import { RecurError } from '../errors.js';
import { ATTENTION_TYPES } from '../tasks/translate/config.js';
import { scoreExamples } from '../tasks/translate/evaluate.js';
import { TEXT_LEVELS, loadDataset } from '../tasks/translate/data.js';
import { loadTranslateRun } from '../tasks/translate/run.js';
import { trainTranslate, type TranslateTrainOptions } from '../tasks/translate/train.js';
import { translateTexts, type TextTranslation } from '../tasks/translate/translate.js';
import { tokenizerFromJSON } from '../text/from-json.js';
import { checkpointPath, hasCheckpoint } from '../train/checkpoint.js';
import { installNodeGc } from '../train/node-gc.js';
import { choiceArg, intArg, numArg } from './args.js';
import { registerEvaluator, runTask, type EvalOptions } from './eval.js';
import { registerReportSection } from './report.js';
import { addTrainOptions, cliHooks, savedLine, trainOptions, type TrainFlagDefaults } from './train-options.js';

type TrainCliOptions = Omit<TranslateTrainOptions, 'onData'>;

const TRANSLATE_DEFAULTS: TrainFlagDefaults = { lr: 0.002, epochs: 1 };

function registerTrain(train: Command): void {
  addTrainOptions(train
    .command('translate')
    .description('train a sequence-to-sequence model with attention (translation, grapheme-to-phoneme)')
    .option('--data <name|path>', 'kjv-es (KJV -> Reina-Valera 1909), cmudict (spelling -> phonemes) or a TSV of source<TAB>target lines', 'kjv-es')
    .option('--reverse', 'swap source and target (kjv-es: Spanish -> English)', false)
    .option('--attention <type>', ATTENTION_TYPES.join('|'), choiceArg('attention', ATTENTION_TYPES), 'luong-general')
    .option('--cell <cell>', 'gru or lstm', choiceArg('cell', ['gru', 'lstm'] as const), 'gru')
    .option('--layers <n>', 'encoder and decoder layers', intArg('layers', 1), 1)
    .option('--hidden <n>', 'decoder hidden size (encoder: hidden/2 per direction)', intArg('hidden', 2), 256)
    .option('--embed <n>', 'embedding size', intArg('embed', 1), 256)
    .option('--no-bidirectional', 'one-directional encoder')
    .option('--no-input-feeding', 'do not feed the previous attentional vector to the decoder')
    .option('--teacher-forcing <r>', 'probability of feeding the gold previous token', numArg('teacher-forcing', 0, 1), 1)
    .option('--dropout <p>', 'dropout', numArg('dropout', 0, 0.95), 0.2)
    .option('--bridge <kind>', 'dense or zero decoder initial state', choiceArg('bridge', ['dense', 'zero'] as const), 'dense')
    .option('--src-level <level>', 'source tokens: char, word or bpe (default: by dataset)', choiceArg('src-level', TEXT_LEVELS))
    .option('--tgt-level <level>', 'target tokens: char, word or bpe (default: by dataset)', choiceArg('tgt-level', TEXT_LEVELS))
    .option('--bpe-vocab <n>', 'BPE vocabulary size per side', intArg('bpe-vocab', 259), 4000)
    .option('--max-vocab <n>', 'word level: vocabulary size', intArg('max-vocab', 4))
    .option('--min-freq <n>', 'word/char level: minimum count', intArg('min-freq', 1))
    .option('--max-len <n>', 'leave out training pairs longer than this many tokens', intArg('max-len', 2), 100)
    .option('--batch <n>', 'sentence pairs per batch', intArg('batch', 1), 64)
    .option('--eval-decode <n>', 'validation examples greedily decoded and scored at each evaluation', intArg('eval-decode', 0), 200), TRANSLATE_DEFAULTS)
    .action(async (opts: TrainCliOptions, cmd: Command) => {
      const o = trainOptions(cmd, opts, TRANSLATE_DEFAULTS);
      const h = cliHooks(o, 'tok');
      const r = await trainTranslate({
        ...o,
        onData: (d) => process.stderr.write(`data: ${d.train} training pairs (${d.dropped} left out by --max-len), ${d.valid} valid, ${d.test} test; ` +
          `vocabularies ${d.srcVocab} -> ${d.tgtVocab}\n`),
      }, h.onEvent, h.signal);
      console.log(savedLine(o, r));
    });
}

interface TranslateCliOptions {
  beam?: number;
  file?: string;
  lengthPenalty?: number;
  attention: boolean;
}

/** Sources to translate: the argument, or each line of --file (a TSV's first column). */
function sourcesOf(text: string | undefined, file: string | undefined): string[] {
  if (file) {
    if (!existsSync(file)) throw new RecurError(`file not found: ${file}`);
    const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, '').split('\t')[0]!).filter((l) => l.trim().length > 0);
    if (lines.length === 0) throw new RecurError(`${file}: no text to translate (the file has no non-empty lines)`);
    return lines;
  }
  if (text === undefined) throw new RecurError('give a text to translate, or --file PATH');
  if (text.trim() === '') throw new RecurError('the text to translate is empty');
  return [text];
}

function attentionLines(t: TextTranslation): string[] {
  const att = t.attention ?? [];
  const out = [`  attention (rows: output tokens, columns: ${t.sourceTokens.map((s) => JSON.stringify(s)).join(' ')})`];
  att.forEach((row, i) => {
    const tok = i < t.targetTokens.length ? t.targetTokens[i]! : '<eos>';
    out.push(`  ${JSON.stringify(tok).padEnd(14)} ${Array.from(row, (w) => w.toFixed(2)).join(' ')}`);
  });
  return out;
}

function registerTranslateCommand(program: Command): void {
  program
    .command('translate')
    .description('translate text with a trained run (greedy, or beam search with --beam K)')
    .argument('<run-dir>')
    .argument('[text]')
    .option('--beam <k>', 'beam size (1 = greedy; default: the run\'s, 5)', intArg('beam', 1))
    .option('--file <path>', 'translate every line of a file (the first column of a TSV)')
    .option('--length-penalty <a>', 'rank beams by logProb / length^a', numArg('length-penalty', 0))
    .option('--attention', 'print the attention weights of each output token', false)
    .action(async (dir: string, text: string | undefined, o: TranslateCliOptions) => {
      installNodeGc();
      const { model, config } = loadTranslateRun(dir);
      const src = tokenizerFromJSON(config.srcTokenizer), tgt = tokenizerFromJSON(config.tgtTokenizer);
      const out = await translateTexts(model, src, tgt, sourcesOf(text, o.file), {
        beam: o.beam ?? config.decode.beam, lengthPenalty: o.lengthPenalty ?? config.decode.lengthPenalty,
        maxLenA: config.decode.maxLenA, maxLenB: config.decode.maxLenB, attention: o.attention,
      });
      for (const t of out) {
        console.log(t.text);
        if (o.attention) console.log(attentionLines(t).join('\n'));
      }
    });
}

/** `recur eval` for translation runs: BLEU and chrF (or WER and PER for G2P) of the decoded split. */
async function evalTranslate(dir: string, o: EvalOptions): Promise<void> {
  installNodeGc();
  const { model, config } = loadTranslateRun(dir);
  const src = tokenizerFromJSON(config.srcTokenizer), tgt = tokenizerFromJSON(config.tgtTokenizer);
  const examples = o.data ? readPairsTsv(o.data) : loadDataset(config.data, config.reverse).splits[o.split];
  const beam = o.beam ?? config.decode.beam;
  const r = await scoreExamples(model, src, tgt, examples, config.metric, {
    beam, lengthPenalty: config.decode.lengthPenalty, maxLenA: config.decode.maxLenA, maxLenB: config.decode.maxLenB,
  });
  console.log(`${o.data ?? `${config.data}${config.reverse ? ' (reversed)' : ''} ${o.split}`}, ${beam === 1 ? 'greedy' : `beam ${beam}`}:`);
  console.log(r.summary);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The report's attention heat-map: the run's first test example translated greedily, one
 * row per output token, one column per source token, darker = more weight.
 */
export async function attentionHeatmap(dir: string): Promise<string> {
  const name = hasCheckpoint(dir, 'best') ? 'best' : 'last';
  if (!existsSync(checkpointPath(dir, name)) || runTask(dir) !== 'translate') return '';
  installNodeGc();
  const { model, config } = loadTranslateRun(dir);
  if (config.model.attention === 'none') return '<h2>Attention</h2><p>This run has no attention (baseline encoder-decoder).</p>';
  const src = tokenizerFromJSON(config.srcTokenizer), tgt = tokenizerFromJSON(config.tgtTokenizer);
  const ex = loadDataset(config.data, config.reverse).splits.test[0]!;
  const [t] = await translateTexts(model, src, tgt, [ex.source], { beam: 1, attention: true, maxLenA: config.decode.maxLenA, maxLenB: config.decode.maxLenB });
  const rows = (t!.attention ?? []).map((row, i) => {
    const tok = i < t!.targetTokens.length ? t!.targetTokens[i]! : '<eos>';
    const cells = Array.from(row, (w) => `<td title="${w.toFixed(3)}" style="background:rgba(31,119,180,${Math.min(1, w).toFixed(3)})"></td>`).join('');
    return `<tr><th>${escapeHtml(tok)}</th>${cells}</tr>`;
  }).join('\n');
  const head = t!.sourceTokens.map((s) => `<th class="v">${escapeHtml(s)}</th>`).join('');
  return `<h2>Attention (${escapeHtml(config.model.attention)})</h2>
<p>Source: ${escapeHtml(ex.source)}<br>Reference: ${escapeHtml(ex.targets[0]!)}<br>Output (greedy): ${escapeHtml(t!.text)}</p>
<style>table.att{border-collapse:collapse;font-size:12px}table.att td{width:18px;height:18px;border:1px solid #eee}
table.att th{font-weight:normal;padding:0 4px;text-align:right}table.att th.v{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left}</style>
<table class="att"><tr><th></th>${head}</tr>
${rows}
</table>`;
}

/** `recur train translate`, `recur translate`, `recur eval` of translation runs, and the report's heat-map. */
export function registerTranslate(program: Command, train: Command): void {
  registerTrain(train);
  registerTranslateCommand(program);
  registerEvaluator('translate', evalTranslate);
  registerReportSection(attentionHeatmap);
}
