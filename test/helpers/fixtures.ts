/**
 * Loads golden fixtures written by scripts/fixtures (see fixtures/README.md):
 *
 *     const f = loadFixture('core/linear');
 *     f.get('weight');          // Tensor (throws naming the file if absent)
 *     f.config.in_features;     // parsed metadata.config
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensorsFile } from '../../src/io/files.js';
import assert from 'node:assert/strict';
import type { Module } from '../../src/nn/module.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from './assert.js';

export const FIXTURES_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'fixtures');

export interface Fixture {
  name: string;
  tensors: Map<string, Tensor>;
  config: Record<string, any>; // parsed JSON: fields vary per fixture
  metadata: Record<string, string>;
  get(name: string): Tensor;
  has(name: string): boolean;
  /** Integer data (class ids, lengths) stored as F32, rounded. */
  ints(name: string): Int32Array;
}

export function loadFixture(name: string): Fixture {
  const file = join(FIXTURES_DIR, name.endsWith('.safetensors') ? name : `${name}.safetensors`);
  const { tensors, metadata } = readSafetensorsFile(file);
  const config = metadata.config ? JSON.parse(metadata.config) : {};
  const get = (k: string): Tensor => {
    const t = tensors.get(k);
    if (!t) throw new Error(`fixture ${name}: no tensor '${k}' (has ${[...tensors.keys()].join(', ')})`);
    return t;
  };
  return {
    name, tensors, config, metadata, get,
    has: (k) => tensors.has(k),
    ints: (k) => Int32Array.from(get(k).data, (v) => Math.round(v)),
  };
}

/**
 * Every parameter's gradient equals the fixture's `g.<name>` (float32 sums: tolerance relative
 * to the largest element), and the fixture has no gradient the model lacks.
 */
export function assertGradientsMatch(model: Module, f: Fixture, what: string): void {
  let checked = 0;
  for (const [k, p] of model.namedParameters()) {
    assert.ok(f.has(`g.${k}`), `PyTorch has no gradient for ${k}`);
    assertClose(p.grad ?? new Float32Array(p.size), f.get(`g.${k}`), { rtol: 1e-4, atol: 1e-6, relativeToMax: true, what: `${what} grad ${k}` });
    checked++;
  }
  assert.equal(checked, [...f.tensors.keys()].filter((k) => k.startsWith('g.')).length);
}
