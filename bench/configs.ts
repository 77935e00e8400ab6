/** The benchmark's configurations, shared by the side-by-side run (run.ts) and the profile (profile.ts). */
import type { Config } from './peers/protocol.js';

export type ConfigName = 'train-lstm' | 'train-gru' | 'gen' | 'gemm';

export function benchConfigs(tiny: boolean): Record<ConfigName, Config> {
  return tiny
    ? {
      'train-lstm': { kind: 'train', cell: 'lstm', vocab: 64, input: 16, hidden: 32, batch: 4, seq: 8, classes: 64 },
      'train-gru': { kind: 'train', cell: 'gru', vocab: 64, input: 16, hidden: 32, batch: 4, seq: 8, classes: 64 },
      gen: { kind: 'gen', input: 16, hidden: 32, layers: 2 },
      gemm: { kind: 'gemm', shapes: [[8, 16, 32], [1, 32, 64]] },
    }
    : {
      'train-lstm': { kind: 'train', cell: 'lstm', vocab: 64, input: 64, hidden: 256, batch: 32, seq: 64, classes: 64 },
      'train-gru': { kind: 'train', cell: 'gru', vocab: 64, input: 64, hidden: 256, batch: 32, seq: 64, classes: 64 },
      gen: { kind: 'gen', input: 64, hidden: 512, layers: 2 },
      gemm: { kind: 'gemm', shapes: [[32, 256, 1024], [2048, 64, 1024], [512, 512, 512], [1, 512, 2048]] },
    };
}
