/**
 * Moving models between recur, ONNX, PyTorch, Keras and TensorFlow.js (Node: it reads and
 * writes files). `import { interop } from 'recur/node'`.
 */
export { recurrentToOnnx, lmToOnnx, classifierToOnnx, taggerToOnnx, seq2seqToOnnx, ONNX_OPSET, type Seq2SeqOnnx } from './onnx/index.js';
export { exportOnnx } from './onnx/export-run.js';
export { exportTorch, importTorch, TORCH_FILES } from './torch/torch-dir.js';
export { KerasSequential, importKeras, importTfjs, parseLayers, type LayerSpec, type KerasWeight } from './keras/index.js';
export { loadAnyRun, runTask, type AnyRun } from './runs.js';
