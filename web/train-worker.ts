/**
 * Trains a small character LSTM in a Web Worker, so the page never freezes. The page sends
 * `start` (text and sizes), `stop`, `resume` and `download`; the worker answers with a `step`
 * message per step (loss in nats/char, tokens/s), `stopped`, and the checkpoint bytes.
 *
 * Batches are B random windows of T+1 characters, time-major as the LM task takes them.
 */
import { backendName, initWasm, manualSeed, optim, reclaimMemory, F, Rng } from '../src/index.js';
import { LanguageModel } from '../src/tasks/lm/model.js';
import { CharTokenizer } from '../src/text/char-tokenizer.js';
import { writeLmCheckpoint } from './checkpoint.js';
import type { ToWorker, FromWorker } from './train-protocol.js';

const ctx = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const post = (m: FromWorker, transfer?: Transferable[]): void => ctx.postMessage(m, transfer);

interface Session {
  model: LanguageModel;
  tokenizer: CharTokenizer;
  ids: Int32Array;
  opt: optim.Adam;
  rng: Rng;
  step: number;
  B: number;
  T: number;
  train: Record<string, unknown>;
}

let session: Session | null = null;
let running = false;
const ready = initWasm().then(() => backendName(), () => backendName());

function batch(s: Session): { input: Int32Array; target: Int32Array } {
  const { B, T, ids, rng } = s;
  const input = new Int32Array(T * B), target = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    const o = Math.floor(rng.random() * (ids.length - T - 1));
    for (let t = 0; t < T; t++) {
      input[t * B + b] = ids[o + t]!;
      target[t * B + b] = ids[o + t + 1]!;
    }
  }
  return { input, target };
}

async function loop(s: Session): Promise<void> {
  running = true;
  let t0 = performance.now(), tokens = 0;
  while (running) {
    const { input, target } = batch(s);
    const { logits } = s.model.forward(input, s.T, s.B, null);
    const loss = F.crossEntropy(logits, target);
    s.opt.zeroGrad();
    loss.backward();
    optim.clipGradNorm(s.model.parameters(), 5);
    s.opt.step();
    s.step++;
    tokens += s.B * s.T;
    const now = performance.now();
    post({ type: 'step', step: s.step, loss: loss.item(), tokensPerSecond: (tokens / (now - t0)) * 1000 });
    if (now - t0 > 3000) { t0 = now; tokens = 0; }
    // Turns the event loop: stop/download messages get through, and wasm storage is reclaimed.
    await reclaimMemory();
    await new Promise((r) => setTimeout(r, 0));
  }
  post({ type: 'stopped', step: s.step });
}

ctx.onmessage = (e: MessageEvent<ToWorker>): void => {
  const m = e.data;
  void (async () => {
    try {
      const backend = await ready;
      if (m.type === 'start') {
        running = false;
        manualSeed(m.seed);
        const tokenizer = CharTokenizer.fromCorpus(m.text);
        const ids = tokenizer.encode(m.text);
        if (ids.length < m.seqLen + 2) throw new Error(`the text is too short: ${ids.length} characters, need at least ${m.seqLen + 2}`);
        const model = new LanguageModel({ vocabSize: tokenizer.vocabSize, embedSize: 32, hiddenSize: m.hidden, numLayers: 1, cell: 'lstm', dropout: 0, tieWeights: false });
        model.train();
        const opt = new optim.Adam(model.parameters(), { lr: m.lr });
        const train = { source: 'browser', hidden: m.hidden, batch: m.batch, bptt: m.seqLen, lr: m.lr, seed: m.seed, optimizer: 'adam', clip: 5 };
        session = { model, tokenizer, ids, opt, rng: new Rng(m.seed + 1), step: 0, B: m.batch, T: m.seqLen, train };
        post({ type: 'started', backend, vocab: tokenizer.vocabSize, characters: ids.length });
        await loop(session);
      } else if (m.type === 'stop') {
        running = false;
      } else if (m.type === 'resume') {
        if (session && !running) await loop(session);
      } else if (m.type === 'download') {
        if (!session) throw new Error('nothing trained yet');
        const bytes = writeLmCheckpoint(session.model, session.tokenizer, session.train, session.step);
        post({ type: 'checkpoint', bytes, step: session.step }, [bytes.buffer]);
      }
    } catch (err) {
      running = false;
      post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
};
