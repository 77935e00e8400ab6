/**
 * Writes the web app's demo checkpoint (web/demo/best.safetensors) from a language-model run:
 * its best weights and config, without the optimizer state, so the static build stays small.
 *
 *   npx tsx scripts/web-demo.ts RUN_DIR
 *
 * The committed demo: `recur train lm --corpus moby-dick --level char --layers 1 --hidden 128
 * --embed 32 --minutes 4 --batch 32 --bptt 64 --dropout 0 --lr 0.004 --eval-every 400`.
 */
import { mkdirSync } from 'node:fs';
import { loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: tsx scripts/web-demo.ts RUN_DIR');
const ck = loadCheckpoint(dir, 'best');
mkdirSync('web/demo', { recursive: true });
const path = saveCheckpoint('web/demo', 'best', { config: ck.config, weights: ck.weights, state: { weightsOnly: true } });
console.log(`wrote ${path}`);
