/**
 * Long sequences on the default WebAssembly backend (issue 17): trains a 2-layer bidirectional
 * LSTM (hidden 256) over batch 16 x T = 1000 frames of 80 features (a speech-sized batch), with
 * lengths from T/2 to T, and reports the step time, the wasm heap's high-water mark against its
 * budget, and the process's peak RSS. Exits non-zero if any allocation fell back to JS storage
 * (the slow copy path), which is the failure this guards against.
 *
 *   npx tsx bench/long-seq.ts [--steps 4] [--T 1000] [--batch 16] [--hidden 256] [--cell lstm|gru]
 *
 * Not part of npm test (a step is ~100 GFLOP); run it on a quiet machine, alone.
 */
process.env.RECUR_BACKEND ??= 'wasm';
const { kernels, reclaimMemory } = await import('../src/kernels/index.js');
const { LSTM, GRU } = await import('../src/nn/rnn/index.js');
const { Linear } = await import('../src/nn/linear.js');
const { crossEntropy } = await import('../src/nn/losses/index.js');
const { Adam } = await import('../src/optim/adam.js');
const { manualSeed } = await import('../src/tensor/rng.js');
const { randn } = await import('../src/tensor/tensor.js');
const { installNodeGc } = await import('../src/train/node-gc.js');

const argv = process.argv.slice(2);
const arg = (name: string, def: number): number => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : def;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number >= 1`);
  return v;
};
const steps = arg('steps', 4), T = arg('T', 1000), B = arg('batch', 16), H = arg('hidden', 256);
const cellName = argv.includes('--cell') ? argv[argv.indexOf('--cell') + 1] : 'lstm';
const I = 80, C = 29, L = 2;

manualSeed(0);
installNodeGc();
const k = kernels();
type Stats = { topBytes: number; liveBytes: number; fallbacks: number; budgetBytes: number };
const stats = (): Stats | null => {
  const s = (k as typeof k & { stats?: () => Stats }).stats;
  return s ? s.call(k) : null;
};
const opts = { inputSize: I, hiddenSize: H, numLayers: L, bidirectional: true };
const rnn = cellName === 'gru' ? new GRU(opts) : new LSTM(opts);
const head = new Linear(2 * H, C);
const opt = new Adam([...rnn.parameters(), ...head.parameters()], { lr: 1e-3 });
const x = randn([T, B, I]);
const lengths = Array.from({ length: B }, (_, b) => T - Math.floor((b * T) / (2 * B)));
const targets = new Int32Array(T * B).map((_, i) => i % C);

console.log(`# long sequences: ${k.name} backend, ${L}x${H} bi${cellName.toUpperCase()}, batch ${B}, T ${T}, input ${I}, lengths ${Math.min(...lengths)}-${T}`);
let peakTop = 0;
const times: number[] = [];
for (let s = 0; s < steps; s++) {
  const t0 = performance.now();
  const { output } = rnn.forward(x, { lengths });
  const loss = crossEntropy(head.forward(output.reshape([T * B, 2 * H])), targets);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  const v = loss.data[0]!;
  await reclaimMemory();
  times.push((performance.now() - t0) / 1000);
  const st = stats();
  if (st) peakTop = Math.max(peakTop, st.topBytes);
  console.log(`step ${s + 1}: loss ${v.toFixed(4)}, ${times[s]!.toFixed(2)} s${st ? `, heap live ${(st.liveBytes / 2 ** 20).toFixed(0)} MiB, top ${(st.topBytes / 2 ** 20).toFixed(0)} MiB, fallbacks ${st.fallbacks}` : ''}`);
  if (!Number.isFinite(v)) throw new Error(`loss is ${v} at step ${s + 1}`);
}
const st = stats();
const rssMB = process.resourceUsage().maxRSS / 1024;
const sorted = [...times].sort((a, b) => a - b);
console.log(`median step ${sorted[sorted.length >> 1]!.toFixed(2)} s (${(B * T / sorted[sorted.length >> 1]!).toFixed(0)} frames/s); peak RSS ${rssMB.toFixed(0)} MB` +
  (st ? `; wasm heap high-water ${(peakTop / 2 ** 20).toFixed(0)} MiB of a ${(st.budgetBytes / 2 ** 20).toFixed(0)} MiB budget, ${st.fallbacks} fallback allocations` : ''));
if (st && st.fallbacks > 0) {
  console.error(`long-seq: ${st.fallbacks} allocations fell back to JS storage (outside the wasm heap)`);
  process.exitCode = 1;
}
