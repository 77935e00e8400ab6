/** Messages between the page (train.ts) and the training worker (train-worker.ts). */
export type ToWorker =
  | { type: 'start'; text: string; hidden: number; batch: number; seqLen: number; lr: number; seed: number }
  | { type: 'stop' }
  | { type: 'resume' }
  | { type: 'download' };

export type FromWorker =
  | { type: 'started'; backend: string; vocab: number; characters: number }
  | { type: 'step'; step: number; loss: number; tokensPerSecond: number }
  | { type: 'stopped'; step: number }
  | { type: 'checkpoint'; bytes: Uint8Array; step: number }
  | { type: 'error'; message: string };
