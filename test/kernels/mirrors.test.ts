/**
 * Tables that are written down in more than one language stay equal: the op codes of
 * src/kernels/op-codes.ts against assembly/elementwise.ts and native/src/kernels_api.h, the
 * list of wasm exports (src/kernels/wasm/exports.ts) against the compiled module and
 * assembly/index.ts, and the addon's functions (src/kernels/native/addon.ts) against the built
 * addon.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadNativeAddon, nativeUnavailableReason } from '../../src/kernels/native/index.js';
import { NATIVE_ADDON_NAMES } from '../../src/kernels/native/addon.js';
import { BINARY_CODES, UNARY_CODES } from '../../src/kernels/op-codes.js';
import { WASM_EXPORT_NAMES } from '../../src/kernels/wasm/exports.js';
import { createWasmBackendSync } from '../../src/kernels/wasm/index.js';
import { backendIndependent } from '../helpers/backend-independent.js';


const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Upper-case op name -> code, e.g. { NEG: 0, ... }, from the name's table in TS. */
function upper(codes: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(codes).map(([k, v]) => [k.toUpperCase(), v]));
}

describe('mirrored tables', backendIndependent, () => {
  it('assembly/elementwise.ts declares the op codes of op-codes.ts', () => {
    const src = read('assembly/elementwise.ts');
    for (const [prefix, codes] of [['U', UNARY_CODES], ['B', BINARY_CODES]] as const) {
      const found: Record<string, number> = {};
      for (const m of src.matchAll(new RegExp(`\\b${prefix}_([A-Z]+) = (\\d+)`, 'g'))) found[m[1]!] = Number(m[2]);
      assert.deepEqual(found, upper(codes), `${prefix}_* constants`);
    }
  });

  it('native/src/kernels_api.h declares the op codes of op-codes.ts', () => {
    const src = read('native/src/kernels_api.h');
    for (const [prefix, codes] of [['U', UNARY_CODES], ['B', BINARY_CODES]] as const) {
      // enum { U_NEG = 0, U_EXP, ... }: implicit values count up from the last explicit one.
      const body = new RegExp(`enum \\{ (${prefix}_[^}]*)\\}`).exec(src);
      assert.ok(body, `no ${prefix}_ enum in kernels_api.h`);
      const found: Record<string, number> = {};
      let next = 0;
      for (const item of body[1]!.split(',').map((x) => x.trim()).filter(Boolean)) {
        const [name, value] = item.split('=').map((x) => x.trim());
        next = value === undefined ? next : Number(value);
        found[name!.slice(2)] = next++;
      }
      assert.deepEqual(found, upper(codes), `${prefix}_* enum`);
    }
  });

  it('the compiled wasm module exports exactly WASM_EXPORT_NAMES, and assembly/index.ts names them all', () => {
    createWasmBackendSync(); // switches on relaxed SIMD where V8 has it behind a flag (loader.ts)
    for (const build of ['simd', 'relaxed']) {
      const bytes = readFileSync(new URL(`../../src/kernels/wasm/generated/recur-${build}.wasm`, import.meta.url));
      const functions = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).filter((e) => e.kind === 'function').map((e) => e.name);
      assert.deepEqual([...functions].sort(), [...WASM_EXPORT_NAMES].sort(), `recur-${build}.wasm`);
    }
    const index = read('assembly/index.ts');
    const listed = new Set<string>(['heapBase']);
    for (const m of index.matchAll(/export \{([^}]*)\}/g)) for (const name of m[1]!.split(',')) if (name.trim()) listed.add(name.trim());
    // _initialize is the start function AssemblyScript adds itself.
    assert.deepEqual([...listed].sort(), WASM_EXPORT_NAMES.filter((n) => n !== '_initialize').sort(), 'assembly/index.ts');
  });

  const addon = loadNativeAddon();
  it('the built addon exports exactly NATIVE_ADDON_NAMES', { skip: addon ? false : `native addon not built (${nativeUnavailableReason()})` }, () => {
    assert.deepEqual(Object.keys(addon!).sort(), [...NATIVE_ADDON_NAMES].sort());
  });
});
