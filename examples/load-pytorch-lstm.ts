/**
 * Load a PyTorch nn.LSTM from a safetensors file written from its state_dict(), run it, and
 * compare with PyTorch's own output.
 *
 *     node --import tsx examples/load-pytorch-lstm.ts
 *
 * fixtures/rnn/lstm_example.safetensors is `nn.LSTM(8, 16, 2, batch_first=True).state_dict()`
 * saved with safetensors; lstm_example_io.safetensors holds an input and what PyTorch computed.
 * The parameter names are PyTorch's, so the state dict loads with no renaming.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { io, nn, noGrad, type Tensor } from '../src/index.js';

const dir = fileURLToPath(new URL('../fixtures/rnn/', import.meta.url));
const weights = io.parseSafetensors(readFileSync(dir + 'lstm_example.safetensors'));
const ref = io.loadSafetensors(readFileSync(dir + 'lstm_example_io.safetensors'));

// The exporter stored the constructor arguments in the metadata; a plain state_dict() file
// would need them spelled out instead.
const cfg = JSON.parse(weights.metadata.config ?? '{}') as Record<string, number | boolean>;
const lstm = new nn.LSTM({
  inputSize: Number(cfg.input_size ?? 8),
  hiddenSize: Number(cfg.hidden_size ?? 16),
  numLayers: Number(cfg.num_layers ?? 2),
  batchFirst: Boolean(cfg.batch_first ?? true),
});
lstm.loadStateDict(weights.tensors);
lstm.eval();

const { output, h, c } = noGrad(() => lstm.forward(ref.get('input')!));

const maxAbsDiff = (a: Tensor, b: Tensor): number => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);
console.log(`output ${JSON.stringify(output.shape)}: max |recur - pytorch| = ${maxAbsDiff(output, ref.get('output')!).toExponential(2)}`);
console.log(`h_n    ${JSON.stringify(h.shape)}: max |recur - pytorch| = ${maxAbsDiff(h, ref.get('h_n')!).toExponential(2)}`);
console.log(`c_n    ${JSON.stringify(c.shape)}: max |recur - pytorch| = ${maxAbsDiff(c, ref.get('c_n')!).toExponential(2)}`);
