/**
 * `npm run eval:lm-speed`: the training speed of `recur train lm`'s character model (Moby-Dick,
 * 2x256 LSTM, as `npm run eval`) against its PyTorch twin, in interleaved rounds. A round is one
 * continuous window of recur's trainLm and one of the twin (scripts/eval/torch_lm.py, 2 threads,
 * scripts/torch-env.ts), each in its own process after warm-up steps; the order flips every round,
 * and the ratio is taken within the round. `npm run eval` races the two for quality in one window
 * each, where the VM's speed drifts between the two; this is the speed figure.
 *
 * Usage: npx tsx scripts/eval/lm-speed.ts [--rounds N (4)] [--window-s S (60)] [--warmup N (8)]
 *        [--batch B (64)] [--bptt T (100)]
 * The backend is recur's default unless RECUR_BACKEND is set. Results go to eval-results.json
 * under `lmSpeed`.
 */
import './errors.js'; // first: a RecurError prints one line
import { RecurError } from '../../src/errors.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../../bench/common.js';
import { gemm512Rate } from '../../bench/peers/recur-train.js';
import { backendName, kernels } from '../../src/kernels/index.js';
import { trainLm, type LmTrainOptions } from '../../src/tasks/lm/train.js';
import { charLmOptions, prepareTwin } from './char-lm.js';
import { PYTHON, torchEnv } from '../torch-env.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const rounds = arg('rounds', 4), windowS = arg('window-s', 60), warmup = arg('warmup', 8);
const batch = arg('batch', 64), bptt = arg('bptt', 100);
for (const [name, v, min] of [['rounds', rounds, 1], ['warmup', warmup, 1], ['batch', batch, 1], ['bptt', bptt, 2]] as const) {
  if (!Number.isInteger(v) || v < min) throw new RecurError(`--${name} must be a whole number >= ${min}, got ${v}`);
}
if (!(windowS > 0)) throw new RecurError(`--window-s must be a number of seconds > 0, got ${windowS}`);

// No evaluation or checkpoint inside a window: the twin's window has none.
const charOpts = (out: string): LmTrainOptions =>
  charLmOptions(batch, bptt, out, { minutes: 24 * 60, seed: 0, evalEvery: Number.MAX_SAFE_INTEGER, saveEvery: 24 * 60 });

interface Window { tokensPerSec: number; gemm512: number; threads?: number }

/** Child: one window of trainLm after `warmup` steps, printed as a JSON line. */
async function recurWindow(dir: string): Promise<void> {
  const gemm512 = gemm512Rate(kernels());
  const ac = new AbortController();
  let t0 = 0, s0 = 0, t1 = 0, s1 = 0;
  await trainLm(charOpts(mkdtempSync(join(dir, 'run-'))), (e) => {
    if (e.type !== 'step') return;
    const now = performance.now();
    if (e.step === warmup) { t0 = now; s0 = e.step; }
    if (t0 > 0 && now - t0 >= windowS * 1000) { t1 = now; s1 = e.step; ac.abort(); }
  }, ac.signal);
  const w: Window = { tokensPerSec: ((s1 - s0) * batch * bptt) / ((t1 - t0) / 1000), gemm512 };
  console.log(JSON.stringify(w));
}

function lastJson<T>(stdout: string, who: string, stderr: string): T {
  const line = stdout.trim().split('\n').pop();
  if (!line?.startsWith('{')) throw new RecurError(`${who} printed no result:\n${stderr.slice(-500)}`);
  return JSON.parse(line) as T;
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  await recurWindow(process.argv[childAt + 1]!);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'recur-lm-speed-'));
  const { config } = prepareTwin(charOpts(dir), dir);
  writeFileSync(join(dir, 'config.json'), config({ warmup_steps: warmup, window_s: windowS }));
  const recur = (): Window => {
    const p = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir, ...process.argv.slice(2)],
      { encoding: 'utf8', env: process.env });
    return lastJson<Window>(p.stdout, 'recur', p.stderr);
  };
  const torch = (): Window => {
    const p = spawnSync(PYTHON, ['scripts/eval/torch_lm.py', join(dir, 'config.json'), dir], { encoding: 'utf8', env: torchEnv(2) });
    if (p.status !== 0) throw new RecurError(`the PyTorch twin failed (is python3-torch installed for ${PYTHON}?):\n${p.stderr.slice(-500)}`);
    const t = lastJson<{ tokens_per_sec: number; gemm512: number; threads: number }>(p.stdout, 'the PyTorch twin', p.stderr);
    return { tokensPerSec: t.tokens_per_sec, gemm512: t.gemm512, threads: t.threads };
  };
  console.log(`char LSTM 2x256, batch ${batch}, bptt ${bptt}: recur (${backendName()}) and PyTorch, ${rounds} rounds of ${windowS}-s windows`);
  const rows: Array<{ recur: Window; torch: Window; ratio: number }> = [];
  for (let r = 1; r <= rounds; r++) {
    let rw: Window, tw: Window;
    if (r % 2 === 1) { rw = recur(); tw = torch(); } else { tw = torch(); rw = recur(); }
    const ratio = rw.tokensPerSec / tw.tokensPerSec;
    rows.push({ recur: rw, torch: tw, ratio });
    console.log(`  round ${r}: recur ${Math.round(rw.tokensPerSec)} tok/s (512³ ${rw.gemm512.toFixed(0)} GFLOP/s), ` +
      `PyTorch ${Math.round(tw.tokensPerSec)} (${tw.threads} threads, 512³ ${tw.gemm512.toFixed(0)}): ${ratio.toFixed(2)}×`);
  }
  const ratios = rows.map((x) => x.ratio), m = median(ratios);
  console.log(`recur ÷ PyTorch: median ${m.toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×)`);
  const previous = existsSync('eval-results.json') ? (JSON.parse(readFileSync('eval-results.json', 'utf8')) as Record<string, unknown>) : {};
  const lmSpeed = { backend: backendName(), date: new Date().toISOString(), batch, bptt, windowS, warmup, rounds: rows, median: m };
  writeFileSync('eval-results.json', JSON.stringify({ ...previous, lmSpeed }, null, 2) + '\n');
  console.log('results written to eval-results.json');
}
