/** What the page (page.ts) reports to the harness (run.ts): POST /done with a PageReport. */
export interface PageInfo {
  userAgent: string;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  hardwareConcurrency: number;
  backend: string;
  variant: string;
  sharedMemory: boolean;
  maxThreads: number;
  workersReady: number;
  wasmLoadMs: number;
}

export interface PageReport {
  ok: boolean;
  failures: string[];
  info?: PageInfo;
  golden?: { cases: number; tensors: number; maxRelError: number; worst: string };
  train?: { steps: number; first: number; last: number; ms: number };
  gemm?: { gflops: number; singleGflops: number | null; bitIdentical: boolean | null; maxRelError: number };
  ms?: number;
}
