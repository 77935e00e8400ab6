import { RecurError } from '../errors.js';
import { allocStorage, emptyStorage, freeStorage, kernels } from '../kernels/index.js';
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';

/**
 * One recorded op. `backward` reads the output's gradient and ACCUMULATES into the gradients
 * of its inputs (via `gradOf`), so a tensor used several times receives the sum.
 */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  backward(): void;
  /** Gives back what the op saved for backward; called once the graph is released. */
  readonly release: (() => void) | undefined;
  released: boolean;
}

/**
 * Records `out` as produced by `name` from `inputs` when grad mode is on and an input needs
 * a gradient. Returns out for chaining. The backward closure sits next to the forward code.
 * `release`, if given, frees storage that only backward reads (see freeStorage): it runs when a
 * backward without retainGraph has passed the node, or at once when nothing is recorded.
 */
export function record(out: Tensor, name: string, inputs: readonly Tensor[], backward: () => void,
  release?: () => void): Tensor {
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) {
    release?.();
    return out;
  }
  out.requiresGrad = true;
  out.node = { name, inputs, backward, release, released: false };
  return out;
}

/** Gradient buffers the engine made for non-leaf tensors: dead once their node's backward ran. */
const intermediateGrads = new WeakSet<Tensor>();

/** The gradient buffer of t, created as zeros on first use. */
export function gradOf(t: Tensor): Float32Array {
  if (!t.grad) {
    t.grad = new Tensor(allocStorage(t.size), t.shape);
    if (t.node) intermediateGrads.add(t.grad);
  }
  return t.grad.data;
}

/**
 * The gradient buffer of t for a backward that writes EVERY element of it. On t's first
 * contribution the buffer is new and not zeroed (`fresh`): overwrite it (gemm with beta 0, a
 * kernel with accumulate false). Otherwise it holds earlier contributions: add, as with gradOf.
 * Spares the zero-filling and re-reading of whole gradients (~60 MB a step in the CLI's char LM).
 */
export function gradSlot(t: Tensor): { data: Float32Array; fresh: boolean } {
  if (t.grad) return { data: t.grad.data, fresh: false };
  t.grad = new Tensor(emptyStorage(t.size), t.shape);
  if (t.node) intermediateGrads.add(t.grad);
  return { data: t.grad.data, fresh: true };
}

/**
 * Backward of a view with x's size and element order: x's gradient += out's. On x's first
 * contribution out's buffer, which the engine would free next, becomes x's (no copy).
 */
export function passGrad(out: Tensor, x: Tensor): void {
  const g = out.grad!;
  if (!x.grad && intermediateGrads.has(g) && g.size === x.size) {
    intermediateGrads.delete(g);
    out.grad = null;
    x.grad = new Tensor(g.data, x.shape);
    if (x.node) intermediateGrads.add(x.grad);
    return;
  }
  kernels().axpy(1, g.data, gradOf(x));
}

/** The gradient flowing into an op's output during backward. */
export function outGrad(out: Tensor): Float32Array {
  return out.grad!.data;
}

function topoOrder(root: Tensor): Tensor[] {
  // Iterative DFS: graphs unrolled over thousands of timesteps would overflow recursion.
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: Array<[Tensor, number]> = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i]!;
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

export function backward(root: Tensor, grad: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new RecurError('backward: tensor does not require grad (no input had requiresGrad, or it was computed under noGrad)');
  }
  if (grad) {
    if (grad.size !== root.size) throw new RecurError(`backward: gradient of shape ${shapeStr(grad.shape)} does not match tensor of shape ${shapeStr(root.shape)}`);
  } else if (root.size !== 1) {
    throw new RecurError(`backward: grad can be implicitly created only for scalar outputs, got shape ${shapeStr(root.shape)}`);
  }
  const g = gradOf(root);
  if (grad) for (let i = 0; i < g.length; i++) g[i]! += grad.data[i]!;
  else g[0]! += 1;

  const order = topoOrder(root);
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k]!;
    const node = t.node;
    if (!node) continue;
    if (node.released) {
      throw new RecurError(`backward: trying to backward through '${node.name}' a second time; pass { retainGraph: true } to the first backward`);
    }
    if (t.grad) node.backward(); // may hand t.grad on to an input (passGrad)
    if (!retainGraph) {
      node.released = true;
      node.release?.();
    }
    // Like PyTorch, only leaves keep .grad; intermediate buffers are given back at once, so
    // the rest of this backward reuses them (and a second backward with retainGraph starts
    // from zero).
    if (t.grad && intermediateGrads.has(t.grad)) freeStorage(t.grad.data);
    t.grad = null;
  }
}
