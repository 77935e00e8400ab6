/** ONNX export (opset 17), checked in ONNX Runtime: see README "Moving between recur, PyTorch, ONNX and Keras". */
export { OnnxGraph, ONNX_OPSET } from './graph.js';
export { recurrentToOnnx, lmToOnnx, classifierToOnnx, taggerToOnnx, seq2seqToOnnx, type Seq2SeqOnnx } from './tasks.js';
