import { RecurError } from '../errors.js';

/**
 * Validation for JSON read back from disk: a saved tokenizer is user input, and a bad
 * one must fail with a message naming the field rather than produce wrong ids later.
 */

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a JSON string if given one and checks that the result is an object. */
export function parseObject(json: unknown, where: string): Record<string, unknown> {
  let obj: unknown = json;
  if (typeof json === 'string') {
    try {
      obj = JSON.parse(json) as unknown;
    } catch (e) {
      throw new RecurError(`${where}: invalid JSON (${(e as Error).message})`);
    }
  }
  if (!isPlainObject(obj)) throw new RecurError(`${where}: expected a JSON object`);
  return obj;
}

export function expectKind(obj: Record<string, unknown>, kind: string, where: string): void {
  if (obj['kind'] !== kind) {
    throw new RecurError(`${where}: expected kind "${kind}", got ${JSON.stringify(obj['kind'])}`);
  }
}

export function readStringArray(obj: Record<string, unknown>, key: string, where: string): string[] {
  const v = obj[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new RecurError(`${where}: "${key}" must be an array of strings`);
  }
  return v as string[];
}

export function readInt(v: unknown, name: string, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new RecurError(`${where}: ${name} must be an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function readBoolean(obj: Record<string, unknown>, key: string, where: string): boolean {
  const v = obj[key];
  if (typeof v !== 'boolean') throw new RecurError(`${where}: "${key}" must be true or false`);
  return v;
}
