import { kernels } from '../kernels/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkRange, Optimizer, type ParamGroup, type ParamsInput, type ParamState } from './optimizer.js';

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  /** Ascend instead of descend. */
  maximize?: boolean;
}

type AdagradHyper = Required<AdagradOptions>;

/**
 * Adagrad, as `torch.optim.Adagrad` (PyTorch 1.13 update; t = step count from 1):
 *
 *     g ← g + wd·p
 *     clr = lr / (1 + (t − 1)·lrDecay)
 *     sum ← sum + g²                    (sum starts at initialAccumulatorValue)
 *     p ← p − clr · g / (√sum + eps)
 *
 * Defaults lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10.
 * State per parameter: `step`, `sum`.
 */
export class Adagrad extends Optimizer<AdagradHyper> {
  override get name(): string {
    return 'Adagrad';
  }

  constructor(params: ParamsInput<AdagradHyper>, opts: AdagradOptions = {}) {
    super(params, {
      lr: opts.lr ?? 1e-2,
      lrDecay: opts.lrDecay ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      initialAccumulatorValue: opts.initialAccumulatorValue ?? 0,
      eps: opts.eps ?? 1e-10,
      maximize: opts.maximize ?? false,
    });
  }

  protected validate(h: AdagradHyper): void {
    checkRange('Adagrad', 'learning rate lr', h.lr, 0);
    checkRange('Adagrad', 'lrDecay', h.lrDecay, 0);
    checkRange('Adagrad', 'weightDecay', h.weightDecay, 0);
    checkRange('Adagrad', 'initialAccumulatorValue', h.initialAccumulatorValue, 0);
    checkRange('Adagrad', 'eps', h.eps, 0);
  }

  protected update(p: Tensor, g: Float32Array, h: ParamGroup<AdagradHyper>, st: ParamState): void {
    st.step++;
    const sum = this.buffer(p, st, 'sum', h.initialAccumulatorValue);
    kernels().adagradStep(p.data, this.signedGrad(p, g, h.maximize), sum, {
      lr: h.lr, lrDecay: h.lrDecay, weightDecay: h.weightDecay, eps: h.eps, step: st.step,
    });
  }
}
