import { Tensor } from '../tensor/tensor.js';

/** JSON that may carry typed arrays; used for optimizer and task state in checkpoints. */
export type Packable = null | boolean | number | string | Float32Array | Int32Array | Tensor | Packable[] | { [k: string]: Packable };

/**
 * Splits a state object into JSON (stored in the checkpoint's metadata) and tensors (stored
 * as safetensors entries), so optimizer moments and carried hidden states are saved exactly.
 * Typed arrays become {"$f32": name} / {"$i32": name} references.
 */
export function packState(value: unknown, prefix: string, tensors: Map<string, Tensor>): unknown {
  if (value instanceof Tensor) {
    tensors.set(prefix, value);
    return { $tensor: prefix, shape: [...value.shape] };
  }
  if (value instanceof Float32Array || value instanceof Float64Array) {
    tensors.set(prefix, new Tensor(Float32Array.from(value), [value.length]));
    return { $f32: prefix };
  }
  if (value instanceof Int32Array) {
    tensors.set(prefix, new Tensor(Float32Array.from(value), [value.length]));
    return { $i32: prefix };
  }
  if (Array.isArray(value)) return value.map((v, i) => packState(v, `${prefix}.${i}`, tensors));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = packState(v, `${prefix}.${k}`, tensors);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
  return value;
}

/** Inverse of packState. */
export function unpackState(value: unknown, tensors: Map<string, Tensor>): unknown {
  if (Array.isArray(value)) return value.map((v) => unpackState(v, tensors));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$tensor === 'string') {
      const t = tensors.get(o.$tensor)!;
      return new Tensor(Float32Array.from(t.data), o.shape as number[]);
    }
    if (typeof o.$f32 === 'string') return Float32Array.from(tensors.get(o.$f32)!.data);
    if (typeof o.$i32 === 'string') return Int32Array.from(tensors.get(o.$i32)!.data);
    if (typeof o.$num === 'string') return Number(o.$num);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = unpackState(v, tensors);
    return out;
  }
  return value;
}
