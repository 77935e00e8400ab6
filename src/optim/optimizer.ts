import { RecurError } from '../errors.js';
import { enableGrad } from '../autograd/grad-mode.js';
import { kernels } from '../kernels/index.js';
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** Hyperparameters every optimizer has. */
export interface BaseHyper {
  lr: number;
}

/** A param group: its tensors plus its own copy of every hyperparameter. */
export type ParamGroup<H extends BaseHyper> = H & { params: Tensor[] };

/** What constructors accept: a flat list of parameters, or groups overriding some defaults. */
export type ParamsInput<H extends BaseHyper> =
  | Iterable<Tensor>
  | ReadonlyArray<Partial<H> & { params: Iterable<Tensor> }>;

/** Per-parameter state: a step count and named buffers of the parameter's size. */
export interface ParamState {
  step: number;
  buffers: Record<string, Float32Array>;
}

/**
 * Serialised optimizer state: plain JSON values plus Float32Arrays (copies, never the live
 * buffers), so a checkpoint can store it (recur's checkpoint writer turns every Float32Array
 * into a safetensors entry). Layout, as PyTorch's `optimizer.state_dict()`:
 *
 * ```
 * {
 *   type: 'Adam',                                   // class name, checked on load
 *   state: {                                        // keyed by parameter index: parameters are
 *     '0': { step: 5, expAvg: Float32Array, ... },  // numbered 0.. across groups in order;
 *     ...                                           // parameters that never had a gradient
 *   },                                              // have no entry
 *   paramGroups: [                                  // one per group, in order
 *     { params: [0, 1], lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, ... },
 *   ],
 * }
 * ```
 *
 * Buffer names are camelCase forms of PyTorch's: SGD `momentumBuffer`; Adam/AdamW `expAvg`,
 * `expAvgSq`, `maxExpAvgSq` (amsgrad); RMSprop `squareAvg`, `gradAvg` (centered),
 * `momentumBuffer` (momentum > 0); Adagrad `sum`. Hyperparameters use the option names.
 */
export interface OptimizerStateDict {
  type: string;
  state: Record<string, { step: number } & Record<string, number | Float32Array>>;
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

function isTensorIterable(p: unknown): p is Iterable<Tensor> {
  return p !== null && typeof p === 'object' && Symbol.iterator in (p as object);
}

/**
 * Base of every optimizer, as `torch.optim.Optimizer`: parameter groups with their own
 * hyperparameters, per-parameter state, `zeroGrad()`, `step()` and a serialisable state
 * dict. Subclasses implement `update` for one parameter with a gradient; every update runs
 * through kernels. Parameters whose `.grad` is null are skipped (no state is created).
 */
export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  readonly defaults: Readonly<H>;
  readonly paramGroups: ParamGroup<H>[] = [];
  protected readonly state = new Map<Tensor, ParamState>();
  private readonly scratchBuffers = new Map<Tensor, Float32Array>();

  constructor(params: ParamsInput<H>, defaults: H) {
    this.validate(defaults);
    this.defaults = Object.freeze({ ...defaults });
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new RecurError(`${this.name}: got an empty parameter list`);
    if (list[0] instanceof Tensor) {
      this.addParamGroup({ params: list as Tensor[] } as unknown as Partial<H> & { params: Iterable<Tensor> });
    } else {
      for (const g of list) this.addParamGroup(g as Partial<H> & { params: Iterable<Tensor> });
    }
  }

  /** Class name used in error messages and stored in the state dict (explicit, so minified builds agree). */
  get name(): string {
    return 'Optimizer';
  }

  /** Throws a RecurError for invalid hyperparameters (checked for defaults and every group). */
  protected abstract validate(h: H): void;

  /** Updates one parameter in place from its gradient g (same length as p.data). */
  protected abstract update(p: Tensor, g: Float32Array, group: ParamGroup<H>, state: ParamState): void;

