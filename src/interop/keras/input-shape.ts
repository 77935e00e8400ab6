import type { KerasLayerJson } from './layers.js';

/**
 * The feature size F of a Sequential model's [B, T, F] input, from the first layer's declared
 * shape (Keras 3 `batch_shape`, Keras 2 / TensorFlow.js `batch_input_shape`); null when the
 * model starts with an Embedding or declares none.
 */
export function inputFeatures(layers: KerasLayerJson[]): number | null {
  const first = layers[0];
  if (!first) return null;
  const c = first.config ?? {};
  const inner = (c.layer as KerasLayerJson | undefined)?.config ?? {};
  const shape = c.batch_shape ?? c.batch_input_shape ?? inner.batch_input_shape ?? inner.batch_shape;
  if (!Array.isArray(shape) || shape.length < 3) return null;
  const f = shape[shape.length - 1];
  return typeof f === 'number' && Number.isInteger(f) && f > 0 ? f : null;
}
