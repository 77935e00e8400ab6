/**
 * The environment every PyTorch peer runs in (bench/run.ts and the eval twins), so a speed or
 * same-wall-time comparison always meets the same PyTorch: Debian's torch with the OpenMP
 * build of OpenBLAS (the pthreads build that the libblas.so.3 alternative usually points to
 * fights torch's own OpenMP pool for the two cores), and `threads` OpenMP threads.
 *
 * Only OMP_NUM_THREADS is set: torch.set_num_threads governs its pool, and OpenBLAS-openmp runs on
 * that pool. Adding OPENBLAS_NUM_THREADS slowed torch's LSTM training by about a third here
 * (issue 17's measurement), so a comparison with it set handicaps the peer.
 */
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';
export const OPENMP_BLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

export function torchEnv(threads: number, blas: 'openmp' | 'system' = 'openmp'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_NUM_THREADS;
  // Machine notes: these slow a current OpenBLAS; unset for the torch command only.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (blas === 'openmp' && existsSync(OPENMP_BLAS_DIR)) {
    env.LD_LIBRARY_PATH = [OPENMP_BLAS_DIR, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  }
  return env;
}
