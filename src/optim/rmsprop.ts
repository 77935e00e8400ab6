import { kernels } from '../kernels/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkRange, Optimizer, type ParamGroup, type ParamsInput, type ParamState } from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  /** Ascend instead of descend. */
  maximize?: boolean;
}

type RMSpropHyper = Required<RMSpropOptions>;

/**
 * RMSprop, as `torch.optim.RMSprop` (PyTorch 1.13 update):
 *
 *     g ← g + wd·p
 *     sq ← α·sq + (1 − α)·g²
 *     centered: ga ← α·ga + (1 − α)·g;  avg = √(sq − ga²) + eps     else avg = √sq + eps
 *     momentum μ > 0: buf ← μ·buf + g/avg;  p ← p − lr·buf           else p ← p − lr·g/avg
 *
 * Defaults lr 1e-2, alpha 0.99, eps 1e-8. State per parameter: `step`, `squareAvg`,
 * `momentumBuffer` (momentum > 0), `gradAvg` (centered).
 */
export class RMSprop extends Optimizer<RMSpropHyper> {
  override get name(): string {
    return 'RMSprop';
  }

  constructor(params: ParamsInput<RMSpropHyper>, opts: RMSpropOptions = {}) {
    super(params, {
      lr: opts.lr ?? 1e-2,
      alpha: opts.alpha ?? 0.99,
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
      momentum: opts.momentum ?? 0,
      centered: opts.centered ?? false,
      maximize: opts.maximize ?? false,
    });
  }

  protected validate(h: RMSpropHyper): void {
    checkRange('RMSprop', 'learning rate lr', h.lr, 0);
    checkRange('RMSprop', 'eps', h.eps, 0);
    checkRange('RMSprop', 'momentum', h.momentum, 0);
    checkRange('RMSprop', 'weightDecay', h.weightDecay, 0);
    checkRange('RMSprop', 'alpha', h.alpha, 0);
  }

  protected update(p: Tensor, g: Float32Array, h: ParamGroup<RMSpropHyper>, st: ParamState): void {
    st.step++;
    const sq = this.buffer(p, st, 'squareAvg');
    const buf = h.momentum > 0 ? this.buffer(p, st, 'momentumBuffer') : null;
    const ga = h.centered ? this.buffer(p, st, 'gradAvg') : null;
    kernels().rmspropStep(p.data, this.signedGrad(p, g, h.maximize), sq, ga, buf, {
      lr: h.lr, alpha: h.alpha, eps: h.eps, weightDecay: h.weightDecay, momentum: h.momentum,
    });
  }
}
