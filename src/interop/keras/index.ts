/** Keras 3 (.keras) and TensorFlow.js (model.json) import as recur modules. */
export { KerasSequential, KERAS_IMPORT_FORMAT, type KerasWeight } from './model.js';
export { parseLayers, sequentialLayers, type LayerSpec } from './layers.js';
export { importKeras } from './keras-file.js';
export { importTfjs } from '../tfjs/model-json.js';
