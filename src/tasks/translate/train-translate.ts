import { RecurError } from '../../errors.js';
import { ReduceLROnPlateau } from '../../optim/index.js';
import { manualSeed } from '../../tensor/rng.js';
import { tokenizerFromJSON } from '../../text/from-json.js';
import { hasCheckpoint, loadCheckpoint } from '../../train/checkpoint.js';
import { train, type TrainEvent, type TrainResult } from '../../train/trainer.js';
import { optimizerByName, type OptimizerName } from '../../optim/by-name.js';
import type { AttentionType, Seq2SeqCell, Seq2SeqConfig } from './config.js';
import { checkTranslateRun, Seq2Seq } from './model.js';
import { buildTokenizer, DEFAULT_DECODE, encodePairs, loadDataset, specialIds, type TextLevel, type TranslateRunConfig } from './setup.js';
import { TranslateTask, type TranslateTaskData } from './task.js';

export interface TranslateTrainOptions {
  data: string;
  reverse: boolean;
  attention: AttentionType;
  cell: Seq2SeqCell;
  layers: number;
  hidden: number;
  embed: number;
  bidirectional: boolean;
  inputFeeding: boolean;
  teacherForcing: number;
  dropout: number;
  bridge: 'dense' | 'zero';
  srcLevel?: TextLevel;
  tgtLevel?: TextLevel;
  bpeVocab: number;
  maxVocab?: number;
  minFreq?: number;
  /** Training pairs longer than this many tokens (either side) are left out. */
  maxLen: number;
  batch: number;
  lr: number;
  optimizer: OptimizerName;
  clip: number;
  epochs?: number;
  minutes?: number;
  steps?: number;
  evalEvery?: number;
  patience?: number;
  /** Validation examples decoded at each evaluation. */
  evalDecode: number;
  seed: number;
  out: string;
  resume: boolean;
  /** Called once the data is ready (sizes, dropped pairs). */
  onData?: (info: { train: number; valid: number; test: number; dropped: number; srcVocab: number; tgtVocab: number }) => void;
}

/**
 * Splits, tokenizers (learnt on the training side only, or the saved ones) and encoded pairs.
 * Held-out pairs are never filtered by length: every test sentence counts.
 */
export function prepareTranslateData(data: string, reverse: boolean, tok: { srcLevel?: TextLevel; tgtLevel?: TextLevel; bpeVocab?: number; maxVocab?: number; minFreq?: number; maxLen?: number },
  saved?: Pick<TranslateRunConfig, 'srcTokenizer' | 'tgtTokenizer'>): TranslateTaskData & { metric: TranslateRunConfig['metric']; dropped: number } {
  const ds = loadDataset(data, reverse);
  const tokOpts = { bpeVocab: tok.bpeVocab ?? 4000, ...(tok.maxVocab ? { maxVocab: tok.maxVocab } : {}), ...(tok.minFreq ? { minFreq: tok.minFreq } : {}) };
  const src = saved ? tokenizerFromJSON(saved.srcTokenizer) : buildTokenizer(ds.splits.train.map((e) => e.source), { level: tok.srcLevel ?? ds.srcLevel, ...tokOpts });
  const tgt = saved ? tokenizerFromJSON(saved.tgtTokenizer) : buildTokenizer(ds.splits.train.flatMap((e) => e.targets), { level: tok.tgtLevel ?? ds.tgtLevel, ...tokOpts });
  const s = specialIds(src, 'source'), t = specialIds(tgt, 'target');
  const trainEnc = encodePairs(ds.splits.train, src, tgt, tok.maxLen ?? Infinity);
  if (trainEnc.pairs.length === 0) throw new RecurError(`no training pairs left from '${data}' (all empty or longer than --max-len ${tok.maxLen})`);
  const heldOut = (ex: typeof ds.splits.valid) => encodePairs(ex.map((e) => ({ ...e, targets: [e.targets[0]!] })), src, tgt).pairs;
  return {
    train: trainEnc.pairs, valid: heldOut(ds.splits.valid), test: heldOut(ds.splits.test),
    validExamples: ds.splits.valid, testExamples: ds.splits.test, src, tgt,
    specials: { srcPad: s.pad, tgtPad: t.pad, bos: t.bos, eos: t.eos }, metric: ds.metric, dropped: trainEnc.dropped,
  };
}

