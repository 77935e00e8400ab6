/**
 * GEMM throughput, js reference vs wasm, for the shapes the recurrent layers produce:
 *   32x256x1024   a batch-32 step: h · W_hhᵀ-like products
 *   2048x64x1024  all timesteps at once (input projection, dW over T*B rows)
 *   512x512x512   square reference point
 *   1x512x2048    batch-1 generation (one row)
 * for every transpose combination (backward lives on AᵀB and ABᵀ).
 * Run: npx tsx bench/gemm.ts [--quick] [--no-js]
 */
import { jsKernels } from '../src/kernels/js.js';
import type { Kernels } from '../src/kernels/types.js';
import { createWasmBackendSync } from '../src/kernels/wasm/index.js';
import { footer, header, pad, time, type Timing } from './common.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const noJs = args.includes('--no-js');
const runs = quick ? 5 : 7;
const wasm = createWasmBackendSync({ threads: 1 });
const par = createWasmBackendSync({ threads: 2 });
const plain = args.includes('--simd') ? createWasmBackendSync({ relaxed: false, threads: 1 }) : null;

// Start the worker of the 2-thread backend before timing (workers start lazily, ~50 ms).
{
  const a = par.alloc(512 * 512), c = par.alloc(512 * 512);
  const until = Date.now() + 5000;
  while (par.threads().workersReady < 1 && Date.now() < until) {
    par.gemm(false, false, 512, 512, 512, 1, a, 512, a, 512, 0, c, 512);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

header('GEMM GFLOP/s (C = alpha op(A)·op(B) + beta C, alpha 1, beta 0)', {
  backends: `js; wasm (${wasm.variant} build) on 1 thread; same on ${par.threads().max} threads (${par.threads().workersReady} worker ready; split above 8 MFLOP, or 1 MiB of matrix when M or N is 1)${plain ? '; wasm (plain simd build)' : ''}`,
  runs: `${runs} per figure`,
});

const shapes = [[32, 256, 1024], [2048, 64, 1024], [512, 512, 512], [1, 512, 2048]] as const;
const fmt = (t: Timing, flops: number): string =>
  `${(flops / t.median / 1e9).toFixed(1)} [${(flops / t.max / 1e9).toFixed(1)}-${(flops / t.min / 1e9).toFixed(1)}]${t.contended ? '*' : ''}`;

const cols = ['js', `wasm-${wasm.variant} 1T`, `wasm-${wasm.variant} 2T`, ...(plain ? ['wasm-simd 1T'] : [])];
console.log(`\n${pad('M x N x K', 16)}${pad('op', 6)}${cols.map((c) => pad(c, 22)).join('')}wasm/js`);
for (const [M, N, K] of shapes) {
  for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
    const flops = 2 * M * N * K;
    const row: string[] = [];
    let jsMed = NaN, wMed = NaN;
    for (const [name, k] of [['js', jsKernels], ['wasm', wasm], ['par', par], ...(plain ? [['simd', plain]] : [])] as Array<[string, Kernels]>) {
      if (name === 'js' && noJs) { row.push(pad('-', 22)); continue; }
      const A = k.alloc(M * K), B = k.alloc(K * N), C = k.alloc(M * N);
      for (let i = 0; i < A.length; i++) A[i] = Math.sin(i);
      for (let i = 0; i < B.length; i++) B[i] = Math.cos(i);
      const lda = tA ? M : K, ldb = tB ? K : N;
      const t = time(() => k.gemm(tA, tB, M, N, K, 1, A, lda, B, ldb, 0, C, N), runs, name === 'js' ? 150 : 60);
      if (name === 'js') jsMed = t.median;
      if (name === 'wasm') wMed = t.median;
      row.push(pad(fmt(t, flops), 22));
    }
    const op = `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
    console.log(`${pad(`${M}x${N}x${K}`, 16)}${pad(op, 6)}${row.join('')}${Number.isNaN(jsMed) ? '' : `${(jsMed / wMed).toFixed(0)}x (1T)`}`);
  }
}
par.close();
footer();