  /** Adds a group; hyperparameters it omits come from the defaults. */
  addParamGroup(group: Partial<H> & { params: Iterable<Tensor> }): void {
    if (!group || !isTensorIterable(group.params)) {
      throw new RecurError(`${this.name}: a param group must be an object with an iterable 'params'`);
    }
    const params = [...group.params];
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new RecurError(`${this.name}: param group ${this.paramGroups.length} item ${i} is not a Tensor`);
      if (!p.isLeaf) throw new RecurError(`${this.name}: can't optimize a non-leaf tensor (param group ${this.paramGroups.length} item ${i}, shape ${shapeStr(p.shape)})`);
    });
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    const inGroup = new Set<Tensor>();
    for (const p of params) {
      if (seen.has(p) || inGroup.has(p)) {
        throw new RecurError(`${this.name}: a parameter${p.name ? ` ('${p.name}')` : ''} appears more than once in the parameter groups`);
      }
      inGroup.add(p);
    }
    const full = { ...this.defaults, ...group, params } as ParamGroup<H>;
    this.validate(full);
    this.paramGroups.push(full);
  }

  /** Clears gradients: sets `.grad` to null (default, cheapest) or fills it with zeros. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        if (setToNone) p.grad = null;
        else kernels().fill(p.grad.data, 0);
      }
    }
  }

  /**
   * One update of every parameter that has a gradient. With a closure (which should zero the
   * gradients, compute the loss, call backward and return the loss), it is evaluated first
   * and its value returned, as in PyTorch.
   */
  step(closure?: () => number): number | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (!p.grad) continue;
        if (p.grad.size !== p.size) {
          throw new RecurError(`${this.name}: gradient of shape ${shapeStr(p.grad.shape)} does not match parameter${p.name ? ` '${p.name}'` : ''} of shape ${shapeStr(p.shape)}`);
        }
        let st = this.state.get(p);
        if (!st) {
          st = { step: 0, buffers: {} };
          this.state.set(p, st);
        }
        this.update(p, p.grad.data, group, st);
      }
    }
    return loss;
  }

  /** Learning rate of the first group. Setting it sets every group's lr. */
  get lr(): number {
    return this.paramGroups[0]!.lr;
  }

  set lr(value: number) {
    for (const g of this.paramGroups) g.lr = value;
  }

  /** The state of one parameter (live), or undefined before its first update. */
  getState(p: Tensor): Readonly<ParamState> | undefined {
    return this.state.get(p);
  }

  /** A zero-filled buffer of p's size, created on first use (kept in the state). */
  protected buffer(p: Tensor, st: ParamState, name: string, init?: number): Float32Array {
    let b = st.buffers[name];
    if (!b) {
      b = kernels().alloc(p.size);
      if (init !== undefined && init !== 0) kernels().fill(b, init);
      st.buffers[name] = b;
    }
    return b;
  }

  /** Reusable temporary of p's size (not part of the state). */
  protected scratch(p: Tensor): Float32Array {
    let b = this.scratchBuffers.get(p);
    if (!b) {
      b = kernels().alloc(p.size);
      this.scratchBuffers.set(p, b);
    }
    return b;
  }

  /** g, or −g in scratch when maximizing. */
  protected signedGrad(p: Tensor, g: Float32Array, maximize: boolean | undefined): Float32Array {
    if (!maximize) return g;
    const t = this.scratch(p);
    kernels().scale(-1, g, t);
    return t;
  }

  /** A copy of the whole state: see {@link OptimizerStateDict} for the layout. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g as ParamGroup<H> & Record<string, unknown>;
      const ids = params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return { ...structuredClone(hyper), params: ids };
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const entry: { step: number } & Record<string, number | Float32Array> = { step: st.step };
      for (const [k, b] of Object.entries(st.buffers)) entry[k] = Float32Array.from(b);
      state[String(i)] = entry;
    }
    return { type: this.name, state, paramGroups };
  }

  /**
   * Restores a state dict from {@link stateDict} (of an optimizer of the same class over
   * parameters of the same sizes in the same group structure). Group hyperparameters are
   * replaced by the saved ones; buffers are copied. Nothing changes if validation fails.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const who = `${this.name}.loadStateDict`;
    if (!sd || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object') {
      throw new RecurError(`${who}: not an optimizer state dict (expected {type, state, paramGroups})`);
    }
    if (sd.type !== this.name) throw new RecurError(`${who}: state dict is for ${sd.type}, not ${this.name}`);
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new RecurError(`${who}: state dict has ${sd.paramGroups.length} param groups, optimizer has ${this.paramGroups.length}`);
    }
    // Parameter ids map to this optimizer's parameters by position within their group.
    const byId = new Map<number, Tensor>();
    sd.paramGroups.forEach((g, gi) => {
      const own = this.paramGroups[gi]!.params;
      if (!Array.isArray(g.params) || g.params.length !== own.length) {
        throw new RecurError(`${who}: param group ${gi} has ${Array.isArray(g.params) ? g.params.length : '?'} parameters in the state dict, ${own.length} in the optimizer`);
      }
      g.params.forEach((id, k) => {
        if (!Number.isInteger(id) || byId.has(id)) throw new RecurError(`${who}: param group ${gi} has an invalid or repeated parameter id ${id}`);
        const p = own[k]!;
        byId.set(id, p);
      });
    });
    const newState = new Map<Tensor, ParamState>();
    for (const [key, entry] of Object.entries(sd.state)) {
      const p = byId.get(Number(key));
      if (!p) throw new RecurError(`${who}: state for parameter ${key}, which is in no param group`);
      if (!entry || typeof entry.step !== 'number') throw new RecurError(`${who}: state[${key}] has no numeric 'step'`);
      const st: ParamState = { step: entry.step, buffers: {} };
      for (const [name, v] of Object.entries(entry)) {
        if (name === 'step') continue;
        if (!(v instanceof Float32Array)) throw new RecurError(`${who}: state[${key}].${name} is not a Float32Array`);
        if (v.length !== p.size) {
          throw new RecurError(`${who}: state[${key}].${name} has ${v.length} elements, parameter ${key} (shape ${shapeStr(p.shape)}) has ${p.size}`);
        }
        const b = kernels().alloc(p.size);
        kernels().copy(v, b);
        st.buffers[name] = b;
      }
      newState.set(p, st);
    }
    const newHyper = sd.paramGroups.map((g, gi) => {
      const { params: _ids, ...hyper } = g;
      const merged = { ...this.paramGroups[gi]!, ...structuredClone(hyper) } as unknown as ParamGroup<H>;
      this.validate(merged);
      return hyper;
    });
    // Commit.
    this.state.clear();
    for (const [p, st] of newState) this.state.set(p, st);
    this.paramGroups.forEach((g, gi) => Object.assign(g, structuredClone(newHyper[gi]!)));
  }
}

/** Throws unless v is a finite number ≥ lo (and < hi when given). */
export function checkRange(opt: string, what: string, v: unknown, lo: number, hi?: number, hiInclusive = false): void {
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= lo && (hi === undefined || (hiInclusive ? v <= hi : v < hi));
  if (!ok) {
    const range = hi === undefined ? `>= ${lo}` : `in [${lo}, ${hi}${hiInclusive ? ']' : ')'}`;
    throw new RecurError(`${opt}: invalid ${what} ${JSON.stringify(v)} (must be ${range})`);
  }
}

