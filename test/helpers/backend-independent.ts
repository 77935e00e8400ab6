/**
 * Test options for suites that exercise no compute kernel (CLI rules, signals, the web app in
 * Chromium), or that build the backends they test themselves (test/kernels: conformance, wasm,
 * native, ctc, mirrors): they run once per test command, not once per backend.
 * scripts/run-tests.mjs sets RECUR_SKIP_BACKEND_INDEPENDENT=1 on every backend pass after the
 * first, and on all of them with --skip-backend-independent (.ci/run's second command, after
 * `npm test` ran them).
 */
export const backendIndependent: { skip: string | false } = {
  skip: process.env.RECUR_SKIP_BACKEND_INDEPENDENT === '1' ? 'backend-independent: ran in another pass' : false,
};
