import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NATIVE_BUILT = existsSync('native/build/Release/recur_native.node');

/** `recur info` in a child whose RECUR_BACKEND is `backend` (unset when undefined). */
function info(backend: string | undefined): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.RECUR_BACKEND;
  if (backend !== undefined) env.RECUR_BACKEND = backend;
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'info'], { encoding: 'utf8', env });
}

describe('recur info: which backend is active and why', () => {
  it(`defaults to ${NATIVE_BUILT ? 'native (the addon is built here)' : 'wasm (the native addon is not built here)'}`, () => {
    const r = info(undefined);
    assert.equal(r.status, 0, r.stderr);
    if (NATIVE_BUILT) {
      assert.match(r.stdout, /^backend: native /m);
      assert.match(r.stdout, /^why: default: the native OpenBLAS addon is built and loads/m);
      const timeout = process.env.OPENBLAS_THREAD_TIMEOUT ?? '4';
      assert.match(r.stdout, new RegExp(`^native: OpenBLAS .*threads, OPENBLAS_THREAD_TIMEOUT=${timeout}\\), C kernels`, 'm'));
    } else {
      assert.match(r.stdout, /^backend: wasm /m);
      assert.match(r.stdout, /^why: default: WebAssembly SIMD; .*npm run build:native/m);
    }
  });

  it('RECUR_BACKEND overrides the default and says so', () => {
    for (const b of ['wasm', 'js']) {
      const r = info(b);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^backend: ${b} `, 'm'));
      assert.match(r.stdout, new RegExp(`^why: RECUR_BACKEND=${b}$`, 'm'));
    }
  });
});
