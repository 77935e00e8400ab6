import { batchedJs } from './js/batched.js';
import { crfJs } from './js/crf.js';
import { ctcJs } from './js/ctc.js';
import { elementwiseJs } from './js/elementwise.js';
import { gemmJs } from './js/gemm.js';
import { memoryJs } from './js/memory.js';
import { normJs } from './js/norm.js';
import { optimJs } from './js/optim.js';
import { qgemvJs } from './js/qgemv.js';
import { randomJs } from './js/random.js';
import { reduceJs } from './js/reduce.js';
import { rnnJs } from './js/rnn.js';
import { softmaxJs } from './js/softmax.js';
import type { Kernels } from './types.js';

/**
 * The plain TypeScript reference backend, one file per area in js/. Clear over clever: every
 * other backend is built as this one plus its overrides, and tested against it. It never
 * allocates Float32Array scratch itself, so it also runs on Float64Array storage for the
 * float64 gradient checks.
 */
export const jsKernels: Kernels = {
  name: 'js',
  ...memoryJs,
  ...elementwiseJs,
  ...reduceJs,
  ...softmaxJs,
  ...normJs,
  ...optimJs,
  ...gemmJs,
  ...rnnJs,
  ...crfJs,
  ...ctcJs,
  ...batchedJs,
  ...qgemvJs,
  ...randomJs,
};
