import { RecurError } from '../errors.js';
import { kernels } from '../kernels/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkRange, Optimizer, type ParamGroup, type ParamsInput, type ParamState } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  /** Ascend instead of descend. */
  maximize?: boolean;
}

type SGDHyper = Required<SGDOptions>;

/**
 * Stochastic gradient descent, as `torch.optim.SGD` (PyTorch 1.13 update):
 *
 *     g ← g + wd·p
 *     momentum μ ≠ 0:  buf ← g (first step), else buf ← μ·buf + (1 − dampening)·g
 *                      g ← nesterov ? g + μ·buf : buf
 *     p ← p − lr·g
 *
 * State per parameter: `momentumBuffer` (only with momentum).
 */
export class SGD extends Optimizer<SGDHyper> {
  override get name(): string {
    return 'SGD';
  }

  constructor(params: ParamsInput<SGDHyper>, opts: SGDOptions) {
    super(params, {
      lr: opts.lr,
      momentum: opts.momentum ?? 0,
      dampening: opts.dampening ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      nesterov: opts.nesterov ?? false,
      maximize: opts.maximize ?? false,
    });
  }

  protected validate(h: SGDHyper): void {
    checkRange('SGD', 'learning rate lr', h.lr, 0);
    checkRange('SGD', 'momentum', h.momentum, 0);
    checkRange('SGD', 'dampening', h.dampening, -Infinity);
    checkRange('SGD', 'weightDecay', h.weightDecay, 0);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new RecurError('SGD: nesterov momentum requires momentum > 0 and dampening = 0');
    }
  }

  protected update(p: Tensor, gIn: Float32Array, h: ParamGroup<SGDHyper>, st: ParamState): void {
    const K = kernels();
    st.step++;
    let g = gIn;
    if (h.maximize || h.weightDecay !== 0) {
      const t = this.scratch(p);
      K.scale(h.maximize ? -1 : 1, gIn, t);
      if (h.weightDecay !== 0) K.axpy(h.weightDecay, p.data, t);
      g = t;
    }
    if (h.momentum !== 0) {
      let buf = st.buffers.momentumBuffer;
      if (!buf) {
        buf = this.buffer(p, st, 'momentumBuffer');
        K.copy(g, buf);
      } else {
        K.scale(h.momentum, buf, buf);
        K.axpy(1 - h.dampening, g, buf);
      }
      if (h.nesterov) {
        const t = this.scratch(p);
        if (g !== t) K.copy(g, t);
        K.axpy(h.momentum, buf, t);
        g = t;
      } else {
        g = buf;
      }
    }
    K.axpy(-h.lr, g, p.data);
  }
}
