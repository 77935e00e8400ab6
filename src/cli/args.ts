import { RecurError } from '../errors.js';

/** Parsers for commander options that reject bad values with a message naming the option. */
export function intArg(name: string, min = 0): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new RecurError(`--${name} must be a whole number >= ${min}, got '${v}'`);
    return n;
  };
}

export function numArg(name: string, min = -Infinity, max = Infinity): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new RecurError(`--${name} must be a number in [${min}, ${max}], got '${v}'`);
    }
    return n;
  };
}

/** A number in (0, max]: zero is not allowed (a fraction or probability mass that must leave something). */
export function positiveNumArg(name: string, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new RecurError(`--${name} must be a number in (0, ${max}], got '${v}'`);
    return n;
  };
}

export function choiceArg<T extends string>(name: string, choices: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(choices as readonly string[]).includes(v)) throw new RecurError(`--${name} must be one of ${choices.join(', ')}, got '${v}'`);
    return v as T;
  };
}
