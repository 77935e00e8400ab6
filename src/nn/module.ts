import { RecurError } from '../errors.js';
import { kernels } from '../kernels/index.js';
import { sameShape, shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** A state dict: PyTorch-style dotted names to tensors (`encoder.weight_ih_l0`). */
export type StateDict = Map<string, Tensor>;

/**
 * Base of every layer. Parameters and sub-modules are registered explicitly (JS has no
 * __setattr__ hook) and keep registration order, so names and order match PyTorch's
 * `named_parameters()` when layers register in the same order as their torch counterparts.
 */
export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable tensor under `name` and returns it. */
  protected param(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    t.name = name;
    this.params.set(name, t);
    return t;
  }

  /** Points an existing parameter name at another tensor (weight tying); both names stay in the state dict. */
  replaceParameter(name: string, t: Tensor): void {
    if (!this.params.has(name)) throw new RecurError(`${this.constructor.name} has no parameter '${name}'`);
    this.params.set(name, t);
  }

  /** Registers a non-trainable tensor that is still saved in the state dict. */
  protected buffer(name: string, t: Tensor): Tensor {
    this.buffers.set(name, t);
    return t;
  }

  /** Registers a sub-module under `name` and returns it. */
  protected module<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  namedParameters(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [n, t] of this.params) out.set(prefix + n, t);
    for (const [n, m] of this.children) for (const [k, t] of m.namedParameters(`${prefix}${n}.`)) out.set(k, t);
    return out;
  }

  /** Each parameter once, even when shared (tied weights appear under two names). */
  parameters(): Tensor[] {
    return [...new Set(this.namedParameters().values())];
  }

  namedModules(prefix = ''): Map<string, Module> {
    const out = new Map<string, Module>([[prefix.replace(/\.$/, ''), this]]);
    for (const [n, m] of this.children) for (const [k, v] of m.namedModules(`${prefix}${n}.`)) out.set(k, v);
    return out;
  }

  /** Parameters and buffers by dotted name. The tensors are the live ones, not copies. */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = new Map();
    for (const [n, t] of this.params) out.set(prefix + n, t);
    for (const [n, t] of this.buffers) out.set(prefix + n, t);
    for (const [n, m] of this.children) for (const [k, t] of m.stateDict(`${prefix}${n}.`)) out.set(k, t);
    return out;
  }

  /**
   * Copies values in place (optimizers keep their references). Strict by default: every
   * missing, unexpected or mis-shaped name is listed in one error, and nothing is loaded.
   */
  loadStateDict(sd: StateDict, opts: { strict?: boolean } = {}): void {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !sd.has(k));
    const unexpected = [...sd.keys()].filter((k) => !own.has(k));
    const mismatched = [...own.entries()]
      .filter(([k, t]) => sd.has(k) && !sameShape(sd.get(k)!.shape, t.shape))
      .map(([k, t]) => `${k}: checkpoint ${shapeStr(sd.get(k)!.shape)}, model ${shapeStr(t.shape)}`);
    const problems: string[] = [];
    if (mismatched.length) problems.push(`shape mismatch: ${mismatched.join('; ')}`);
    if (strict && missing.length) problems.push(`missing: ${missing.join(', ')}`);
    if (strict && unexpected.length) problems.push(`unexpected: ${unexpected.join(', ')}`);
    if (problems.length) throw new RecurError(`loadStateDict (${this.constructor.name}): ${problems.join(' | ')}`);
    for (const [k, t] of own) {
      const src = sd.get(k);
      if (src) kernels().copy(src.data, t.data);
    }
  }

  train(mode = true): this {
    for (const m of this.namedModules().values()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }
}
