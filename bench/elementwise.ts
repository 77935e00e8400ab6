/**
 * Elementwise / fused kernels, js reference vs wasm, microseconds per call (median [min-max]).
 * Sizes: 32 x 1024 floats (a batch-32 LSTM step with H = 256 has 32 x 1024 gate values).
 * Run: npx tsx bench/elementwise.ts
 */
import { jsKernels } from '../src/kernels/js.js';
import type { Kernels } from '../src/kernels/types.js';
import { createWasmBackendSync } from '../src/kernels/wasm/index.js';
import { footer, header, pad, time, type Timing } from './common.js';

const wasm = createWasmBackendSync();
header('Elementwise and fused kernels, microseconds per call', { backends: `js, wasm (${wasm.variant} build)`, runs: '7 per figure' });

const R = 32, N = 1024, n = R * N, H = 256;
function arrays(k: Kernels, count: number, len: number, lo = -3, hi = 3): Float32Array[] {
  return Array.from({ length: count }, (_, j) => {
    const a = k.alloc(len);
    for (let i = 0; i < len; i++) a[i] = lo + (hi - lo) * ((Math.sin(i * 12.9898 + j) * 43758.5453) % 1 + 1) % 1;
    return a;
  });
}

const cases: Array<[string, (k: Kernels) => () => void]> = [
  ['sigmoid 32x1024', (k) => { const [x, y] = arrays(k, 2, n); return () => k.unary('sigmoid', x!, y!); }],
  ['tanh 32x1024', (k) => { const [x, y] = arrays(k, 2, n); return () => k.unary('tanh', x!, y!); }],
  ['exp 32x1024', (k) => { const [x, y] = arrays(k, 2, n); return () => k.unary('exp', x!, y!); }],
  ['tanh backward 32x1024', (k) => { const [x, y, g, gx] = arrays(k, 4, n); return () => k.unaryBackward('tanh', x!, y!, g!, gx!); }],
  ['add 32x1024', (k) => { const [a, b, o] = arrays(k, 3, n); return () => k.binary('add', a!, 1, b!, 1, o!, false); }],
  ['bias add [32,1024]+[1024]', (k) => { const [a, o] = arrays(k, 2, n); const [b] = arrays(k, 1, N); return () => k.binary('add', a!, 1, b!, 1, o!, false); }],
  ['mul accumulate 32x1024', (k) => { const [a, b, o] = arrays(k, 3, n); return () => k.binary('mul', a!, 1, b!, 1, o!, true); }],
  ['sum over rows -> [1024]', (k) => { const [g, o] = arrays(k, 2, n); return () => k.sumToBroadcast(g!, 1, o!.subarray(0, N), 1); }],
  ['softmax 32x1024', (k) => { const [x, y] = arrays(k, 2, n); return () => k.softmax(x!, R, N, y!, false); }],
  ['log-softmax 32x1024', (k) => { const [x, y] = arrays(k, 2, n); return () => k.softmax(x!, R, N, y!, true); }],
  ['layerNorm 32x1024', (k) => { const [x, o] = arrays(k, 2, n); const [g, b] = arrays(k, 2, N); const [m, s] = arrays(k, 2, R); return () => k.layerNorm(x!, R, N, g!, b!, 1e-5, o!, m!, s!); }],
  ['transpose 1024x32', (k) => { const [x, o] = arrays(k, 2, n); return () => k.swapAxes(x!, 1, R, 1, N, 1, o!, false); }],
  ['lstm gates fwd 32x256', (k) => { const [xg, hg, gates] = arrays(k, 3, 4 * R * H); const [cp, c, m] = arrays(k, 3, R * H); return () => k.lstmGatesForward(R, H, xg!, hg!, cp!, gates!, c!, m!); }],
  ['lstm gates bwd 32x256', (k) => { const [gates, dG] = arrays(k, 2, 4 * R * H, 0, 1); const [cp, c, dm, dc, dcp] = arrays(k, 5, R * H); return () => k.lstmGatesBackward(R, H, gates!, cp!, c!, dm!, dc!, dG!, dcp!); }],
  ['gru gates fwd 32x256', (k) => { const [xg, hg, gates] = arrays(k, 3, 3 * R * H); const [b] = arrays(k, 1, H); const [hp, hn, h] = arrays(k, 3, R * H); return () => k.gruGatesForward(R, H, xg!, hg!, b!, hp!, gates!, hn!, h!); }],
  ['adam step 1M params', (k) => { const [p, g, m] = arrays(k, 3, 1 << 20, -0.1, 0.1); const [v] = arrays(k, 1, 1 << 20, 0, 0.01); return () => k.adamStep(p!, g!, m!, v!, null, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, amsgrad: false, step: 10 }); }],
  ['sumSquares 1M', (k) => { const [x] = arrays(k, 1, 1 << 20); return () => { k.sumSquares(x!); }; }],
];

const us = (t: Timing): string => `${(t.median * 1e6).toFixed(1)} [${(t.min * 1e6).toFixed(1)}-${(t.max * 1e6).toFixed(1)}]${t.contended ? '*' : ''}`;
console.log(`\n${pad('kernel', 30)}${pad('js µs', 26)}${pad('wasm µs', 26)}speedup`);
for (const [name, make] of cases) {
  const tj = time(make(jsKernels), 7, 40);
  const tw = time(make(wasm), 7, 40);
  console.log(`${pad(name, 30)}${pad(us(tj), 26)}${pad(us(tw), 26)}${(tj.median / tw.median).toFixed(1)}x`);
}
footer();
