import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { RecurError } from '../errors.js';
import type { KerasSequential } from '../interop/keras/index.js';

/**
 * `recur export onnx|torch RUN --out ...` and `recur import torch|keras|tfjs SRC --out ...`:
 * every task's run goes through loadAnyRun (interop/runs.ts), i.e. its own loadXRun. The
 * converters load when their command runs, so other commands do not start h5wasm or protobufjs.
 */
export function registerInterop(program: Command): void {
  const exp = program.command('export').description('export a trained run: recur export onnx|torch RUN --out ...');
  exp.command('onnx <run>')
    .description('the run\'s model as ONNX (opset 17); a translation run gives OUT.encoder.onnx and OUT.decoder.onnx')
    .requiredOption('--out <file.onnx>', 'ONNX file to write')
    .action(async (run: string, o: { out: string }) => {
      const { exportOnnx } = await import('../interop/onnx/export-run.js');
      const r = exportOnnx(run, o.out);
      console.log(`${r.task} model exported to ${r.files.join(' and ')}`);
    });
  exp.command('torch <run>')
    .description('the run as a PyTorch folder: model.py, weights.safetensors, config.json, train_ddp.py')
    .requiredOption('--out <dir>', 'new folder to write')
    .option('--with-data', 'also write the run\'s training and validation data (built-in data sets too) to OUT/data, which train_ddp.py reads by default')
    .action(async (run: string, o: { out: string; withData?: boolean }) => {
      const { exportTorch } = await import('../interop/torch/torch-dir.js');
      const r = exportTorch(run, o.out, { withData: o.withData === true });
      console.log(`${r.task} run exported to ${o.out}: ${r.files.join(', ')}`);
      console.log(`train on 2 processes: torchrun --nproc_per_node 2 ${join(o.out, 'train_ddp.py')}${o.withData ? '' : ' --data FILE'} --steps N`);
    });

  const imp = program.command('import').description('import a model: recur import torch|keras|tfjs SRC --out ...');
  imp.command('torch <dir>')
    .description('a folder from `recur export torch` (its checkpoint.safetensors, else weights.safetensors) as a recur run')
    .requiredOption('--out <run>', 'new run directory')
    .option('--weights <file>', 'safetensors checkpoint in recur\'s names (default: DIR/checkpoint.safetensors or DIR/weights.safetensors)')
    .action(async (dir: string, o: { out: string; weights?: string }) => {
      const { importTorch } = await import('../interop/torch/torch-dir.js');
      const r = importTorch(dir, o.out, o.weights);
      console.log(`${r.task} run written to ${o.out} from ${r.weights}`);
    });
  imp.command('keras <file>')
    .description('a Keras 3 .keras model (Sequential, or Functional as one chain of layers) as a recur model file (OUT/model.safetensors)')
    .requiredOption('--out <dir>', 'new folder to write')
    .action(async (file: string, o: { out: string }) => {
      const { importKeras } = await import('../interop/keras/index.js');
      saveImported((await importKeras(file)).model, o.out);
    });
  imp.command('tfjs <modelJson>')
    .description('a TensorFlow.js layers model (model.json and its .bin shards) as a recur model file (OUT/model.safetensors)')
    .requiredOption('--out <dir>', 'new folder to write')
    .action(async (file: string, o: { out: string }) => {
      const { importTfjs } = await import('../interop/keras/index.js');
      saveImported(importTfjs(file).model, o.out);
    });
}

function saveImported(model: KerasSequential, out: string): void {
  if (existsSync(out) && readdirSync(out).length > 0) throw new RecurError(`${out} is not empty; give a new folder to --out`);
  mkdirSync(out, { recursive: true });
  const path = join(out, 'model.safetensors');
  writeFileSync(path, model.save());
  for (const s of model.specs) console.log(`  ${s.name}: ${s.kind}${'bidirectional' in s && s.bidirectional ? ' (bidirectional)' : ''}`);
  console.log(`${model.specs.length} layers, ${model.numParameters()} parameters, saved to ${path} (load with KerasSequential.load)`);
}
