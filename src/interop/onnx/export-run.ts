import { writeFileSync } from 'node:fs';
import { RecurError } from '../../errors.js';
import { loadAnyRun } from '../runs.js';
import { classifierToOnnx, lmToOnnx, seq2seqToOnnx, taggerToOnnx } from './tasks.js';

/**
 * `recur export onnx RUN --out model.onnx`: the run's model as ONNX. A translation run gives two
 * graphs, OUT with `.encoder.onnx` and `.decoder.onnx` in place of `.onnx`.
 */
export function exportOnnx(runDir: string, out: string): { task: string; files: string[] } {
  if (!out.endsWith('.onnx')) throw new RecurError(`--out must name a .onnx file, got '${out}'`);
  const run = loadAnyRun(runDir);
  switch (run.task) {
    case 'lm': writeFileSync(out, lmToOnnx(run.model)); return { task: run.task, files: [out] };
    case 'classify': writeFileSync(out, classifierToOnnx(run.model)); return { task: run.task, files: [out] };
    case 'tag': writeFileSync(out, taggerToOnnx(run.model)); return { task: run.task, files: [out] };
    case 'translate': {
      const { encoder, decoder } = seq2seqToOnnx(run.model);
      const base = out.slice(0, -'.onnx'.length);
      writeFileSync(`${base}.encoder.onnx`, encoder);
      writeFileSync(`${base}.decoder.onnx`, decoder);
      return { task: run.task, files: [`${base}.encoder.onnx`, `${base}.decoder.onnx`] };
    }
  }
}
