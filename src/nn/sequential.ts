import { RecurError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** A module with a one-tensor-in, one-tensor-out forward: what Sequential chains. */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

/**
 * Runs modules in order, each on the previous one's output, as `torch.nn.Sequential`.
 * Children are named "0", "1", ..., so parameter names are `0.weight`, `2.bias`, ... exactly
 * as in PyTorch.
 *
 * | tensor | shape |
 * |---|---|
 * | input | whatever the first module takes |
 * | output | whatever the last module returns |
 */
export class Sequential extends Module {
  private readonly layers: Layer[];

  constructor(...modules: Layer[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module) || typeof (m as Partial<Layer>).forward !== 'function') {
        throw new RecurError(`Sequential: argument ${i} is not a module with a forward(x) method`);
      }
      this.module(String(i), m);
    });
    this.layers = [...modules];
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return y;
  }

  get length(): number {
    return this.layers.length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Layer {
    const m = this.layers.at(i);
    if (!m) throw new RecurError(`Sequential: index ${i} is out of range for ${this.layers.length} modules`);
    return m;
  }

  [Symbol.iterator](): Iterator<Layer> {
    return this.layers[Symbol.iterator]();
  }
}