/**
 * `recur train translate`: dataset -> tokenizers -> Seq2Seq -> the shared training loop
 * (Adam, gradient clipping, LR halved on a validation plateau, best/last checkpoints).
 */
export async function trainTranslate(o: TranslateTrainOptions, onEvent?: (e: TrainEvent) => void, signal?: AbortSignal): Promise<TrainResult> {
  manualSeed(o.seed);
  let saved: TranslateRunConfig | null = null;
  if (o.resume) {
    if (!hasCheckpoint(o.out, 'last')) throw new RecurError(`nothing to resume: no last.safetensors in ${o.out}`);
    saved = checkTranslateRun(loadCheckpoint(o.out, 'last'), o.out);
    if (saved.data !== o.data || saved.reverse !== o.reverse) {
      throw new RecurError(`data mismatch on resume: ${o.out} was trained on '${saved.data}'${saved.reverse ? ' (reversed)' : ''}, not '${o.data}'${o.reverse ? ' (reversed)' : ''}`);
    }
  }
  const d = prepareTranslateData(o.data, o.reverse, o, saved ?? undefined);
  o.onData?.({ train: d.train.length, valid: d.valid.length, test: d.test.length, dropped: d.dropped, srcVocab: d.src.vocabSize, tgtVocab: d.tgt.vocabSize });
  const modelConfig: Seq2SeqConfig = saved?.model ?? {
    srcVocabSize: d.src.vocabSize, tgtVocabSize: d.tgt.vocabSize, srcPadId: d.specials.srcPad, tgtPadId: d.specials.tgtPad,
    embedSize: o.embed, hiddenSize: o.hidden, encoderLayers: o.layers, decoderLayers: o.layers, cell: o.cell,
    bidirectional: o.bidirectional, attention: o.attention, inputFeeding: o.inputFeeding, dropout: o.dropout, bridge: o.bridge,
  };
  const model = new Seq2Seq(modelConfig);
  const optimizer = optimizerByName(o.optimizer, model.parameters(), o.lr);
  const scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 1 });
  const task = new TranslateTask(model, d, { batchSize: o.batch, teacherForcing: o.teacherForcing, seed: o.seed, evalDecode: o.evalDecode, metric: d.metric });
  const { onData: _drop, ...trainOpts } = o;
  const config: TranslateRunConfig = {
    task: 'translate', data: o.data, reverse: o.reverse, metric: d.metric, model: modelConfig,
    srcTokenizer: d.src.toJSON(), tgtTokenizer: d.tgt.toJSON(),
    decode: saved?.decode ?? { ...DEFAULT_DECODE, maxLenA: d.metric === 'g2p' ? 1.5 : DEFAULT_DECODE.maxLenA },
    train: { ...trainOpts },
  };
  return train(task, {
    optimizer, getLr: () => optimizer.paramGroups[0]!.lr, scheduler, schedulerOn: 'eval',
    clipNorm: o.clip, maxSteps: o.steps, maxEpochs: o.epochs, maxMinutes: o.minutes,
    evalEvery: o.evalEvery, patience: o.patience, logEvery: 10, outDir: o.out, resume: o.resume,
    config, signal, onEvent,
  });
}

/** Rebuilds a trained translation model and its tokenizers from a run directory. */
export function loadTranslateRun(dir: string, which: 'best' | 'last' = 'best'): { model: Seq2Seq; config: TranslateRunConfig } {
  const name = hasCheckpoint(dir, which) ? which : 'last';
  const ck = loadCheckpoint(dir, name);
  const config = checkTranslateRun(ck, dir);
  const model = new Seq2Seq(config.model);
  model.loadStateDict(ck.weights);
  model.eval();
  return { model, config };
}
