/**
 * brain.js (2.0.0-beta.24), its CPU recurrent networks `brain.recurrent.LSTM` / `GRU`. It is
 * installed in bench/peers/brain/ (its own package.json, installed on demand by bench/run.ts),
 * not in the project: its GPU peer gpu.js pulls headless-gl, a native module that downloads
 * prebuilt binaries at install. Run alone: node build/bench/bench/peers/brain.js '<job JSON>' (compiled
 * by a bench run, as bench/run.ts runs it; build/bench/bench/peers/brain links to this brain/ folder),
 * or npx tsx bench/peers/brain.ts (tsx adds ~30 MB of RSS).
 *
 * What brain.js can and cannot do here, so the figures are read right:
 * - No batching: it trains on one sequence at a time and updates the weights after each one
 *   (its own RMSProp-style rule with clipping, not Adam). Training speed is characters/s over
 *   sequences of `seq` characters, hidden `hidden`, on an alphabet of vocab-1 characters plus its
 *   'unrecognized' symbol, so its embedding is vocab wide and its output layer vocab+1 (END).
 * - Its LSTM and GRU are its own formulations (docs/architecture.md: its LSTM has no separate cell
 *   state; its GRU is not PyTorch's), so equal sizes mean similar, not identical, arithmetic.
 * - Generation: the body of its `run()` loop (Equation.runIndex for step i, whose state comes
 *   from step i-1, then softmax/argmax over the output) over equations bound beforehand, as a
 *   warm `run()` does. The output layer (vocab+1 rows) is part of its step.
 * - No GEMM API.
 */
import { createRequire } from 'node:module';
import { emit, randomIds, runPeer, timeSync, type GenConfig, type Job, type TrainConfig } from './protocol.js';

interface BrainMatrix { weights: Float32Array; rows: number; columns: number }
interface BrainEquation { runIndex(rowIndex: number): BrainMatrix }
interface BrainRecurrent {
  options: { inputSize: number; outputSize: number; hiddenLayers: number[] };
  model: { equations: BrainEquation[] };
  prepTraining(data: string[], opts: { iterations: number }): { preparedData: number[][] };
  trainPattern(input: number[], logErrorRate: boolean): number;
  bindEquation(): void;
}
type BrainCtor = new (opts: { hiddenLayers: number[] }) => BrainRecurrent;
interface BrainModule { recurrent: { LSTM: BrainCtor; GRU: BrainCtor } }

function loadBrain(): { brain: BrainModule; version: string } {
  const require = createRequire(new URL('./brain/package.json', import.meta.url));
  const brain = require('brain.js') as BrainModule;
  const version = (require('brain.js/package.json') as { version: string }).version;
  return { brain, version };
}

/** `count` strings of `len` characters over an alphabet of `size` characters (all of them used). */
function corpus(count: number, len: number, size: number): string[] {
  const alphabet = Array.from({ length: size }, (_, i) => String.fromCharCode(48 + i));
  const out: string[] = [alphabet.join('')];
  const ids = randomIds(count * len, size, 7);
  for (let s = 0; s < count; s++) out.push(Array.from(ids.subarray(s * len, (s + 1) * len), (i) => alphabet[i]!).join(''));
  return out;
}

function train(brain: BrainModule, c: TrainConfig, job: Job): void {
  const net = new brain.recurrent[c.cell === 'lstm' ? 'LSTM' : 'GRU']({ hiddenLayers: [c.hidden] });
  const { preparedData } = net.prepTraining(corpus(8, c.seq, c.vocab - 1), { iterations: 1 });
  const seqs = preparedData.slice(1); // the first string only introduced the alphabet
  let i = 0, lastErr = NaN;
  const timing = timeSync(() => { lastErr = net.trainPattern(seqs[i++ % seqs.length]!, true); }, job.protocol);
  if (!Number.isFinite(lastErr)) throw new Error(`training error is ${lastErr}`);
  emit({
    type: 'timing', key: 'train', timing,
    note: `one sequence of ${c.seq} chars per iteration (no batching), embedding ${net.options.inputSize}, output ${net.options.outputSize + 1}, hidden ${net.options.hiddenLayers.join('x')}, its RMSProp rule; last error ${lastErr.toFixed(4)}`,
  });
}

function generate(brain: BrainModule, c: GenConfig, job: Job): void {
  const net = new brain.recurrent.LSTM({ hiddenLayers: Array.from({ length: c.layers }, () => c.hidden) });
  net.prepTraining(corpus(1, 8, c.input - 1), { iterations: 1 });
  const S = 64; // one "generation" of S characters, then start over from the zero state
  while (net.model.equations.length < S) net.bindEquation();
  let pos = 0, prev = 0, checksum = 0;
  const step = (): void => {
    const out = net.model.equations[pos]!.runIndex(prev).weights;
    // softmax + argmax, as run() (argmax of the logits = argmax of the softmax).
    let max = -Infinity, arg = 0, sum = 0;
    for (let j = 0; j < out.length; j++) if (out[j]! > max) { max = out[j]!; arg = j; }
    for (let j = 0; j < out.length; j++) sum += Math.exp(out[j]! - max);
    checksum += sum;
    prev = arg === 0 ? 1 : arg; // 0 is END: run() would stop; keep generating
    pos = (pos + 1) % S;
    if (pos === 0) prev = 0;
  };
  const timing = timeSync(step, job.protocol);
  if (!Number.isFinite(checksum)) throw new Error('generation output is not finite');
  emit({ type: 'timing', key: 'gen', timing, note: `run() loop body over ${S} pre-bound steps; embedding ${net.options.inputSize}, output layer ${net.options.outputSize + 1} rows included` });
}

await runPeer(async (job) => {
  const { brain, version } = loadBrain();
  emit({ type: 'info', info: { brainjs: version } });
  const c = job.config;
  if (c.kind === 'train') train(brain, c, job);
  else if (c.kind === 'gen') generate(brain, c, job);
  else emit({ type: 'skip', key: 'gemm', reason: 'brain.js has no matrix-multiply API' });
});
