import { RecurError } from '../errors.js';
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

/** Deepest nesting unpackState accepts: real states are a few levels deep. */
const MAX_DEPTH = 64;

/**
 * Inverse of packState, for untrusted input: every reference must name a tensor of the file
 * (and a `$tensor`'s shape must match it), `$num` must be a number's text, and nesting is
 * bounded; anything else is a RecurError starting with `where`.
 */
export function unpackState(value: unknown, tensors: Map<string, Tensor>, where = 'checkpoint state', depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new RecurError(`${where}: state is nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) return value.map((v) => unpackState(v, tensors, where, depth + 1));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const ref = (key: string): Tensor => {
      const name = o[key];
      const t = typeof name === 'string' ? tensors.get(name) : undefined;
      if (!t) throw new RecurError(`${where}: state refers to tensor ${JSON.stringify(name)} (${key}), which is not in the file`);
      return t;
    };
    if ('$tensor' in o) {
      const t = ref('$tensor');
      const shape = o.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) ||
        (shape as number[]).reduce((a, b) => a * b, 1) !== t.size) {
        throw new RecurError(`${where}: state tensor '${String(o.$tensor)}' has ${t.size} values but its shape is ${JSON.stringify(shape)}`);
      }
      return new Tensor(Float32Array.from(t.data), [...(shape as number[])]);
    }
    if ('$f32' in o) return Float32Array.from(ref('$f32').data);
    if ('$i32' in o) return Int32Array.from(ref('$i32').data);
    if ('$num' in o) {
      if (o.$num !== 'NaN' && o.$num !== 'Infinity' && o.$num !== '-Infinity') {
        throw new RecurError(`${where}: state number ${JSON.stringify(o.$num)} is not NaN, Infinity or -Infinity`);
      }
      return Number(o.$num);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = unpackState(v, tensors, where, depth + 1);
    return out;
  }
  return value;
}
